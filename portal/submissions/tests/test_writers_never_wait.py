"""A submission gets its receipt while another process holds the warehouse's write lock (as a build
does for about a minute); the queued file is recorded once the lock is released, never twice."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.settings import Settings
from portal.conftest import FORM, GULOU, PERIOD, filled_form
from portal.submissions.models import PortalSubmission
from portal.submissions.services import merge_now
from sources.intake import queue
from sources.intake.status import read_status
from tests.form_files import CREATION_VALUES

pytestmark = pytest.mark.django_db

_HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])  # the one writing connection, as dbt holds it during a build
con.execute("create schema if not exists raw")
print("locked", flush=True)
sys.stdin.read()  # hold until the test closes stdin
"""


@pytest.fixture
def build_holds_the_warehouse(ipwh: Settings):  # type: ignore[no-untyped-def]
    read_status(ipwh)  # an empty status copy, as after any earlier build
    ipwh.warehouse.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(ipwh.warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    yield holder
    if holder.poll() is None:
        holder.stdin.close()  # type: ignore[union-attr]
        holder.wait(timeout=10)


def _release(holder: subprocess.Popen) -> None:
    holder.stdin.close()  # type: ignore[union-attr]
    holder.wait(timeout=10)


def test_upload_gets_its_receipt_while_a_build_holds_the_warehouse(client, gulou, ipwh, build_holds_the_warehouse):  # type: ignore[no-untyped-def]
    client.force_login(gulou)
    started = time.monotonic()
    response = client.post(
        reverse("submissions:upload", args=[GULOU, FORM, PERIOD]),
        {"file": SimpleUploadedFile("鼓楼_2026-10.xlsx", filled_form())},
        follow=True,
    )
    elapsed = time.monotonic() - started
    page = response.content.decode()
    assert response.status_code == 200
    assert "审核通过，已接收" in page and "已排队入库" in page
    assert elapsed < 5, f"receipt took {elapsed:.1f} s while the warehouse was locked"
    assert len(queue.pending(ipwh)) == 1 and PortalSubmission.objects.get().queued

    _release(build_holds_the_warehouse)
    assert merge_now()
    rows = read_status(ipwh).rows
    assert [(r.department_code, r.version, r.outcome) for r in rows] == [(GULOU, 1, "accepted")]
    assert queue.pending(ipwh) == []
    assert (
        "为第 1 版"
        in client.get(reverse("submissions:submission", args=[PortalSubmission.objects.get().pk])).content.decode()
    )


def test_fifty_submissions_during_a_build_all_land_once(ipwh, build_holds_the_warehouse):  # type: ignore[no-untyped-def]
    status = read_status(ipwh)
    assert status.stale  # the warehouse is locked: the saved copy is shown
    for n in range(50):
        data = filled_form({**CREATION_VALUES, "pct_applications": n})
        preview = queue.precheck(data, f"第{n}份.xlsx", GULOU, ipwh, status)
        assert preview.outcome == "accepted", preview.problems
        queue.enqueue(data, preview, GULOU, ipwh, "portal:gulou")
    later = dataclasses.replace(preview, received_at=preview.received_at + timedelta(seconds=1))
    queue.enqueue(data, later, GULOU, ipwh, "portal:gulou")  # the same bytes sent again (a double click)
    assert queue.merge(ipwh) is None  # still locked: nothing lost, all still queued
    assert len(queue.pending(ipwh)) == 51

    _release(build_holds_the_warehouse)
    outcomes = queue.merge(ipwh)
    assert outcomes is not None and len(outcomes) == 51
    rows = read_status(ipwh).rows
    assert sorted(r.version for r in rows) == list(range(1, 51))  # every one landed, none twice
    assert sum(o.status == "duplicate" for o in outcomes) == 1
    assert queue.pending(ipwh) == []
    assert not any(Path(ipwh.home, "intake", "queue", GULOU).glob("*.json"))
