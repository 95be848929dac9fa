"""Write intake's results to the raw tables: whole files, in one transaction per batch.

The batch is built in memory and inserted at once (a few inserts per batch instead of a few per
figure), which is what makes a thousand forms load in seconds. Either the whole batch commits or
nothing does; the files stay in the inbox until it has, so a crash loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import duckdb
import pandas as pd

from core.faults import fault_point
from sources.intake.problems import Problem, error
from sources.intake.raw_schema import ensure_raw_schema
from sources.periods import Period

SUBMISSION_COLUMNS = (
    "submission_id",
    "file_sha256",
    "file_name",
    "archive_path",
    "file_format",
    "received_at",
    "inbox_department",
    "form_code",
    "template_version",
    "department_code",
    "region_code",
    "period",
    "period_type",
    "version",
    "outcome",
    "error_count",
    "warning_count",
    "is_sample",
    "filled_by",
    "phone",
    "reported_on",
)
VALUE_COLUMNS = (
    "submission_id",
    "version",
    "form_code",
    "department_code",
    "region_code",
    "period",
    "period_type",
    "element_code",
    "value",
    "raw_text",
    "sheet",
    "cell",
    "file_sha256",
    "received_at",
    "is_sample",
)
PROBLEM_COLUMNS = (
    "submission_id",
    "file_sha256",
    "severity",
    "problem_code",
    "sheet",
    "cell",
    "element_code",
    "found",
    "message",
    "fix",
)
EVENT_COLUMNS = ("submission_id", "status", "event_at", "actor", "note")
TASK_REPORT_COLUMNS = (
    "submission_id",
    "version",
    "task_code",
    "department_code",
    "period_code",
    "status",
    "progress_text",
    "sheet",
    "cell",
    "progress_cell",
    "sha256",
    "received_at",
    "is_sample",
)
CENTRE_SUMMARY_COLUMNS = (
    "summary_id",
    "centre_code",
    "inbox_folder",
    "summary_year",
    "sha256",
    "file_name",
    "archive_path",
    "file_kind",
    "received_at",
    "outcome",
    "problem",
    "is_sample",
)

Key = tuple[str, str, str]  # (form_code, department_code, period)


@dataclass(frozen=True)
class PriorFile:
    submission_id: str
    received_at: datetime
    outcome: str
    version: int | None
    file_name: str | None = None
    inbox_department: str | None = None


@dataclass
class Batch:
    """What is already in the warehouse (loaded once) plus what this batch adds."""

    known_files: dict[str, PriorFile]
    latest_accepted: dict[Key, tuple[str, int]]  # key -> (submission_id, version)
    locked: frozenset[Key]
    locked_periods: tuple[Period, ...]  # submitted returns: nothing more is taken for a period inside one
    retryable: set[str]  # hashes of files rejected only for reasons that time cures (period not ended)
    submission_ids: set[str]
    submissions: list[dict[str, object]] = field(default_factory=list)
    values: list[dict[str, object]] = field(default_factory=list)
    problems: list[dict[str, object]] = field(default_factory=list)
    events: list[dict[str, object]] = field(default_factory=list)
    task_reports: list[dict[str, object]] = field(default_factory=list)
    centre_summaries: list[dict[str, object]] = field(default_factory=list)  # sources.centres.summaries

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> Batch:
        ensure_raw_schema(con)
        # The latest submission of each file's bytes (a retried file has several).
        known = {
            sha: PriorFile(sid, at, outcome, version, name, inbox)
            for sha, sid, at, outcome, version, name, inbox in con.execute(
                "select file_sha256, submission_id, received_at, outcome, version, file_name, inbox_department "
                "from raw.submissions order by received_at, submission_id"
            ).fetchall()
        }
        latest = {
            (form, dept, period): (sid, version)
            for form, dept, period, sid, version in con.execute(
                """
                select form_code, department_code, period, arg_max(submission_id, version), max(version)
                from raw.submissions where outcome = 'accepted'
                group by all
                """
            ).fetchall()
        }
        retryable = {
            sha
            for (sha,) in con.execute(
                """
                select s.file_sha256
                from raw.submissions as s
                inner join raw.submission_problems as p using (submission_id)
                where s.outcome = 'rejected' and p.severity = 'error'
                group by s.file_sha256
                having bool_and(p.problem_code in ('period_not_ended', 'intake_error'))
                    and s.file_sha256 not in (select file_sha256 from raw.submissions where outcome = 'accepted')
                """
            ).fetchall()
        }
        ids = {sid for (sid,) in con.execute("select submission_id from raw.submissions").fetchall()}
        return cls(known, latest, locked_keys(con), locked_periods(con), retryable, ids)

    def new_id(self, received_at: datetime, sha256: str) -> str:
        base = f"S{received_at:%Y%m%d%H%M%S}{sha256[:8]}"
        candidate, n = base, 1
        while candidate in self.submission_ids:
            n += 1
            candidate = f"{base}r{n}"
        self.submission_ids.add(candidate)
        return candidate

    def add(
        self,
        submission: dict[str, object],
        values: list[dict[str, object]],
        problems: list[dict[str, object]],
        actor: str,
        task_reports: list[dict[str, object]] | None = None,
    ) -> tuple[int | None, str | None]:
        """Add one file's rows; returns (version, superseded submission id) for accepted files.

        `values` are an element form's figures, `task_reports` a task-report form's rows; both get
        the submission's version."""
        sid = str(submission["submission_id"])
        at = submission["received_at"]
        version: int | None = None
        superseded: str | None = None
        self.events.append({"submission_id": sid, "status": "received", "event_at": at, "actor": actor, "note": None})
        if submission["outcome"] == "accepted":
            key = (str(submission["form_code"]), str(submission["department_code"]), str(submission["period"]))
            previous = self.latest_accepted.get(key)
            version = previous[1] + 1 if previous else 1
            if previous:
                superseded = previous[0]
                self.events.append(
                    {
                        "submission_id": superseded,
                        "status": "superseded",
                        "event_at": at,
                        "actor": actor,
                        "note": f"被第 {version} 版（{sid}）取代",
                    }
                )
            self.latest_accepted[key] = (sid, version)
            for row in [*values, *(task_reports or [])]:
                row["version"] = version
            self.values.extend(values)
            self.task_reports.extend(task_reports or [])
        submission["version"] = version
        self.events.append(
            {"submission_id": sid, "status": submission["outcome"], "event_at": at, "actor": actor, "note": None}
        )
        self.submissions.append(submission)
        self.problems.extend(problems)
        self.known_files[str(submission["file_sha256"])] = PriorFile(
            sid,
            at,  # type: ignore[arg-type]
            str(submission["outcome"]),
            version,
            str(submission["file_name"]),
            submission["inbox_department"],  # type: ignore[arg-type]
        )
        return version, superseded

    def _rows(self) -> dict[str, tuple[list[dict[str, object]], tuple[str, ...]]]:
        """Each raw table the batch writes: its rows and columns."""
        return {
            "submissions": (self.submissions, SUBMISSION_COLUMNS),
            "submission_values": (self.values, VALUE_COLUMNS),
            "submission_problems": (self.problems, PROBLEM_COLUMNS),
            "submission_events": (self.events, EVENT_COLUMNS),
            "task_reports": (self.task_reports, TASK_REPORT_COLUMNS),
            "centre_summaries": (self.centre_summaries, CENTRE_SUMMARY_COLUMNS),
        }

    def changed_tables(self) -> list[str]:
        """The raw tables `flush` will add rows to."""
        if not self.submissions and not self.centre_summaries:
            return []
        return [table for table, (rows, _) in self._rows().items() if rows]

    def flush(self, con: duckdb.DuckDBPyConnection) -> None:
        if not self.submissions and not self.centre_summaries:
            return
        frames = {table: _frame(rows, columns) for table, (rows, columns) in self._rows().items()}
        con.execute("begin transaction")
        try:
            for table, frame in frames.items():
                if len(frame):
                    con.register("incoming", frame)
                    columns = ", ".join(frame.columns)
                    con.execute(f"insert into raw.{table} ({columns}) select {columns} from incoming")
                    con.unregister("incoming")
            fault_point("intake_before_commit")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        self.submissions, self.values, self.problems, self.events = [], [], [], []
        self.task_reports, self.centre_summaries = [], []


