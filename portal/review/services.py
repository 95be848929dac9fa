"""Review actions written to the warehouse's event log (raw.submission_events), as `ipwh approve` does."""

from __future__ import annotations

from django.conf import settings

from core.settings import local_now
from core.warehouse import writer
from sources.intake.store import add_event

# A build holds the warehouse for about a minute; an analyst's click waits a few seconds, then is told.
ATTEMPTS, WAIT_SECONDS = 3, 1.0


def record(submission_id: str, status: str, actor: str, note: str | None) -> None:
    """Append one review event (raises WarehouseUnavailable while a build holds the warehouse)."""
    with writer(settings.IPWH.warehouse, ATTEMPTS, WAIT_SECONDS) as con:
        add_event(con, [submission_id], status, actor, note, local_now())
