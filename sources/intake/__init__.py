"""Intake: filled forms and patent-record extracts in, archived files, raw tables and receipts out."""
