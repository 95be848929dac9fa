"""Portal submissions: judged at once, recorded in the warehouse as soon as it is free.

A build holds DuckDB's one write lock for about a minute, and before a deadline many departments
submit within minutes; none of them should wait for a build. So a portal submission is archived and
checked at once by the same code as file intake (`pipeline.judge`: identity, every cell, the form's
rules), which gives the submitter the result immediately; the file then waits in the intake queue
(`intake/queue/<department>/`, named by time and hash, committed by atomic rename) and `merge`
records every queued file through `pipeline.ingest` — the same path as the inbox, which writes the
authoritative receipt with its version — taking the write lock without waiting: when a build holds
it, the files stay queued and the next merge (after the next submission, or the portal server's
timer, or `ipwh portal merge`) records them. A file in the queue is never lost and, because intake
treats the same bytes twice as a no-op, never recorded twice.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from core.raw_zone import RawZoneUnavailable
from core.settings import Settings
from core.warehouse import WarehouseUnavailable
from sources.catalogue import Catalogue, load
from sources.intake.archive import archive_bytes, display_name, sha256_hex
from sources.intake.pipeline import Incoming, Outcome, ingest, judge
from sources.intake.problems import Problem
from sources.intake.readers import sniff
from sources.intake.status import StatusView, SubmissionRow
from sources.intake.validate import Context

_SIDECAR = ".json"


@dataclass
class Preview:
    """What the submitter is told at once: the checks' verdict on the file, before it is recorded."""

    sha256: str
    file_name: str
    received_at: datetime
    outcome: str  # accepted | rejected | duplicate
    problems: list[Problem] = field(default_factory=list)
    form_code: str | None = None
    form_label: str | None = None
    department_code: str | None = None
    department_label: str | None = None
    period: str | None = None
    period_label: str | None = None
    due: date | None = None
    duplicate_of: SubmissionRow | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def queue_root(settings: Settings) -> Path:
    return settings.home / "intake" / "queue"


def precheck(
    data: bytes,
    file_name: str,
    department_code: str,
    settings: Settings,
    status: StatusView,
    catalogue: Catalogue | None = None,
    received_at: datetime | None = None,
) -> Preview:
    """Archive the bytes, then check them as intake will (for `department_code`'s folder)."""
    catalogue = catalogue or load()
    sha = sha256_hex(data)
    archive_bytes(data, sha, sniff(data), settings.archive)  # nothing is parsed before it is kept
    at = (received_at or settings.now()).replace(microsecond=0)
    name = display_name(file_name)
    prior = status.by_sha(sha)
    if prior is not None:
        return Preview(sha, name, at, "duplicate", duplicate_of=prior, department_code=department_code)
    context = Context(
        today=settings.today,
        inbox_department=department_code,
        locked=status.locked,
        locked_periods=status.locked_periods,
    )
    checked, problems, _signature, _format = judge(data, catalogue, context)
    found = checked.assignment if checked else None
    period = checked.period if checked else None
    return Preview(
        sha,
        name,
        at,
        "accepted" if checked is not None and checked.accepted else "rejected",
        problems,
        form_code=found.form.code if found else None,
        form_label=f"{found.form.table_no}《{found.form.name}》" if found else None,
        department_code=found.department_code if found else department_code,
        department_label=f"{found.department_name}（{found.department_code}）" if found else None,
        period=period.code if period else None,
        period_label=period.label if period else None,
        due=period.due(found.form.due_days) if found and period else None,
    )


def enqueue(data: bytes, preview: Preview, department_code: str, settings: Settings, actor: str) -> Path:
    """Put a checked file in the queue (sidecar first, then the file by atomic rename)."""
    folder = queue_root(settings) / department_code
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{preview.received_at:%Y%m%d%H%M%S}-{preview.sha256}"
    sidecar = {"name": preview.file_name, "received_at": preview.received_at.isoformat(), "actor": actor}
    _atomic_write(folder / f"{stem}{_SIDECAR}", json.dumps(sidecar, ensure_ascii=False).encode("utf-8"))
    target = folder / f"{stem}.bin"
    _atomic_write(target, data)
    return target


def pending(settings: Settings) -> list[Incoming]:
    """Queued files not yet recorded, oldest first."""
    root = queue_root(settings)
    if not root.is_dir():
        return []
    items = []
    for path in sorted(root.glob("*/*.bin")):
        try:
            meta = json.loads(path.with_suffix(_SIDECAR).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        at = meta.get("received_at")
        items.append(
            Incoming(
                path,
                inbox_department=path.parent.name,
                remove_after=True,
                name=meta.get("name"),
                received_at=datetime.fromisoformat(at) if at else None,
                actor=meta.get("actor"),
            )
        )
    return items


def merge(settings: Settings, catalogue: Catalogue | None = None) -> list[Outcome] | None:
    """Record every queued file; None (files kept) when another process holds the warehouse."""
    with _merge_lock(settings):
        items = pending(settings)
        if not items:
            return []
        try:
            outcomes = ingest(items, settings, catalogue, actor="portal", wait=False)
        except RawZoneUnavailable as exc:  # recorded and receipted; the failure log says why the zone lags
            outcomes = exc.outcomes
        except WarehouseUnavailable:
            return None
        for item in items:
            if not item.path.exists():  # recorded: its receipt is written, its bytes are archived
                item.path.with_suffix(_SIDECAR).unlink(missing_ok=True)
        return outcomes


@contextmanager
def _merge_lock(settings: Settings) -> Iterator[None]:
    """One merge at a time across threads and processes, so versions are numbered once."""
    root = queue_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".merge.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".queue-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
