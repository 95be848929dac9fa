"""The analyst's pages: the board by status, a submission's receipt, approve, return with a reason."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.conftest import FORM, GULOU, PERIOD, filled_form
from sources.intake.status import read_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(client, gulou, ipwh) -> str:  # type: ignore[no-untyped-def]
    client.force_login(gulou)
    client.post(
        reverse("submissions:upload", args=[GULOU, FORM, PERIOD]),
        {"file": SimpleUploadedFile("鼓楼.xlsx", filled_form())},
    )
    client.logout()
    return read_status(ipwh).rows[0].submission_id


class TestBoard:
    def test_board_colours_each_department_by_status(self, client, analyst, submitted):  # type: ignore[no-untyped-def]
        client.force_login(analyst)
        page = client.get(reverse("review:board"), {"period": PERIOD}).content.decode()
        assert "鼓楼区市场监督管理局（知识产权局）" in page
        gulou_row = next(line for line in page.splitlines() if "（350102.amr）" in line)
        # Received now (the clock is never before the form's due day, 2026-11-10): accepted late.
        assert 'class="c-late"' in gulou_row
        taijiang_row = next(line for line in page.splitlines() if "（350103.amr）" in line)
        assert 'class="c-missing"' in taijiang_row and "未报" in taijiang_row

    def test_malformed_period_is_explained_not_a_traceback(self, client, analyst, ipwh):  # type: ignore[no-untyped-def]
        client.force_login(analyst)
        page = client.get(reverse("review:board"), {"period": "2026-13"}, follow=True).content.decode()
        assert "无法识别" in page


class TestReview:
    def test_returned_submission_shows_the_reason_to_the_department(self, client, analyst, gulou, submitted):  # type: ignore[no-untyped-def]
        client.force_login(analyst)
        client.post(reverse("review:return", args=[submitted]), {"reason": "专利授权量与国家局公报不符，请核实"})
        client.force_login(gulou)
        page = client.get(reverse("submissions:duty", args=[GULOU, FORM, PERIOD])).content.decode()
        assert "统计分析员已退回：专利授权量与国家局公报不符，请核实" in page
        assert "已退回" in client.get(reverse("submissions:my_forms")).content.decode()

    def test_return_without_a_reason_is_refused(self, client, analyst, submitted, ipwh):  # type: ignore[no-untyped-def]
        client.force_login(analyst)
        page = client.post(reverse("review:return", args=[submitted]), {"reason": " "}, follow=True).content.decode()
        assert "退回须写明原因" in page
        assert read_status(ipwh).rows[0].status == "accepted"

    def test_approval_is_recorded_as_the_cli_records_it(self, client, analyst, submitted, ipwh):  # type: ignore[no-untyped-def]
        client.force_login(analyst)
        page = client.post(reverse("review:approve", args=[submitted]), follow=True).content.decode()
        assert "已审核通过" in page
        assert read_status(ipwh).rows[0].status == "approved"

    def test_analyst_reads_the_receipt(self, client, analyst, submitted):  # type: ignore[no-untyped-def]
        client.force_login(analyst)
        page = client.get(reverse("review:detail", args=[submitted])).content.decode()
        assert "知识产权统计报表接收回执" in page and "已接收，为第 1 版" in page
