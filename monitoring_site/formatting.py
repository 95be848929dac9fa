"""How figures and statuses are shown: the unit's own precision, thousands separators, status colours."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Any

import pandas as pd

# Colour classes for the statuses the marts give; the text is always shown beside the colour.
STATUS_CLASSES = {
    "已完成": "done",
    "未完成": "missed",
    "进度正常": "on-track",
    "需加快": "hurry",
    "滞后": "behind",
    "数据不足": "no-data",
}
STATUS_ORDER = tuple(STATUS_CLASSES)
MISSING = "—"
_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return value != value  # NaN
    if isinstance(value, (int, str, Decimal)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and arrays are values, not gaps
        return False


def flag(value: Any) -> bool | None:
    """A mart's boolean as Python's (numpy and pandas booleans included); None when missing."""
    return None if is_missing(value) else bool(value)


def number(value: Any, decimals: int | None = 0) -> str:
    """A figure rounded to the unit's decimals, with thousands separators; — when missing."""
    if is_missing(value):
        return MISSING
    places = 0 if decimals is None or is_missing(decimals) else int(decimals)
    return f"{Decimal(str(value)):,.{places}f}"


def percent(value: Any, decimals: int = 1) -> str:
    if is_missing(value):
        return MISSING
    return f"{Decimal(str(value)):,.{decimals}f}%"


def signed_percent(value: Any, decimals: int = 1) -> str:
    if is_missing(value):
        return MISSING
    return f"{Decimal(str(value)):+,.{decimals}f}%"


def status_class(status: Any) -> str:
    return STATUS_CLASSES.get(str(status), "other")


def slug(code: Any) -> str:
    """A file name for a catalogue code: the code itself when harmless, else a digest (no path tricks)."""
    text = str(code)
    if _SAFE.match(text) and text not in {".", ".."}:
        return text
    return "x" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def plain(value: Any) -> Any:
    """A JSON-friendly scalar for chart data (None for missing)."""
    if is_missing(value):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):
        return value.item()
    return value
