"""Rules on each submitted series against its own history: outliers (median/MAD) and unit slips.

Every figure inside the current window is judged against the figures before it in its own series
(department × form × element, in period order, at most `history_periods` of them). The histories
are laid out as one matrix (a row per figure, NaN-padded on the left) and the medians, MADs and
ratios are computed on whole columns at once: looping over figures in Python was most of a run's
check time. The logs are taken with `math` (not numpy's vectorised ones, which may differ in the
last bit) so every threshold decision is the one the row-by-row definition gives
(tests/test_series_vectorised.py compares them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from expectations.context import CheckContext
from expectations.outcomes import fmt, outcome
from expectations.results import CheckOutcome, Failure
from expectations.robust import MAD_TO_SD, log_level, measures, robust_z
from expectations.rules import Rule, rules_by_code
from sources.catalogue import Catalogue

SERIES_KEY = ["department_code", "form_code", "element_code"]


@dataclass(frozen=True)
class Point:
    """One figure of a series, with the figures before it (the row-by-row view, for the notes)."""

    row: dict[str, Any]
    history: list[float]  # earlier levels, oldest first, at most `history_periods`
    previous: float | None


@dataclass(frozen=True)
class Points:
    """Every figure judged, in the order the rules report them, with its history as a matrix row."""

    data: pd.DataFrame  # the frame's rows with a value, sorted by period end
    rows: np.ndarray  # positions in `data` of the figures judged
    value: np.ndarray  # their values
    history: np.ndarray  # (figures × history_periods) earlier levels, oldest first, NaN-padded left
    count: np.ndarray  # how many earlier levels each has
    previous: np.ndarray  # the level just before (NaN for a series' first figure)
    log_history: np.ndarray  # log levels of `history`
    log_value: np.ndarray
    change: np.ndarray  # log change from the previous level (stocks)
    past_changes: np.ndarray  # log changes within the history (stocks), NaN-padded left

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, i: int) -> dict[str, Any]:
        return self.data.iloc[[int(self.rows[i])]].to_dict("records")[0]

    def earlier(self, i: int) -> list[float]:
        count = int(self.count[i])
        return self.history[i, self.history.shape[1] - count :].tolist() if count else []

    def point(self, i: int) -> Point:
        previous = None if np.isnan(self.previous[i]) else float(self.previous[i])
        return Point(self.row(i), self.earlier(i), previous)


def _logs(levels: np.ndarray) -> np.ndarray:
    """log1p of each level (negatives as 0), with math's log1p: once per distinct level."""
    distinct, inverse = np.unique(levels, return_inverse=True)
    return np.array([log_level(float(v)) for v in distinct], dtype=float)[inverse].reshape(levels.shape)


def _lagged(
    column: np.ndarray, at: np.ndarray, position: np.ndarray, lags: np.ndarray, first: np.ndarray
) -> np.ndarray:
    """column[at − lag] for each lag (a row per figure), NaN where that falls before the figure's `first`
    position in its series."""
    index = at[:, None] - lags[None, :]
    inside = (position[:, None] - lags[None, :]) >= first[:, None]
    return np.where(inside, column[np.clip(index, 0, None)], np.nan)


