"""What a department owes, per form and period, read from the catalogue and the submissions' status.

Status per (form, department, period), in the words of the statistics office: 未报, 处理中 (submitted
in the portal, waiting for the warehouse to record it), 已退回 (its file was rejected or an analyst
returned it), 已接收, 已审核, 已锁定; and how many days are left or overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from sources.catalogue import Catalogue, load
from sources.forms.spec import Assignment, FormError, FormSpec, assignment, form_spec, submitters, task_leads
from sources.intake.status import StatusView, SubmissionRow
from sources.periods import Period

# How many ended periods of each kind the 我的报表 page lists (the latest first).
PERIODS_SHOWN = {"month": 3, "quarter": 2, "year": 1}


@cache
def catalogue() -> Catalogue:
    return load()


@dataclass(frozen=True)
class Duty:
    assignment: Assignment
    period: Period
    due: date
    current: SubmissionRow | None  # the version in force, else the latest file
    history: tuple[SubmissionRow, ...]
    queued: bool  # submitted in the portal, not yet recorded
    locked: bool
    today: date

    @property
    def form(self) -> FormSpec:
        return self.assignment.form

    @property
    def status(self) -> str:
        if self.locked:
            return "已锁定"
        row = self.current
        if row is None:
            return "处理中" if self.queued else "未报"
        if row.status == "returned" or row.outcome == "rejected":
            return "处理中" if self.queued else "已退回"
        if row.status == "approved":
            return "已审核"
        return "已接收"

    @property
    def days_left(self) -> int:
        return (self.due - self.today).days

    @property
    def deadline_text(self) -> str:
        days = self.days_left
        if self.current is not None and self.current.outcome == "accepted":
            return "已报送"
        if days >= 0:
            return f"剩余 {days} 天"
        return f"逾期 {-days} 天"


def assigned_forms(department_code: str) -> list[Assignment]:
    """Every form the catalogue assigns to `department_code`, in catalogue order."""
    cat = catalogue()
    departments = {d["department_code"]: d for d in cat.rows("departments")}
    dept = departments.get(department_code)
    if dept is None:
        return []
    out = []
    for row in [*cat.rows("forms"), *cat.rows("task_forms")]:
        spec = form_spec(cat, row["form_code"])
        if spec.source_kind == "task_report":
            owes = any(d["department_code"] == department_code for d in task_leads(cat, dept["region_code"]))
        else:
            owes = any(d["department_code"] == department_code for d in submitters(cat, spec, dept["region_code"]))
        if owes:
            out.append(assignment(cat, spec.code, dept["region_code"], department_code))
    return out


def find_assignment(department_code: str, form_code: str) -> Assignment | None:
    return next((a for a in assigned_forms(department_code) if a.form.code == form_code), None)


def parse_period(a: Assignment, raw: str) -> Period | None:
    try:
        period = Period.parse(raw, a.form.period_type)
    except ValueError:
        return None
    return period if period.code == raw else None


def recent_periods(form: FormSpec, today: date) -> list[Period]:
    """The latest ended periods of the form's kind (the one due soonest first)."""
    period = _containing(form.period_type, today)
    out: list[Period] = []
    while len(out) < PERIODS_SHOWN.get(form.period_type, 1):
        period = period.previous()
        out.append(period)
    return out


def _containing(period_type: str, day: date) -> Period:
    if period_type == "month":
        return Period.of("month", day.year, day.month)
    if period_type == "quarter":
        return Period.of("quarter", day.year, (day.month + 2) // 3)
    return Period.of("year", day.year)


def duty(a: Assignment, period: Period, status: StatusView, queued_shas: set[str], today: date) -> Duty:
    rows = tuple(
        r
        for r in status.rows
        if r.form_code == a.form.code and r.department_code == a.department_code and r.period == period.code
    )
    accepted = [r for r in rows if r.outcome == "accepted"]
    current = max(accepted, key=lambda r: r.version or 0) if accepted else (rows[-1] if rows else None)
    recorded = {r.file_sha256 for r in status.rows}
    return Duty(
        a,
        period,
        period.due(a.form.due_days),
        current,
        rows,
        bool(queued_shas - recorded),
        status.is_locked(a.form.code, a.department_code, period),
        today,
    )


def duties(
    department_code: str, status: StatusView, today: date, queued: dict[tuple[str, str], set[str]]
) -> list[Duty]:
    out = []
    for a in assigned_forms(department_code):
        for period in recent_periods(a.form, today):
            out.append(duty(a, period, status, queued.get((a.form.code, period.code), set()), today))
    return out


__all__ = ["Duty", "FormError", "assigned_forms", "duties", "duty", "find_assignment", "parse_period"]
