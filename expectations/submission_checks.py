"""Rules on what arrived: required forms submitted before a return is built, and on time."""

from __future__ import annotations

import pandas as pd

from expectations.context import CheckContext
from expectations.outcomes import outcome
from expectations.results import CheckOutcome, Failure
from expectations.rules import Rule, return_forms


def _due_rows(ctx: CheckContext) -> pd.DataFrame:
    frame = ctx.frame("completeness")
    due = pd.to_datetime(frame["due_date"]).dt.date
    return frame[due < ctx.as_of]


def check_forms_submitted(ctx: CheckContext, rule: Rule) -> CheckOutcome:
    """Forms past their due day and not received; `required_for_returns` picks which forms this rule judges."""
    wanted = rule.params.get("required_for_returns", "true").lower() == "true"
    required = return_forms()
    rows = _due_rows(ctx)
    rows = rows[rows["form_code"].map(lambda code: required.get(code, True) == wanted)]
    missing = rows[~rows["is_received"].astype(bool)]
    failures = [
        Failure(
            message=(
                f"{row.department_name or row.department_code}《{row.form_name}》{row.period_code} 应报未报"
                f"（截止 {pd.Timestamp(row.due_date).date()}" + ("，曾被退回" if row.files_rejected else "") + "）"
            ),
            period_code=row.period_code,
            region_code=row.region_code,
            department_code=row.department_code,
            form_code=row.form_code,
            observed="未报送",
            expected=f"截止 {pd.Timestamp(row.due_date).date()} 前报送",
            fix=rule.fix,
        )
        for row in missing.itertuples()
    ]
    return outcome(rule, len(rows), failures)


def check_forms_on_time(ctx: CheckContext, rule: Rule) -> CheckOutcome:
    rows = _due_rows(ctx)
    received = rows[rows["is_received"].astype(bool)]
    grace = int(rule.threshold or 0)
    first = pd.to_datetime(received["first_accepted_at"]).dt.normalize()
    late_days = (first - pd.to_datetime(received["due_date"])).dt.days
    late = received[late_days > grace]
    failures = [
        Failure(
            message=(
                f"{row.department_name or row.department_code}《{row.form_name}》{row.period_code} 逾期报送："
                f"{pd.Timestamp(row.first_accepted_at).date()} 接收，截止 {pd.Timestamp(row.due_date).date()}，"
                f"迟报 {int(late_days[idx])} 天"
            ),
            period_code=row.period_code,
            region_code=row.region_code,
            department_code=row.department_code,
            form_code=row.form_code,
            observed=f"{pd.Timestamp(row.first_accepted_at).date()} 接收",
            expected=f"截止 {pd.Timestamp(row.due_date).date()}",
            fix=rule.fix,
        )
        for idx, row in late.iterrows()
    ]
    return outcome(rule, len(received), failures)
