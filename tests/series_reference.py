"""The series rules as first written, figure by figure in Python: the definition that
expectations/series_checks.py (whole columns at once) must agree with, outcome for outcome
(tests/test_series_vectorised.py). Kept verbatim apart from this docstring; not used by the product."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from expectations.context import CheckContext
from expectations.outcomes import fmt, outcome
from expectations.results import CheckOutcome, Failure
from expectations.robust import log_level, measures, robust_z, unit_ratio_log10
from expectations.rules import Rule, rules_by_code
from sources.catalogue import Catalogue

SERIES_KEY = ["department_code", "form_code", "element_code"]


@dataclass(frozen=True)
class Point:
    """One figure of a series, with the figures before it."""

    row: dict[str, Any]
    history: list[float]  # earlier levels, oldest first, at most `history_periods`
    previous: float | None


def _points(ctx: CheckContext, frame: pd.DataFrame, history_periods: int) -> Iterator[tuple[Point, pd.DataFrame, int]]:
    """Every figure inside the current window, with its own series' history.

    The window is judged once per distinct period end and each series is read as plain records:
    building a pandas row per figure was most of these rules' time."""
    data = frame.dropna(subset=["value"]).sort_values("period_end")
    window: dict[Any, bool] = {}

    def inside(end: Any) -> bool:
        if end not in window:
            window[end] = ctx.in_window(end)
        return window[end]

    in_window = data["period_end"].map(inside).astype(bool)
    keys = set(data.loc[in_window, SERIES_KEY].itertuples(index=False, name=None))
    for key, series in data.groupby(SERIES_KEY, sort=False):
        if key not in keys:
            continue
        series = series.reset_index(drop=True)
        records = series.to_dict("records")
        levels = series["value"].tolist()
        for i, record in enumerate(records):
            if not inside(record["period_end"]):
                continue
            first = max(0, i - history_periods)
            yield Point(record, levels[first:i], levels[i - 1] if i else None), series, i


def outlier_z(rule: Rule, point: Point, value: float) -> float | None:
    """The robust z of `value` at `point`, or None when the series is too short or too sparse to judge."""
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


def unit_slip_of(catalogue: Catalogue, rule: Rule, point: Point, value: float) -> str | None:
    """The unit the figure was apparently typed in (e.g. 元 for a 万元 cell), or None."""
    if len(point.history) < rule.param("min_history", 2):
        return None
    ratio = unit_ratio_log10(value, point.history)
    if ratio is None:
        return None
    unit = catalogue.units[point.row["unit_code"]]
    for other in catalogue.units.values():
        if other.code == unit.code or other.dimension != unit.dimension or other.to_base_factor <= 0:
            continue
        expected = math.log10(float(unit.to_base_factor) / float(other.to_base_factor))
        if abs(expected) >= 1 and abs(ratio - expected) <= (rule.threshold or 0.5):
            return other.code
    return None


def check_unit_slip(ctx: CheckContext, rule: Rule) -> CheckOutcome:
    frame = ctx.frame("current_values")
    failures: list[Failure] = []
    checked = 0
    for point, _, _ in _points(ctx, frame, int(rule.param("history_periods", 36))):
        checked += 1
        value = float(point.row["value"])
        other = unit_slip_of(ctx.catalogue, rule, point, value)
        if other is None:
            continue
        row = point.row
        unit = ctx.catalogue.units[row["unit_code"]]
        typed = ctx.catalogue.units[other]
        right = value * float(typed.to_base_factor) / float(unit.to_base_factor)
        failures.append(
            Failure(
                message=(
                    f"计量单位错填：{ctx.department_name(row['department_code'])}{row['period_code']}"
                    f"“{ctx.element_name(row['element_code'])}”填 {fmt(value)} {unit.name}，"
                    f"约为历史中位数 {fmt(float(np.median(point.history)))} 的 "
                    f"{value / float(np.median([h for h in point.history if h > 0])):,.0f} 倍，"
                    f"疑似按“{typed.name}”填报（应为“{unit.name}”，约 {fmt(round(right, unit.decimals))} {unit.name}）"
                ),
                **_where_in_submission(row),
                observed=f"{fmt(value)} {unit.name}",
                expected=f"约 {fmt(round(right, unit.decimals))} {unit.name}",
                fix=rule.fix,
            )
        )
    return outcome(rule, checked, failures)


def check_outliers(ctx: CheckContext, rule: Rule) -> CheckOutcome:
    frame = ctx.frame("current_values")
    slip_rule = rules_by_code().get("unit_slip")
    threshold = rule.threshold or 3.5
    history_periods = int(rule.param("history_periods", 36))
    failures: list[Failure] = []
    checked = 0
    series_index: dict[tuple[str, str, str, str], Point] = {}
    for point, _, _ in _points(ctx, frame, history_periods):
        checked += 1
        row = point.row
        value = float(row["value"])
        series_index[(row["department_code"], row["form_code"], row["element_code"], row["period_code"])] = point
        if slip_rule is not None and unit_slip_of(ctx.catalogue, slip_rule, point, value):
            continue  # called out by name by the unit-slip rule
        z = outlier_z(rule, point, value)
        if z is None or abs(z) <= threshold:
            continue
        failures.append(_outlier_failure(ctx, rule, point, value, z))
    note = _superseded_note(ctx, rule, series_index, threshold)
    return outcome(rule, checked, failures, note)


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


def _superseded_note(
    ctx: CheckContext, rule: Rule, series_index: dict[tuple[str, str, str, str], Point], threshold: float
) -> str:
    """Outliers that only an earlier, since corrected, version carried: shown, not counted."""
    try:
        old = ctx.frame("superseded_values")
    except Exception:
        return ""
    lines = []
    for row in old.dropna(subset=["value"]).itertuples():
        point = series_index.get((row.department_code, row.form_code, row.element_code, row.period_code))
        if point is None:
            continue
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
