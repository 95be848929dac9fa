"""Robust statistics for a series against its own history: median and MAD, never mean ± SD."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

MAD_TO_SD = 1.4826  # MAD × 1.4826 estimates the SD of a normal distribution


def robust_z(value: float, history: Sequence[float], floor: float) -> float:
    """(value − median) / max(1.4826 · MAD, floor): how far `value` lies from its history."""
    hist = np.asarray(history, dtype=float)
    median = float(np.median(hist))
    mad = float(np.median(np.abs(hist - median)))
    return (value - median) / max(MAD_TO_SD * mad, floor)


def log_level(value: float) -> float:
    return math.log1p(max(value, 0.0))


def measures(levels: Sequence[float], aggregation: str) -> list[float]:
    """What is compared: the log level for flows and rates, the log change for stocks (they trend)."""
    logs = [log_level(v) for v in levels]
    if aggregation != "stock":
        return logs
    return [math.nan] + [b - a for a, b in itertools.pairwise(logs)]


def unit_ratio_log10(value: float, history: Sequence[float]) -> float | None:
    """log10(value ÷ median of history), or None when either is not positive."""
    positive = [h for h in history if h > 0]
    if value <= 0 or not positive:
        return None
    return math.log10(value / float(np.median(positive)))
