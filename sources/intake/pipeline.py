"""Intake end to end: archive → read → validate → raw tables → receipt, for files or the inbox.

For each file, in arrival order: the bytes are archived by SHA-256 before anything parses them;
the same bytes seen before are a no-op that says so; everything else becomes one submission,
accepted whole or rejected whole, with a receipt. Whatever reading one file raises becomes that
file's rejection (and a line in the failure log), never the batch's failure.

Crash safety, all under the one writer lock: the batch commits, then the receipts are written, then
the inbox files are removed (their bytes are in the archive). Receipts derive from the committed
rows, so the next intake first writes any receipt a crash left missing and removes the temporaries
it left; a file still in the inbox whose submission was committed (same bytes, name, drop time and
folder) is the same drop, not a resend: it gets its original receipt and leaves the inbox.
Links and other non-regular files are never followed: refused with a receipt, nothing archived.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from core.failure_log import record_raw_zone_failure
from core.faults import fault_point
from core.raw_zone import RawZoneUnavailable, mark_pending, publish
from core.settings import TIMEZONE, Settings
from core.warehouse import writer
from sources.catalogue import Catalogue, load
from sources.centres.summaries import restore_summary_receipts
from sources.intake import temporaries
from sources.intake.archive import archive_bytes, display_name, sha256_hex
from sources.intake.problems import Problem, error, problem_row
from sources.intake.readers import Unreadable, cell_text, failure_problem, read_form
from sources.intake.readers import file_format as detect_format
from sources.intake.receipt_rows import receipt_from_rows, restore_receipts
from sources.intake.receipts import ReceiptData, receipt_folder, write_receipt
from sources.intake.store import Batch, PriorFile
from sources.intake.validate import Checked, Context, check_form

_IGNORED_PREFIXES = ("~$", ".")  # Office lock files, hidden files, our own temporary files


@dataclass(frozen=True)
class Incoming:
    path: Path
    inbox_department: str | None = None  # the inbox folder the file came through, if any
    remove_after: bool = False  # inbox files leave the inbox once safely archived and recorded
    # Portal submissions wait in the intake queue under their hash: these carry what the sender saw.
    name: str | None = None  # the file name the sender chose (shown, never used as a path)
    received_at: datetime | None = None  # when the sender submitted it
    actor: str | None = None  # the portal account that submitted it


@dataclass
class Outcome:
    path: Path
    receipt: ReceiptData
    receipt_path: Path | None
    checked: Checked | None
    # Already recorded from this very drop (an intake stopped before it emptied the inbox, or the same
    # file with the same drop time again): the original receipt, nothing new recorded.
    recorded_before: bool = False

    @property
    def status(self) -> str:
        return self.receipt.outcome

    @property
    def is_new(self) -> bool:
        """Whether this call recorded something (a duplicate or an earlier drop records nothing)."""
        return not self.recorded_before and self.status != "duplicate"


class _Vanished(Exception):
    """An inbox file another intake took between listing and reading: nothing to do."""


def inbox_files(settings: Settings) -> list[Incoming]:
    """Entries waiting in the inbox: `inbox/<department>/<file>` (or directly in `inbox/`).

    Links (to files or folders) and other non-regular entries are listed too, never followed, so
    intake can refuse them with a receipt."""
    if not settings.inbox.is_dir():
        return []
    found: list[Path] = []
    for folder, dirs, files in os.walk(settings.inbox, followlinks=False):
        base = Path(folder)
        found += [base / name for name in files]
        found += [base / name for name in dirs if (base / name).is_symlink()]
    return [
        Incoming(path, inbox_department(path, settings), remove_after=True)
        for path in sorted(found)
        if is_submission_file(path)
    ]


def is_submission_file(path: Path) -> bool:
    """Anything but a folder (or a name we ignore); links are candidates, to be refused, not skipped."""
    if path.name.startswith(_IGNORED_PREFIXES):
        return False
    try:
        mode = path.lstat().st_mode
    except OSError:
        return False
    return not stat.S_ISDIR(mode)


def inbox_department(path: Path, settings: Settings) -> str | None:
    """The department whose inbox folder holds `path`, or None when it is not in a department folder."""
    inbox = settings.inbox.resolve()
    where = path.parent.resolve() / path.name  # the entry itself, not what a link points at
    if not where.is_relative_to(inbox):
        return None
    parts = where.relative_to(inbox).parts
    return parts[0] if len(parts) > 1 else None


def ingest(
    incoming: Iterable[Incoming],
    settings: Settings,
    catalogue: Catalogue | None = None,
    actor: str | None = None,
    wait: bool = True,
) -> list[Outcome]:
    """Ingest files as one batch; returns an outcome (with its receipt) per file, in arrival order.

    `wait=False` gives up at once (WarehouseUnavailable) when another process holds the warehouse,
    as the portal's queue merge does: its files simply stay queued for the next attempt."""
    catalogue = catalogue or load()
    actor = actor or _actor()
    settings.ensure_dirs()
    items = sorted(incoming, key=lambda i: (_received_at(i, settings), str(i.path)))
    done: list[tuple[Incoming, Outcome]] = []
    with writer(settings.warehouse, attempts=None if wait else 1) as con:
        temporaries.sweep(settings.receipts, temporaries.RECEIPT)
        temporaries.sweep(settings.archive, temporaries.INCOMING)
        batch = Batch.load(con)
        restore_receipts(con, settings.receipts, catalogue)  # a crash after an earlier commit
        restore_summary_receipts(con, settings.receipts, settings.archive, catalogue)
        summaries = None
        for item in items:
            try:
                is_summary, centre_code = _centre_summary(item, settings)
                if is_summary:  # inbox/centres/<centre>/: an annual summary, not a form
                    from sources.centres.summaries import SummaryIntake

                    summaries = summaries or SummaryIntake.load(con, catalogue)
                    name, at = display_name(item.path.name), _received_at(item, settings)
                    data = _read(item, name, at)
                    if isinstance(data, ReceiptData):
                        done.append((item, Outcome(item.path, data, None, None)))
                        continue
                    receipt = summaries.handle(
                        data, centre_code, name, at, batch, settings.archive, inbox_file=item.remove_after
                    )
                    done.append((item, Outcome(item.path, receipt, None, None)))
                else:
                    done.append((item, _one(item, batch, con, settings, catalogue, actor)))
            except _Vanished:
                continue
        changed = batch.changed_tables()
        mark_pending(settings, changed)  # before the commit: a crash after it still republishes them
        batch.flush(con)
        fault_point("intake_after_commit")
        for _, outcome in done:
            outcome.receipt_path = write_receipt(
                outcome.receipt, receipt_folder(settings.receipts, outcome.receipt.department_code)
            )
            fault_point("intake_mid_receipts")
        for item, _ in done:
            if item.remove_after:
                _remove(item.path)
        fault_point("intake_after_inbox_cleanup")
        try:
            publish(con, settings, changed)  # IPWH_RAW_ZONE: the changed raw tables as Parquet
        except RawZoneUnavailable as exc:
            exc.outcomes = [outcome for _, outcome in done]  # recorded and receipted all the same
            record_raw_zone_failure(settings, str(exc))
            raise
    return [outcome for _, outcome in done]


