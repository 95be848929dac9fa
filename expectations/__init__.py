"""Expectations: Great Expectations suites and the quality rules that gate the returns."""