def points(ctx: CheckContext, frame: pd.DataFrame, history_periods: int) -> Points:
    """Every figure inside the current window, with its own series' history.

    A figure whose series key has a blank is not judged (it has no series); figures without a
    period end count as inside the window. Ties in period end keep the order pandas sorts them in."""
    data = frame.dropna(subset=["value"]).sort_values("period_end")
    window: dict[Any, bool] = {}

    def inside(end: Any) -> bool:
        if end not in window:
            window[end] = ctx.in_window(end)
        return window[end]

    in_window = data["period_end"].map(inside).astype(bool).to_numpy()
    group = data.groupby(SERIES_KEY, sort=False).ngroup().fillna(-1).to_numpy(dtype=np.int64)
    # Series one after another (in order of first appearance), each in period order.
    order = np.argsort(group, kind="stable")
    order = order[group[order] >= 0]
    grouped = group[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if len(order) else np.array([], dtype=np.int64)
    lengths = np.diff(np.r_[starts, len(order)])
    position = np.arange(len(order)) - np.repeat(starts, lengths)
    levels = data["value"].to_numpy(dtype=float)[order]
    logs = _logs(levels)
    changes = np.where(position >= 1, logs - np.r_[np.nan, logs[:-1]], np.nan)

    judged = np.flatnonzero(in_window[order])
    at, pos = judged, position[judged]
    depth = max(int(history_periods), 0)
    lags = np.arange(depth, 0, -1)  # oldest first
    start = np.maximum(pos - depth, 0)  # where each figure's history starts in its series
    history = _lagged(levels, at, pos, lags, start)
    log_history = _lagged(logs, at, pos, lags, start)
    # A stock's changes inside its history: between consecutive earlier levels, so from the second on.
    past_changes = _lagged(changes, at, pos, lags, start + 1)
    previous = np.where(pos >= 1, levels[np.clip(at - 1, 0, None)], np.nan)
    return Points(
        data=data,
        rows=order[at],
        value=levels[at],
        history=history,
        count=np.minimum(pos, depth),
        previous=previous,
        log_history=log_history,
        log_value=logs[at],
        change=changes[at],
        past_changes=past_changes,
    )


def _median(matrix: np.ndarray) -> np.ndarray:
    """Each row's median over its non-NaN cells, as np.median computes it (NaN when there are none)."""
    count = np.count_nonzero(~np.isnan(matrix), axis=1)
    if matrix.shape[1] == 0:
        return np.full(len(matrix), np.nan)
    ordered = np.sort(matrix, axis=1)  # NaN last
    low = np.take_along_axis(ordered, np.maximum((count - 1) // 2, 0)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(ordered, np.maximum(count // 2, 0)[:, None], axis=1)[:, 0]
    middle = np.where(count % 2 == 1, low, (low + high) / 2)
    return np.where(count > 0, middle, np.nan)


def _robust_z(values: np.ndarray, history: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """robust_z (expectations/robust.py) for each row: (value − median) / max(1.4826 · MAD, floor),
    and the denominators (a zero one is a division by zero, as it is for one figure)."""
    median = _median(history)
    mad = _median(np.abs(history - median[:, None]))
    scale = np.maximum(MAD_TO_SD * mad, floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (values - median) / scale, scale


def outlier_z_all(rule: Rule, pts: Points) -> tuple[np.ndarray, np.ndarray]:
    """Which figures can be judged (the series is long and dense enough) and their robust z."""
    min_history = rule.param("min_history", 6)
    min_median = rule.param("min_history_median", 1)
    min_change = rule.param("min_abs_change", 0)
    median = _median(pts.history)
    enough = ~((pts.count < min_history) | (median < min_median))
    stock = pts.data["aggregation"].to_numpy(dtype=object)[pts.rows] == "stock"
    past_count = np.maximum(pts.count - 1, 0)
    stock_judged = (
        enough
        & stock
        & ~np.isnan(pts.previous)
        & ~(past_count < min_history - 1)
        & ~(np.abs(pts.value - pts.previous) < min_change)
    )
    flow_judged = enough & ~stock & ~(np.abs(pts.value - median) < min_change)
    stock_z, stock_scale = _robust_z(pts.change, pts.past_changes, rule.param("scale_floor_change", 0.02))
    flow_z, flow_scale = _robust_z(pts.log_value, pts.log_history, rule.param("scale_floor_level", 0.1))
    judged = stock_judged | flow_judged
    if np.any(judged & (np.where(stock, stock_scale, flow_scale) == 0)):
        raise ZeroDivisionError("float division by zero")  # a zero scale floor and a flat history
    return judged, np.where(stock, stock_z, flow_z)


def outlier_z(rule: Rule, point: Point, value: float) -> float | None:
    """The robust z of `value` at `point` (one figure), or None when the series is too short or too sparse."""
    history = point.history
    if len(history) < rule.param("min_history", 6) or float(np.median(history)) < rule.param("min_history_median", 1):
        return None
    aggregation = point.row["aggregation"]
    if aggregation == "stock":
        if point.previous is None:
            return None
        past = measures(history, "stock")[1:]
        if len(past) < rule.param("min_history", 6) - 1:
            return None
        if abs(value - point.previous) < rule.param("min_abs_change", 0):
            return None
        current = log_level(value) - log_level(point.previous)
        return robust_z(current, past, rule.param("scale_floor_change", 0.02))
    if abs(value - float(np.median(history))) < rule.param("min_abs_change", 0):
        return None
    return robust_z(log_level(value), measures(history, aggregation), rule.param("scale_floor_level", 0.1))


def unit_slips(catalogue: Catalogue, rule: Rule, pts: Points) -> np.ndarray:
    """For each figure, the unit it was apparently typed in (e.g. 元 for a 万元 cell), or None."""
    found = np.full(len(pts), None, dtype=object)
    positive = np.where(pts.history > 0, pts.history, np.nan)
    median = _median(positive)
    candidate = ~(pts.count < rule.param("min_history", 2)) & (pts.value > 0) & ~np.isnan(median)
    where = np.flatnonzero(candidate)
    if not len(where):
        return found
    ratio = np.array([math.log10(v) for v in (pts.value[where] / median[where]).tolist()])
    codes = pts.data["unit_code"].to_numpy(dtype=object)[pts.rows[where]]
    tolerance = rule.threshold or 0.5
    for code in dict.fromkeys(codes.tolist()):  # in order of first appearance, as the row-by-row rule meets them
        unit = catalogue.units[code]
        mine = codes == code
        open_ = mine.copy()
        for other in catalogue.units.values():
            if other.code == unit.code or other.dimension != unit.dimension or other.to_base_factor <= 0:
                continue
            expected = math.log10(float(unit.to_base_factor) / float(other.to_base_factor))
            if abs(expected) < 1:
                continue
            hit = open_ & (np.abs(ratio - expected) <= tolerance)
            found[where[hit]] = other.code
            open_ &= ~hit
    return found


def check_unit_slip(ctx: CheckContext, rule: Rule) -> CheckOutcome:
    pts = points(ctx, ctx.frame("current_values"), int(rule.param("history_periods", 36)))
    slips = unit_slips(ctx.catalogue, rule, pts)
    failures: list[Failure] = []
    for i in [i for i, typed in enumerate(slips) if typed is not None]:
        row, history = pts.row(i), pts.earlier(i)
        value = float(pts.value[i])
        unit = ctx.catalogue.units[row["unit_code"]]
        typed = ctx.catalogue.units[slips[i]]
        right = value * float(typed.to_base_factor) / float(unit.to_base_factor)
        failures.append(
            Failure(
                message=(
                    f"计量单位错填：{ctx.department_name(row['department_code'])}{row['period_code']}"
                    f"“{ctx.element_name(row['element_code'])}”填 {fmt(value)} {unit.name}，"
                    f"约为历史中位数 {fmt(float(np.median(history)))} 的 "
                    f"{value / float(np.median([h for h in history if h > 0])):,.0f} 倍，"
                    f"疑似按“{typed.name}”填报（应为“{unit.name}”，约 {fmt(round(right, unit.decimals))} {unit.name}）"
                ),
                **_where_in_submission(row),
                observed=f"{fmt(value)} {unit.name}",
                expected=f"约 {fmt(round(right, unit.decimals))} {unit.name}",
                fix=rule.fix,
            )
        )
    return outcome(rule, len(pts), failures)


def check_outliers(ctx: CheckContext, rule: Rule) -> CheckOutcome:
    pts = points(ctx, ctx.frame("current_values"), int(rule.param("history_periods", 36)))
    slip_rule = rules_by_code().get("unit_slip")
    threshold = rule.threshold or 3.5
    named = np.zeros(len(pts), dtype=bool)  # called out by name by the unit-slip rule
    if slip_rule is not None:
        named = np.array([typed is not None for typed in unit_slips(ctx.catalogue, slip_rule, pts)], dtype=bool)
    judged, z = outlier_z_all(rule, pts)
    flagged = judged & ~named & ~(np.abs(z) <= threshold)
    failures = [
        _outlier_failure(ctx, rule, pts.point(i), float(pts.value[i]), float(z[i])) for i in np.flatnonzero(flagged)
    ]
    note = _superseded_note(ctx, rule, pts, threshold)
    return outcome(rule, len(pts), failures, note)


def _outlier_failure(ctx: CheckContext, rule: Rule, point: Point, value: float, z: float) -> Failure:
    row = point.row
    unit = ctx.catalogue.units[row["unit_code"]].name
    if row["aggregation"] == "stock" and point.previous is not None:
        reference = f"上期 {fmt(point.previous)} {unit}"
    else:
        reference = f"历史中位数 {fmt(float(np.median(point.history)))} {unit}"
    return Failure(
        message=(
            f"离群值：{ctx.department_name(row['department_code'])}{row['period_code']}"
            f"“{ctx.element_name(row['element_code'])}”为 {fmt(value)} {unit}，{reference}，"
            f"稳健 z = {z:+.1f}（阈值 ±{fmt(rule.threshold)}，依据前 {len(point.history)} 期）"
        ),
        **_where_in_submission(row),
        observed=f"{fmt(value)} {unit}",
        expected=reference,
        fix=rule.fix,
    )


def _superseded_note(ctx: CheckContext, rule: Rule, pts: Points, threshold: float) -> str:
    """Outliers that only an earlier, since corrected, version carried: shown, not counted."""
    try:
        old = ctx.frame("superseded_values")
    except Exception:
        return ""
    judged = pts.data.iloc[pts.rows]
    keys = zip(*(judged[c].tolist() for c in [*SERIES_KEY, "period_code"]), strict=True)
    series_index = {key: i for i, key in enumerate(keys)}  # a later figure of the same key wins
    lines = []
    for row in old.dropna(subset=["value"]).itertuples():
        i = series_index.get((row.department_code, row.form_code, row.element_code, row.period_code))
        if i is None:
            continue
        point = pts.point(i)
        z = outlier_z(rule, point, float(row.value))
        if z is not None and abs(z) > threshold:
            lines.append(
                f"{ctx.department_name(row.department_code)}{row.period_code}“{ctx.element_name(row.element_code)}”"
                f"第 {row.version} 版 {fmt(row.value)}（z = {z:+.1f}）已由第 {point.row['version']} 版 "
                f"{fmt(point.row['value'])} 更正"
            )
    return ("已被更正版本取代的离群值（不计入未通过）：" + "；".join(lines) + "。") if lines else ""


def _where_in_submission(row: Any) -> dict[str, Any]:
    """The Failure fields that place a figure: period, region, the department to fix it, form, element, file."""
    return {
        "period_code": row["period_code"],
        "region_code": row["region_code"],
        "department_code": row["department_code"],
        "form_code": row["form_code"],
        "subject_code": row["element_code"],
        "submission_id": row["submission_id"],
    }
