"""Where every submission stands, read without ever waiting for the warehouse.

The portal shows departments and analysts each submission's status, but a build holds DuckDB's
one write lock for about a minute and a locked file cannot even be opened read-only. So every
successful read is also saved to `intake/status.json`; while the warehouse is busy the portal
shows that copy, says how old it is, and its own queued submissions on top.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from core.settings import Settings, local_now
from sources.intake.store import locked_periods, locking_period
from sources.periods import Period

# Latest status of each submission. Events of one instant are ordered by their place in the life cycle.
STATUS_SQL = """
select submission_id,
       arg_max(status, epoch_us(event_at) * 10 + case status
           when 'received' then 0 when 'accepted' then 1 when 'rejected' then 1
           when 'approved' then 2 when 'returned' then 2 when 'superseded' then 3 when 'locked' then 4 else 5 end)
           as status,
       arg_max(note, epoch_us(event_at)) filter (where status in ('returned', 'approved')) as review_note,
       arg_max(actor, epoch_us(event_at)) filter (where status in ('returned', 'approved')) as reviewed_by
from raw.submission_events
group by submission_id
"""
STATUS_LABELS = {
    "received": "已收到",
    "rejected": "退回",
    "accepted": "已接收",
    "superseded": "已被新版本取代",
    "approved": "已审核",
    "returned": "已退回（审核）",
    "locked": "已锁定（已上报）",
}

_ROWS_SQL = f"""
with status as ({STATUS_SQL})
select s.submission_id, s.file_sha256, s.form_code, s.department_code, s.period, s.version, s.outcome,
       st.status, st.review_note, st.reviewed_by, s.received_at, s.error_count, s.warning_count, s.file_name,
       s.inbox_department, s.archive_path, s.is_sample
from raw.submissions as s left join status as st using (submission_id)
order by s.received_at, s.submission_id
"""


@dataclass(frozen=True)
class SubmissionRow:
    submission_id: str
    file_sha256: str
    form_code: str | None
    department_code: str | None
    period: str | None
    version: int | None
    outcome: str
    status: str | None
    review_note: str | None
    reviewed_by: str | None
    received_at: str  # ISO text: the cache is JSON
    error_count: int
    warning_count: int
    file_name: str
    inbox_department: str | None
    archive_path: str
    is_sample: bool

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status or self.outcome, self.status or self.outcome)


@dataclass
class StatusView:
    rows: list[SubmissionRow] = field(default_factory=list)
    locked: frozenset[tuple[str, str, str]] = frozenset()
    as_of: str = ""
    stale: bool = False  # the warehouse was busy: this is the copy saved at `as_of`
    locked_periods: tuple[Period, ...] = ()  # periods of returns submitted upward: nothing more is taken

    def is_locked(self, form_code: str, department_code: str, period: Period) -> bool:
        key = (form_code, department_code, period.code)
        return key in self.locked or locking_period(period, self.locked_periods) is not None

    def for_department(self, department_code: str) -> list[SubmissionRow]:
        return [r for r in self.rows if department_code in (r.department_code, r.inbox_department)]

    def by_sha(self, sha256: str) -> SubmissionRow | None:
        return next((r for r in reversed(self.rows) if r.file_sha256 == sha256), None)


def cache_path(settings: Settings) -> Path:
    return settings.home / "intake" / "status.json"


def read_status(settings: Settings) -> StatusView:
    """The submissions' status from the warehouse, or the saved copy when the warehouse is busy."""
    if not settings.warehouse.exists():
        return StatusView(as_of=_now_text())
    try:
        con = duckdb.connect(str(settings.warehouse), read_only=True)
    except duckdb.Error:
        return _cached(settings)
    try:
        try:
            rows = con.execute(_ROWS_SQL).fetchall()
            locked = con.execute(
                """select distinct s.form_code, s.department_code, s.period from raw.submission_events as e
                   inner join raw.submissions as s using (submission_id) where e.status = 'locked'"""
            ).fetchall()
            periods = locked_periods(con)
        except duckdb.CatalogException:  # no raw tables yet: nothing was ever received
            return StatusView(as_of=_now_text())
    finally:
        con.close()
    view = StatusView(
        [_row(r) for r in rows], frozenset((str(f), str(d), str(p)) for f, d, p in locked), _now_text(), False, periods
    )
    _save(view, cache_path(settings))
    return view


def _row(r: tuple) -> SubmissionRow:
    values = list(r)
    values[10] = values[10].isoformat(sep=" ") if isinstance(values[10], datetime) else str(values[10])
    return SubmissionRow(*values)


def _now_text() -> str:
    return local_now().strftime("%Y-%m-%d %H:%M:%S")


def _save(view: StatusView, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "as_of": view.as_of,
        "locked": sorted(view.locked),
        "locked_periods": [[p.code, p.period_type] for p in view.locked_periods],
        "rows": [asdict(r) for r in view.rows],
    }
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".status-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False)
    os.replace(temp, path)


def _cached(settings: Settings) -> StatusView:
    path = cache_path(settings)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return StatusView(as_of="", stale=True)
    return StatusView(
        [SubmissionRow(**r) for r in payload["rows"]],
        frozenset(tuple(k) for k in payload["locked"]),
        payload["as_of"],
        True,
        tuple(Period.parse(code, kind) for code, kind in payload.get("locked_periods", [])),
    )
