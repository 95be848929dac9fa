"""Receipts derived from the committed raw rows, so a crash between the commit and the receipt
files loses no receipt: the next intake (or `ipwh receipt <id>`) writes every missing one again.

A receipt written after the commit and one derived here are the same bytes: both come from the
same facts (the submission row, its problems in the order found, the catalogue's labels).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from sources.catalogue import Catalogue
from sources.forms.spec import FormError, assignment
from sources.intake.problems import Problem
from sources.intake.receipts import ReceiptData, receipt_folder, write_receipt
from sources.periods import Period, PeriodError

# A return package from an office below (reports/upstream.py) is recorded under form
# `upstream:<SDMX structure>`, which no catalogue form has.
UPSTREAM_PREFIX = "upstream:"

_SUBMISSION_SQL = """
select submission_id, file_name, file_sha256, received_at, outcome, form_code, department_code,
       region_code, period, period_type, version, is_sample, inbox_department
from raw.submissions
"""


def receipt_from_rows(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, submission_id: str) -> ReceiptData | None:
    """The receipt of a committed submission, or None when there is no such submission."""
    row = con.execute(_SUBMISSION_SQL + " where submission_id = ?", [submission_id]).fetchone()
    if row is None:
        return None
    sid, name, sha, at, outcome, form_code, dept, region, period_code, period_type, version, sample, inbox = row
    problems = [
        Problem(severity, code, message, fix, sheet, cell, element, found)
        for severity, code, message, fix, sheet, cell, element, found in con.execute(
            "select severity, problem_code, message, fix, sheet, cell, element_code, found "
            "from raw.submission_problems where submission_id = ?",
            [sid],
        ).fetchall()
    ]
    found = None
    upstream = bool(form_code and form_code.startswith(UPSTREAM_PREFIX))
    if form_code and dept and region and not upstream:
        try:
            found = assignment(catalogue, form_code, region, dept)
        except FormError:
            found = None  # the catalogue no longer has this assignment: the receipt omits the labels
    period = None
    if period_code:
        try:
            period = Period.parse(period_code, period_type)
        except PeriodError:
            period = None
    superseded = None
    if outcome == "accepted" and version and version > 1:
        previous = con.execute(
            "select submission_id from raw.submissions where outcome = 'accepted' and form_code = ? "
            "and department_code = ? and period = ? and version = ?",
            [form_code, dept, period_code, version - 1],
        ).fetchone()
        superseded = previous[0] if previous else None
    form_label = (
        f"{found.form.table_no}《{found.form.name}》（模板版本 {found.form.template_version}）" if found else None
    )
    department_label = f"{found.department_name}（{found.department_code}）" if found else None
    if upstream and dept:
        form_label, department_label = upstream_labels(catalogue, form_code, dept)
    return ReceiptData(
        sid,
        name,
        sha,
        at,
        outcome,
        problems,
        form_label=form_label,
        department_label=department_label,
        department_code=dept or inbox,
        period_label=period.label if period else None,
        due=period.due(found.form.due_days) if found and period else None,
        version=version,
        superseded=superseded,
        is_sample=bool(sample),
    )


def upstream_labels(catalogue: Catalogue, form_code: str, department_code: str) -> tuple[str, str]:
    """(form label, department label) of a return package from an office below."""
    names = {d["department_code"]: d["department_name"] for d in catalogue.rows("departments")}
    structure = form_code.removeprefix(UPSTREAM_PREFIX)
    return (
        f"下级上报数据包（SDMX 数据元，结构 {structure}）",
        f"{names.get(department_code, department_code)}（{department_code}）",
    )


def missing_receipts(con: duckdb.DuckDBPyConnection, receipts: Path) -> list[str]:
    """Committed submissions whose text receipt is not on disk (the text is written last)."""
    rows = con.execute(
        "select submission_id, coalesce(department_code, inbox_department) from raw.submissions"
    ).fetchall()
    return sorted(sid for sid, folder in rows if not (receipt_folder(receipts, folder) / f"{sid}.txt").exists())


def restore_receipts(con: duckdb.DuckDBPyConnection, receipts: Path, catalogue: Catalogue) -> list[Path]:
    """Write every missing receipt of a committed submission; returns the text receipts written."""
    written = []
    for sid in missing_receipts(con, receipts):
        receipt = receipt_from_rows(con, catalogue, sid)
        if receipt is not None:
            written.append(write_receipt(receipt, receipt_folder(receipts, receipt.department_code)))
    return written