def _remove(path: Path) -> None:
    """Take a file (or a refused link, never its target) out of the inbox."""
    with contextlib.suppress(OSError):  # e.g. a read-only inbox: the next intake finds the same drop again
        path.unlink(missing_ok=True)


def _read(item: Incoming, name: str, received_at: datetime) -> bytes | ReceiptData:
    """The file's bytes, opened without following a link; a refusal receipt for a link, a device,
    a pipe or an unreadable path (nothing is read from those, and nothing archived)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(item.path, flags)
    except OSError as exc:
        if exc.errno == errno.ENOENT and item.remove_after:
            raise _Vanished from exc
        if exc.errno == errno.ELOOP or item.path.is_symlink():
            return _refusal(item, name, received_at, _LINK)
        problem = error("unreadable_path", f"无法读取文件：{exc.strerror or exc}", "请检查文件是否存在、是否有读取权限")
        return _refusal(item, name, received_at, problem)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return _refusal(item, name, received_at, _SPECIAL)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    except OSError as exc:
        problem = error("unreadable_path", f"无法读取文件：{exc.strerror or exc}", "请检查文件是否存在、是否有读取权限")
        return _refusal(item, name, received_at, problem)
    finally:
        os.close(fd)


_LINK = error(
    "link_refused",
    "收件箱中的这一项是链接（快捷方式），不是文件：系统不读取链接指向的内容，未归档、未入库，该链接已移出收件箱",
    "请把填好的报表文件本身（不是链接）放入收件箱",
)
_SPECIAL = error(
    "not_a_regular_file",
    "收件箱中的这一项不是普通文件（如管道或设备）：系统未读取、未归档、未入库，已移出收件箱",
    "请把填好的报表文件本身放入收件箱",
)


def _refusal(item: Incoming, name: str, received_at: datetime, problem: Problem) -> ReceiptData:
    return ReceiptData(None, name, "", received_at, "rejected", [problem], department_code=item.inbox_department)


def _centre_summary(item: Incoming, settings: Settings) -> tuple[bool, str | None]:
    """Whether `item` came through inbox/centres/ (and which centre's folder)."""
    from sources.centres.summaries import CENTRES_FOLDER, centre_folder

    if item.inbox_department != CENTRES_FOLDER:
        return False, None
    resolved, inbox = item.path.resolve(), settings.inbox.resolve()
    if not resolved.is_relative_to(inbox):
        return True, None
    return centre_folder(resolved.relative_to(inbox).parts)


def _one(
    item: Incoming,
    batch: Batch,
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    catalogue: Catalogue,
    actor: str,
) -> Outcome:
    name = display_name(item.name or item.path.name)
    received_at = _received_at(item, settings)
    actor = item.actor or actor
    data = _read(item, name, received_at)
    if isinstance(data, ReceiptData):
        return Outcome(item.path, data, None, None)
    sha = sha256_hex(data)
    prior = batch.known_files.get(sha)
    if prior is not None and item.remove_after and _same_drop(prior, name, received_at, item.inbox_department):
        # Recorded by an intake that stopped before it could remove the file: its original receipt.
        receipt = receipt_from_rows(con, catalogue, prior.submission_id)
        if receipt is not None:
            return Outcome(item.path, receipt, None, None, recorded_before=True)
    # The same bytes again change nothing, unless they were refused only because the period had
    # not ended yet (or reading them raised): then the same file sent again is judged anew.
    if prior is not None and sha not in batch.retryable:
        receipt = ReceiptData(
            None,
            name,
            sha,
            received_at,
            "duplicate",
            duplicate_of=prior.submission_id,
            duplicate_received_at=prior.received_at,
            duplicate_outcome=prior.outcome,
        )
        return Outcome(item.path, receipt, None, None)
    batch.retryable.discard(sha)
    archive_path = archive_bytes(data, sha, detect_format(data, name), settings.archive)
    submission_id = batch.new_id(received_at, sha)
    checked: Checked | None = None
    signature: dict[str, str] = {}
    file_format = "unknown"
    try:
        raw = read_form(data, name)
        signature, file_format = raw.signature, raw.file_format
        context = Context(
            today=settings.today,
            inbox_department=item.inbox_department,
            locked=batch.locked,
            locked_periods=batch.locked_periods,
        )
        checked = check_form(raw, catalogue, context)
        problems = checked.problems
    except Unreadable as exc:
        problems = [exc.problem]
    except Exception as exc:  # one damaged file must never stop the other departments' files
        checked = None
        problems = [failure_problem(exc)]
        from core.failure_log import record_file_failure

        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:400]
        record_file_failure(settings, name, submission_id, sha, reason)
    accepted = checked is not None and checked.accepted
    found = checked.assignment if checked else None
    period = checked.period if checked else None
    sample = bool(checked and checked.sample)
    submission: dict[str, object] = {
        "submission_id": submission_id,
        "file_sha256": sha,
        "file_name": name,
        "archive_path": archive_path,
        "file_format": file_format,
        "received_at": received_at,
        "inbox_department": item.inbox_department,
        "form_code": found.form.code if found else None,
        "template_version": found.form.template_version if found else None,
        "department_code": found.department_code if found else None,
        "region_code": found.region_code if found else None,
        "period": period.code if period else None,
        "period_type": period.period_type if period else None,
        "outcome": "accepted" if accepted else "rejected",
        "error_count": sum(p.severity == "error" for p in problems),
        "warning_count": sum(p.severity == "warning" for p in problems),
        "is_sample": sample,
        "filled_by": signature.get("filled_by") or None,
        "phone": signature.get("phone") or None,
        "reported_on": signature.get("reported_on") or None,
    }
    values = []
    task_reports = []
    if accepted and checked and found and period:
        for task in checked.task_values:  # task-report forms; empty on element forms
            if task.status is None and task.progress is None:
                continue  # a task not yet due, left blank: nothing reported
            task_reports.append(
                {
                    "submission_id": submission_id,
                    "task_code": task.task_code,
                    "department_code": found.department_code,
                    "period_code": period.code,
                    "status": task.status,
                    "progress_text": task.progress,
                    "sheet": task.status_entry.sheet,
                    "cell": task.status_entry.cell,
                    "progress_cell": task.progress_entry.cell if task.progress_entry else None,
                    "sha256": sha,
                    "received_at": received_at,
                    "is_sample": sample,
                }
            )
        for entry, value in checked.values:
            values.append(
                {
                    "submission_id": submission_id,
                    "form_code": found.form.code,
                    "department_code": found.department_code,
                    "region_code": found.region_code,
                    "period": period.code,
                    "period_type": period.period_type,
                    "element_code": entry.element_code,
                    "value": value,
                    "raw_text": None if entry.raw is None else cell_text(entry.raw)[:200],
                    "sheet": entry.sheet,
                    "cell": entry.cell,
                    "file_sha256": sha,
                    "received_at": received_at,
                    "is_sample": sample,
                }
            )
    problem_rows = [problem_row(submission_id, sha, p) for p in problems]
    version, superseded = batch.add(submission, values, problem_rows, actor, task_reports)
    receipt = ReceiptData(
        submission_id,
        name,
        sha,
        received_at,
        "accepted" if accepted else "rejected",
        problems,
        form_label=f"{found.form.table_no}《{found.form.name}》（模板版本 {found.form.template_version}）"
        if found
        else None,
        department_label=f"{found.department_name}（{found.department_code}）" if found else None,
        department_code=found.department_code if found else item.inbox_department,
        period_label=period.label if period else None,
        due=period.due(found.form.due_days) if found and period else None,
        version=version,
        superseded=superseded,
        is_sample=sample,
    )
    return Outcome(item.path, receipt, None, checked)


