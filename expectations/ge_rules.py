"""The rules that are Great Expectations suites: each form's accepted data, and each mart a return reads."""

from __future__ import annotations

from typing import Any

import pandas as pd

from expectations.context import CheckContext
from expectations.outcomes import fmt, outcome
from expectations.results import CheckOutcome, Failure
from expectations.rules import Rule, setting
from expectations.suites import (
    PARTITION_COLUMN,
    PARTITIONED,
    ROW_KEYS,
    ExpectationFailure,
    form_suite_expectations,
    mart_suite_expectations,
)


class ExpectationRaised(Exception):
    """An expectation could not be evaluated: the whole rule is reported as not run."""


def check_form_suites(ctx: CheckContext, rule: Rule) -> CheckOutcome:
    values = ctx.frame("form_values")
    max_rows = setting("max_rows_per_expectation")
    failures: list[Failure] = []
    checked = 0
    for form in ctx.catalogue.rows("forms"):
        code = form["form_code"]
        subset = values[values["form_code"] == code].reset_index(drop=True)
        if subset.empty:
            continue
        _, found = ctx.validate(
            f"form_{code}",
            lambda code=code: form_suite_expectations(ctx.catalogue, code),
            subset,
            ROW_KEYS["form_values"],
            max_rows,
            PARTITION_COLUMN if "form_values" in PARTITIONED else None,
        )
        checked += len(subset)
        failures += _to_failures(ctx, rule, found, form_code=code)
    unknown = values[~values["form_code"].isin(ctx.catalogue.codes("forms", "form_code"))]
    for row in unknown.itertuples():
        failures.append(
            Failure(
                message=f"报表编码 {row.form_code} 不在目录中",
                period_code=row.period_code,
                region_code=row.region_code,
                department_code=row.department_code,
                form_code=row.form_code,
                subject_code=row.element_code,
                fix=rule.fix,
                submission_id=row.submission_id,
            )
        )
    return outcome(rule, checked + len(unknown), failures)


def check_mart_suite(ctx: CheckContext, rule: Rule) -> CheckOutcome:
    mart = rule.asset_path[-1]
    frame = ctx.frame(mart)
    if frame.empty:
        return outcome(rule, 0, [])
    _, found = ctx.validate(
        mart,
        lambda: mart_suite_expectations(ctx.catalogue, mart),
        frame,
        ROW_KEYS[mart],
        setting("max_rows_per_expectation"),
        PARTITION_COLUMN if mart in PARTITIONED else None,
    )
    return outcome(rule, len(frame), _to_failures(ctx, rule, found))


def _to_failures(
    ctx: CheckContext, rule: Rule, found: list[ExpectationFailure], form_code: str | None = None
) -> list[Failure]:
    out: list[Failure] = []
    for failure in found:
        if failure.error:
            raise ExpectationRaised(f"{failure.suite}: {failure.expectation} 无法执行：{failure.error}")
        rows: list[dict[str, Any]] = failure.rows or [{}]
        for row in rows:
            region = _get(row, "region_code")
            element = _get(row, "element_code")
            department = _get(row, "department_code") or (
                ctx.responsible(region, element) if region and element else None
            )
            observed = row.get(failure.column) if failure.column else None
            extra = "" if failure.rows else f"（{failure.unexpected_count} 行）"
            out.append(
                Failure(
                    message=f"GE 期望未满足：{failure.expectation}{extra}",
                    period_code=_get(row, "period_code"),
                    region_code=region,
                    department_code=department,
                    form_code=form_code or _get(row, "form_code"),
                    subject_code=element or _get(row, "indicator_code") or _get(row, "target_code"),
                    observed=fmt(observed) if isinstance(observed, int | float) else _text(observed),
                    expected=failure.expectation,
                    fix=rule.fix,
                    submission_id=_get(row, "submission_id"),
                )
            )
    return out


def _get(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