def _frame(rows: list[dict[str, object]], columns: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    if "value" in frame.columns:
        # Exact decimals travel as text and are cast by DuckDB, never through binary floats.
        frame["value"] = [None if v is None else format(v, "f") for v in frame["value"]]
    return frame


def locked_periods(con: duckdb.DuckDBPyConnection) -> tuple[Period, ...]:
    """The periods of every return submitted upward (returns.submissions; none before the first)."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'returns' and table_name = 'submissions'"
    ).fetchone()[0]
    if not exists:
        return ()
    rows = con.execute("select distinct period_code, period_type from returns.submissions order by 1").fetchall()
    return tuple(Period.parse(code, kind) for code, kind in rows)


def locking_period(period: Period, locked: tuple[Period, ...]) -> Period | None:
    """The submitted return whose period contains `period` (2026-08 and 2026Q3 lie in 2026Q3), if any."""
    for candidate in locked:
        if candidate.start <= period.start and period.end <= candidate.end:
            return candidate
    return None


def period_locked_problem(period: Period, locking: Period | None, **where: str) -> Problem:
    """The error every kind of submission (forms, task reports, centre summaries) gets inside a locked period."""
    because = f"{locking.label}的上报报表已报送" if locking is not None else "所依据的上报报表已报送"
    return error(
        "period_locked",
        f"{period.label}的数据已锁定（{because}），不能再报送或修改",
        "如确需更正，请联系知识产权局分析人员办理数据更正（更正将作为新版本并在报表中注明）",
        found=period.code,
        **where,
    )


def locked_keys(con: duckdb.DuckDBPyConnection) -> frozenset[Key]:
    rows = con.execute(
        """
        select distinct s.form_code, s.department_code, s.period
        from raw.submission_events as e
        inner join raw.submissions as s using (submission_id)
        where e.status = 'locked'
        """
    ).fetchall()
    return frozenset((f, d, p) for f, d, p in rows)


def add_event(
    con: duckdb.DuckDBPyConnection, submission_ids: list[str], status: str, actor: str, note: str | None, at: datetime
) -> None:
    con.executemany(
        "insert into raw.submission_events values (?, ?, ?, ?, ?)",
        [(sid, status, at, actor, note) for sid in submission_ids],
    )


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")
