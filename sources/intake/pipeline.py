"""Intake end to end: archive → read → validate → raw tables → receipt, for files or the inbox.

For each file, in arrival order: the bytes are archived by SHA-256 before anything parses them;
the same bytes seen before are a no-op that says so; everything else becomes one submission,
accepted whole or rejected whole, with a receipt. Inbox files are removed only after the batch
has committed and the receipts are written (their bytes are in the archive).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from orchestration.settings import TIMEZONE, Settings
from orchestration.warehouse import writer
from sources.catalogue import Catalogue, load
from sources.intake.archive import archive_bytes, display_name, sha256_hex
from sources.intake.problems import Problem, error
from sources.intake.readers import Unreadable, cell_text, read_form, sniff
from sources.intake.receipts import ReceiptData, write_receipt
from sources.intake.store import Batch
from sources.intake.validate import Checked, Context, check_form

_IGNORED_PREFIXES = ("~$", ".")  # Office lock files, hidden files, our own temporary files


@dataclass(frozen=True)
class Incoming:
    path: Path
    inbox_department: str | None = None  # the inbox folder the file came through, if any
    remove_after: bool = False  # inbox files leave the inbox once safely archived and recorded


@dataclass
class Outcome:
    path: Path
    receipt: ReceiptData
    receipt_path: Path | None
    checked: Checked | None

    @property
    def status(self) -> str:
        return self.receipt.outcome


def inbox_files(settings: Settings) -> list[Incoming]:
    """Files waiting in the inbox: `inbox/<department>/<file>` (or directly in `inbox/`)."""
    if not settings.inbox.is_dir():
        return []
    return [
        Incoming(path, inbox_department(path, settings), remove_after=True)
        for path in sorted(settings.inbox.rglob("*"))
        if is_submission_file(path)
    ]


def is_submission_file(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(_IGNORED_PREFIXES)


def inbox_department(path: Path, settings: Settings) -> str | None:
    """The department whose inbox folder holds `path`, or None when it is not in a department folder."""
    resolved, inbox = path.resolve(), settings.inbox.resolve()
    if not resolved.is_relative_to(inbox):
        return None
    parts = resolved.relative_to(inbox).parts
    return parts[0] if len(parts) > 1 else None


def ingest(
    incoming: Iterable[Incoming],
    settings: Settings,
    catalogue: Catalogue | None = None,
    actor: str | None = None,
) -> list[Outcome]:
    """Ingest files as one batch; returns an outcome (with its receipt) per file, in arrival order."""
    catalogue = catalogue or load()
    actor = actor or _actor()
    settings.ensure_dirs()
    items = sorted(incoming, key=lambda i: (_received_at(i.path, settings), str(i.path)))
    outcomes: list[Outcome] = []
    with writer(settings.warehouse) as con:
        batch = Batch.load(con)
        summaries = None
        for item in items:
            is_summary, centre_code = _centre_summary(item, settings)
            if is_summary:  # inbox/centres/<centre>/: an annual summary, not a form
                from sources.centres.summaries import SummaryIntake

                summaries = summaries or SummaryIntake.load(con, catalogue)
                name, at = display_name(item.path.name), _received_at(item.path, settings)
                receipt = summaries.handle(item.path, centre_code, name, at, batch, settings.archive)
                outcomes.append(Outcome(item.path, receipt, None, None))
            else:
                outcomes.append(_one(item, batch, settings, catalogue, actor))
        batch.flush(con)
    for outcome in outcomes:
        folder = settings.receipts / (outcome.receipt.department_code or "_未识别")
        outcome.receipt_path = write_receipt(outcome.receipt, folder)
    for item, outcome in zip(items, outcomes, strict=True):
        if item.remove_after and outcome.receipt_path is not None:
            item.path.unlink(missing_ok=True)
    return outcomes


def _centre_summary(item: Incoming, settings: Settings) -> tuple[bool, str | None]:
    """Whether `item` came through inbox/centres/ (and which centre's folder)."""
    from sources.centres.summaries import CENTRES_FOLDER, centre_folder

    if item.inbox_department != CENTRES_FOLDER:
        return False, None
    resolved, inbox = item.path.resolve(), settings.inbox.resolve()
    if not resolved.is_relative_to(inbox):
        return True, None
    return centre_folder(resolved.relative_to(inbox).parts)


def _one(item: Incoming, batch: Batch, settings: Settings, catalogue: Catalogue, actor: str) -> Outcome:
    name = display_name(item.path.name)
    received_at = _received_at(item.path, settings)
    try:
        data = item.path.read_bytes()
    except OSError as exc:
        # Nothing was read, so nothing can be archived: report it without a submission.
        problem = error("unreadable_path", f"无法读取文件：{exc.strerror or exc}", "请检查文件是否存在、是否有读取权限")
        receipt = ReceiptData(None, name, "", received_at, "rejected", [problem])
        return Outcome(item.path, receipt, None, None)
    sha = sha256_hex(data)
    prior = batch.known_files.get(sha)
    # The same bytes again change nothing, unless they were refused only because the period had
    # not ended yet: then the same file sent after the period ends is judged anew.
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
    kind = sniff(data)
    archive_path = archive_bytes(data, sha, kind, settings.archive)
    submission_id = batch.new_id(received_at, sha)
    checked: Checked | None = None
    try:
        raw = read_form(data)
        context = Context(
            today=settings.today,
            inbox_department=item.inbox_department,
            locked=batch.locked,
            locked_periods=batch.locked_periods,
        )
        checked = check_form(raw, catalogue, context)
        problems = checked.problems
        signature = raw.signature
        file_format = raw.file_format
    except Unreadable as exc:
        problems = [exc.problem]
        signature = {}
        file_format = "unknown"
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
    problem_rows = [_problem_row(submission_id, sha, p) for p in problems]
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


def _problem_row(submission_id: str, sha: str, p: Problem) -> dict[str, object]:
    return {
        "submission_id": submission_id,
        "file_sha256": sha,
        "severity": p.severity,
        "problem_code": p.code,
        "sheet": p.sheet,
        "cell": p.cell,
        "element_code": p.element_code,
        "found": p.found,
        "message": p.message,
        "fix": p.fix,
    }


def _received_at(path: Path, settings: Settings) -> datetime:
    """When the file reached us: its modification time (when it was dropped), never later than now.

    "Now" is `settings.now()`: on a pinned day (IPWH_TODAY) a file dropped later is received that day.
    """
    now = settings.now()
    try:
        mtime = datetime.fromtimestamp(path.stat().st_mtime, TIMEZONE).replace(tzinfo=None, microsecond=0)
    except OSError:
        return now.replace(microsecond=0)
    return min(mtime, now.replace(microsecond=0))


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "ipwh"
