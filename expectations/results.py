"""Where quality-check results live in the warehouse (schema `quality`), and how they are written.

Every run of the checks records what was checked, what failed and which rows; analysts' written
explanations of warnings are kept beside them. Tables are append-only: history is never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

SEVERITIES = ("error", "warning")
# passed: ran and found nothing; failed: ran and found rows; error: could not run (counts as failed).
STATUSES = ("passed", "failed", "error")

DDL = """
create schema if not exists quality;
create table if not exists quality.check_runs (
    run_id varchar primary key,
    started_at timestamp not null,
    finished_at timestamp,
    trigger varchar not null,          -- dagster run id, 'cli', 'test'
    as_of date not null,               -- the day the checks judged "now"
    data_as_of timestamp               -- latest accepted submission seen when the run started
);
create table if not exists quality.check_results (
    run_id varchar not null,
    check_name varchar not null,       -- stable name, e.g. counties_sum_to_city
    asset_key varchar not null,        -- the asset the check guards, e.g. marts/fct_element_values
    severity varchar not null,         -- error | warning
    status varchar not null,           -- passed | failed | error
    period_code varchar,               -- null: the check as a whole (e.g. could not run)
    checked_rows bigint,
    failed_rows bigint not null default 0,
    message varchar not null,          -- Chinese, for the analyst
    evaluated_at timestamp not null
);
create table if not exists quality.check_failures (
    run_id varchar not null,
    check_name varchar not null,
    severity varchar not null,
    period_code varchar,
    region_code varchar,
    department_code varchar,           -- who must fix it
    form_code varchar,
    subject_code varchar,              -- element or indicator code
    observed varchar,
    expected varchar,
    message varchar not null,          -- what is wrong, in Chinese
    fix varchar,                       -- what the department should do, in Chinese
    submission_id varchar
);
create table if not exists quality.explanations (
    explanation_id varchar primary key,
    check_name varchar not null,
    period_code varchar not null,
    reason varchar not null,
    explained_by varchar not null,
    explained_at timestamp not null,
    run_id varchar,                    -- the check run whose failures it explains
    failure_digest varchar,            -- SHA-256 of those failing rows: it lapses when they change
    failed_rows bigint
);
"""
# Columns added after the first release; warehouses created before get them on the next write.
EXPLANATION_COLUMNS = {"run_id": "varchar", "failure_digest": "varchar", "failed_rows": "bigint"}
# What each run read and whether it evaluated the rules (expectations/reuse.py); beside check_runs,
# which keeps its columns, and added to warehouses created before on their next write.
RUN_INPUTS_DDL = """
create table if not exists quality.run_inputs (
    run_id varchar primary key,
    inputs_digest varchar not null,    -- what the rules read and how they judge
    reused_from varchar                -- inputs unchanged: the results are copies of this run's, not evaluated
)
"""


QUALITY_TABLES = ("check_runs", "check_results", "check_failures", "explanations")


def quality_schema_exists(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'quality' and table_name in (?, ?, ?, ?) and table_catalog = current_database()",
        list(QUALITY_TABLES),
    ).fetchone()[0]
    return found == len(QUALITY_TABLES)


def ensure_quality_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the quality tables if missing (a read-only connection works once they exist)."""
    if not quality_schema_exists(con):
        con.execute(DDL)
    missing = set(EXPLANATION_COLUMNS) - explanation_columns(con)
    for column in sorted(missing):
        con.execute(f"alter table quality.explanations add column {column} {EXPLANATION_COLUMNS[column]}")
    if not run_inputs_exist(con):
        con.execute(RUN_INPUTS_DDL)


def run_inputs_exist(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'quality' and table_name = 'run_inputs'"
    ).fetchone()[0]
    return bool(found)


def reused_from(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """The run whose outcomes `run_id` took over, or None (evaluated, or recorded before reuse existed)."""
    if not run_inputs_exist(con):
        return None
    found = con.execute("select reused_from from quality.run_inputs where run_id = ?", [run_id]).fetchone()
    return found[0] if found else None


def explanation_columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'quality' and table_name = 'explanations' and table_catalog = current_database()"
        ).fetchall()
    }


@dataclass(frozen=True)
class Failure:
    """One row behind a failed check."""

    message: str
    period_code: str | None = None
    region_code: str | None = None
    department_code: str | None = None
    form_code: str | None = None
    subject_code: str | None = None
    observed: str | None = None
    expected: str | None = None
    fix: str | None = None
    submission_id: str | None = None


@dataclass
class CheckOutcome:
    """What one check found in one run. `status='error'` means it could not run: never a pass."""

    check_name: str
    asset_key: str
    severity: str
    status: str
    message: str
    checked_rows: int | None = None
    failures: list[Failure] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def record_outcomes(
    con: duckdb.DuckDBPyConnection, run_id: str, outcomes: Iterable[CheckOutcome], at: datetime
) -> None:
    """Append one check's (or several checks') results: a row per failed period, or one summary row."""
    ensure_quality_schema(con)
    for outcome in outcomes:
        periods = sorted({f.period_code for f in outcome.failures}, key=lambda p: p or "")
        if outcome.status == "failed" and periods:
            for period in periods:
                rows = [f for f in outcome.failures if f.period_code == period]
                con.execute(
                    "insert into quality.check_results values (?, ?, ?, ?, 'failed', ?, ?, ?, ?, ?)",
                    [
                        run_id,
                        outcome.check_name,
                        outcome.asset_key,
                        outcome.severity,
                        period,
                        outcome.checked_rows,
                        len(rows),
                        outcome.message,
                        at,
                    ],
                )
        else:
            con.execute(
                "insert into quality.check_results values (?, ?, ?, ?, ?, null, ?, ?, ?, ?)",
                [
                    run_id,
                    outcome.check_name,
                    outcome.asset_key,
                    outcome.severity,
                    outcome.status,
                    outcome.checked_rows,
                    len(outcome.failures),
                    outcome.message,
                    at,
                ],
            )
        if outcome.failures:
            con.executemany(
                "insert into quality.check_failures values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    [
                        run_id,
                        outcome.check_name,
                        outcome.severity,
                        f.period_code,
                        f.region_code,
                        f.department_code,
                        f.form_code,
                        f.subject_code,
                        f.observed,
                        f.expected,
                        f.message,
                        f.fix,
                        f.submission_id,
                    ]
                    for f in outcome.failures
                ],
            )
