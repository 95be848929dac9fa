"""The gate: may a return for a period be built? One answer for every run path (Dagster, CLI).

A return for period P may be built only when the latest check run saw the latest data and, among
the results that concern P, no error-severity check failed or could not run and every failed
warning carries an analyst's written explanation. Explained warnings travel into the return's notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from expectations.explain import standing_explanations
from expectations.results import quality_schema_exists, reused_from
from sources.periods import Period


@dataclass(frozen=True)
class GateIssue:
    check_name: str
    severity: str
    status: str
    period_code: str | None
    message: str
    failed_rows: int
    explanation: str | None = None
    explained_by: str | None = None
    explained_at: datetime | None = None


@dataclass(frozen=True)
class GateDecision:
    period_code: str
    run_id: str | None
    checked_at: datetime | None
    blockers: tuple[GateIssue, ...]
    explained: tuple[GateIssue, ...]
    reused_from: str | None = None  # the judged run took this run's outcomes over (its inputs had not changed)

    @property
    def passed(self) -> bool:
        return not self.blockers


def periods_in_scope(period: Period) -> tuple[date, date]:
    """The period ends a return for `period` reads: the year up to its end (同比, the latest 年报)."""
    end = period.end
    return date(end.year - 1, end.month, 1), end


def gate_decision(con: duckdb.DuckDBPyConnection, period: Period) -> GateDecision:
    """Works on a read-only connection: it only reads the quality tables (absent = checks never ran)."""
    run = None
    if quality_schema_exists(con):
        run = con.execute(
            "select run_id, finished_at, data_as_of from quality.check_runs "
            "where finished_at is not null order by finished_at desc limit 1"
        ).fetchone()
    if run is None:
        missing = GateIssue("quality_checks_ran", "error", "error", None, "质量检查尚未运行：请先运行 ipwh run。", 0)
        return GateDecision(period.code, None, None, (missing,), ())
    run_id, finished_at, data_as_of = run
    blockers: list[GateIssue] = []
    latest_data = latest_acceptance(con)
    if latest_data is not None and (data_as_of is None or latest_data > data_as_of):
        blockers.append(
            GateIssue(
                "quality_checks_ran",
                "error",
                "error",
                None,
                f"最近一次质量检查（{finished_at:%Y-%m-%d %H:%M}）之后又收到了新数据：请重新运行 ipwh run。",
                0,
            )
        )
    first, last = periods_in_scope(period)
    rows = con.execute(
        """
        select check_name, severity, status, period_code, message, failed_rows
        from quality.check_results
        where run_id = ? and status <> 'passed'
        order by severity, check_name, period_code
        """,
        [run_id],
    ).fetchall()
    # An explanation counts only for the failing rows it was written about.
    standing, lapsed = standing_explanations(con, run_id)
    explained: list[GateIssue] = []
    for name, severity, status, code, message, failed in rows:
        if code is not None and not _in_scope(code, first, last):
            continue
        note = standing.get((name, code))
        if severity == "warning" and status == "failed" and note is not None:
            explained.append(
                GateIssue(
                    name, severity, status, code, message, failed, note.reason, note.explained_by, note.explained_at
                )
            )
            continue
        if (name, code) in lapsed:
            message = f"{message}（此前的书面说明针对的问题记录已变化，说明失效，须重新说明）"
        blockers.append(GateIssue(name, severity, status, code, message, failed))
    return GateDecision(period.code, run_id, finished_at, tuple(blockers), tuple(explained), reused_from(con, run_id))


def _in_scope(period_code: str, first: date, last: date) -> bool:
    try:
        end = Period.parse(period_code).end
    except ValueError:
        return True  # an unreadable period cannot be ruled out
    return first <= end <= last


def latest_acceptance(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The latest acceptance of any submission now in raw (the counterpart of the run's data_as_of)."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw' and table_name = 'submission_events' and table_catalog = current_database()"
    ).fetchone()[0]
    if not exists:
        return None
    return con.execute("select max(event_at) from raw.submission_events where status = 'accepted'").fetchone()[0]
