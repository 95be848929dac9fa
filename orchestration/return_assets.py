"""Placeholder for the returns as Dagster assets downstream of the gate (filled in with issue 6)."""

from __future__ import annotations

from typing import Any


def return_assets() -> list[Any]:
    return []
