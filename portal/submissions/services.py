"""What the submitters' views do, kept out of the views: check, remember, queue, merge.

Every path goes through sources/intake (queue.precheck → pipeline.judge, then queue.merge →
pipeline.ingest): the portal adds no checks of its own and writes nothing the CLI does not.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from portal.submissions.models import PortalSubmission
from sources.intake import queue
from sources.intake.queue import Preview
from sources.intake.status import StatusView, read_status

log = logging.getLogger(__name__)


def status() -> StatusView:
    return read_status(settings.IPWH)


def problem_dicts(preview: Preview) -> list[dict[str, object]]:
    return [dict(asdict(p), where=p.where) for p in [*preview.errors, *preview.warnings]]


def receive(
    data: bytes,
    file_name: str,
    department_code: str,
    user: AbstractBaseUser,
    channel: str,
    fallback_form: str,
    fallback_period: str,
    note: str = "",
) -> tuple[PortalSubmission, Preview]:
    """Check a submission at once and remember it; queue it unless it only awaits a 说明."""
    preview = queue.precheck(data, file_name, department_code, settings.IPWH, status())
    record = PortalSubmission.objects.create(
        user=user,
        department_code=department_code,
        form_code=preview.form_code or fallback_form,
        period=preview.period or fallback_period,
        channel=channel,
        file_name=preview.file_name,
        sha256=preview.sha256,
        submitted_at=timezone.make_aware(preview.received_at),
        outcome=preview.outcome,
        problems=problem_dicts(preview),
        preview=_summary(preview),
        note=note,
    )
    if preview.outcome != "duplicate" and (note or not (preview.outcome == "accepted" and preview.warnings)):
        send(record, data)
    return record, preview


def send(record: PortalSubmission, data: bytes) -> None:
    """Queue the file for the warehouse, then try to record it now (without waiting for a build)."""
    at = timezone.localtime(record.submitted_at).replace(tzinfo=None)
    preview = Preview(record.sha256, record.file_name, at, record.outcome)
    queue.enqueue(data, preview, record.department_code, settings.IPWH, f"portal:{record.user.get_username()}")
    record.queued = True
    record.save(update_fields=["queued", "note"])
    merge_now()


def merge_now() -> bool:
    """Record queued files if the warehouse is free; False when a build holds it (they stay queued)."""
    try:
        merged = queue.merge(settings.IPWH)
    except Exception:  # a merge failure must never lose the submitter's receipt; the queue keeps the file
        log.exception("合并网上报送队列失败")
        return False
    if merged is None:
        return False
    read_status(settings.IPWH)  # refresh the saved copy while the warehouse is free
    return True


def _summary(preview: Preview) -> dict[str, object]:
    return {
        "form_label": preview.form_label,
        "department_label": preview.department_label,
        "period_label": preview.period_label,
        "due": preview.due.isoformat() if preview.due else None,
        "received_at": preview.received_at.strftime("%Y-%m-%d %H:%M:%S"),
        "duplicate_of": preview.duplicate_of.submission_id if preview.duplicate_of else None,
        "error_count": len(preview.errors),
        "warning_count": len(preview.warnings),
    }
