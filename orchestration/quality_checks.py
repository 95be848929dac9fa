"""Placeholder for the quality gate's Dagster asset checks and gate assets (filled in with issue 5)."""

from __future__ import annotations

from typing import Any


def quality_checks() -> list[Any]:
    """Asset checks guarding the marts (GE suites and cross-source rules)."""
    return []


def gate_assets() -> list[Any]:
    """Per-period gate assets (month, quarter, year) with their blocking checks."""
    return []