def _same_drop(prior: PriorFile, name: str, received_at: datetime, inbox: str | None) -> bool:
    return (prior.file_name, prior.received_at, prior.inbox_department) == (name, received_at, inbox)


def judge(
    data: bytes, catalogue: Catalogue, context: Context
) -> tuple[Checked | None, list[Problem], dict[str, str], str]:
    """Read and check one file's bytes as `ingest` does, recording nothing (the portal's immediate
    verdict): (checked form or None if unreadable, problems, signature, format)."""
    try:
        raw = read_form(data)
    except Unreadable as exc:
        return None, [exc.problem], {}, "unknown"
    except Exception as exc:  # a damaged file gets a receipt, never a traceback
        return None, [failure_problem(exc)], {}, "unknown"
    try:
        checked = check_form(raw, catalogue, context)
    except Exception as exc:
        return None, [failure_problem(exc)], raw.signature, raw.file_format
    return checked, checked.problems, raw.signature, raw.file_format


def _received_at(item: Incoming, settings: Settings) -> datetime:
    """When the file reached us: when it was submitted in the portal, else its modification time in
    the inbox (when it was dropped); never later than now.

    "Now" is `settings.now()`: on a pinned day (IPWH_TODAY) a file dropped later is received that day.
    """
    now = settings.now().replace(microsecond=0)
    if item.received_at is not None:
        return min(item.received_at.replace(microsecond=0), now)
    try:
        mtime = datetime.fromtimestamp(item.path.lstat().st_mtime, TIMEZONE).replace(tzinfo=None, microsecond=0)
    except OSError:
        return now
    return min(mtime, now)


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "ipwh"
