"""The gate and returns of a period from the portal: blocked when the gate is shut, built and submitted when
open; submitting locks the departments' submissions, which the submitters then see as locked."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from django.urls import reverse

from core.settings import Settings
from portal.conftest import TODAY
from sources.intake.status import read_status
from tests.test_returns_support import close_gate, copy_of, open_gate, sample_warehouse

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
PERIOD = "2026-10"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_warehouse(tmp_path_factory)


@pytest.fixture
def warehouse(sample: Path, tmp_path: Path, settings) -> Settings:  # type: ignore[no-untyped-def]
    home = tmp_path / "var"
    copy_of(sample, home)
    ours = Settings(home=home, warehouse=home / "warehouse.duckdb", today_override=TODAY)
    settings.IPWH = ours
    return ours


def test_shut_gate_is_shown_and_builds_nothing(client, analyst, warehouse):  # type: ignore[no-untyped-def]
    with duckdb.connect(str(warehouse.warehouse)) as con:
        close_gate(con, PERIOD)
    client.force_login(analyst)
    page = client.get(reverse("returns:period", args=[PERIOD])).content.decode()
    assert "关卡未通过" in page and "counties_sum_to_city" in page
    after = client.post(reverse("returns:build", args=[PERIOD]), follow=True).content.decode()
    assert "质量关口未通过" in after
    assert not (warehouse.outbox / PERIOD).exists()


def test_open_gate_builds_downloads_and_submits_and_locks(client, analyst, gulou, warehouse):  # type: ignore[no-untyped-def]
    with duckdb.connect(str(warehouse.warehouse)) as con:
        open_gate(con)
    client.force_login(analyst)
    assert "关卡通过" in client.get(reverse("returns:period", args=[PERIOD])).content.decode()
    page = client.post(reverse("returns:build", args=[PERIOD]), follow=True).content.decode()
    assert "已生成第 1 版" in page
    name = next((warehouse.outbox / PERIOD / "v1").glob("*.xlsx")).name
    download = client.get(reverse("returns:download", args=[PERIOD, 1, name]))
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"
    assert client.get(reverse("returns:download", args=[PERIOD, 1, "warehouse.duckdb"])).status_code == 404
    page = client.post(reverse("returns:submit", args=[PERIOD]), {"note": "月报"}, follow=True).content.decode()
    assert "已报送" in page and "已锁定" in page
    locked = read_status(warehouse).locked
    assert ("ip_creation_monthly", "350102.amr", PERIOD) in locked
    client.force_login(gulou)
    duty = client.get(reverse("submissions:duty", args=["350102.amr", "ip_creation_monthly", PERIOD])).content.decode()
    assert "提交上级并锁定" in duty and "上传并审核" not in duty
