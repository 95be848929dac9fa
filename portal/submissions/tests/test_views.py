"""The submitter's pages: 我的报表, templates, upload with an immediate receipt, 说明 for warnings, history."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.conftest import FORM, GULOU, PERIOD, TAIJIANG, filled_form
from portal.submissions.models import PortalSubmission
from sources.intake.status import read_status
from tests.form_files import CREATION_VALUES

pytestmark = pytest.mark.django_db


def _login(client, user) -> None:  # type: ignore[no-untyped-def]
    client.force_login(user)  # the login page itself (throttling included) is tested in accounts


def _upload(client, data: bytes, name: str = "鼓楼_2026-10.xlsx", department: str = GULOU):  # type: ignore[no-untyped-def]
    url = reverse("submissions:upload", args=[department, FORM, PERIOD])
    return client.post(url, {"file": SimpleUploadedFile(name, data)}, follow=True)


class TestMyForms:
    def test_lists_every_assigned_form_with_deadline_and_status(self, client, gulou):  # type: ignore[no-untyped-def]
        _login(client, gulou)
        page = client.get(reverse("submissions:my_forms")).content.decode()
        assert "知识产权创造情况月报" in page
        assert "2026年10月" in page
        assert "2026-11-10" in page  # due 10 days after the month
        assert "逾期 11 天" in page  # today is pinned to 2026-11-21
        assert "未报" in page

    def test_shows_the_notice_of_forms_due_this_week(self, client, gulou):  # type: ignore[no-untyped-def]
        _login(client, gulou)
        assert "7 天内到期或已逾期" in client.get(reverse("submissions:my_forms")).content.decode()


class TestTemplate:
    def test_downloaded_template_is_the_departments_form_for_the_period(self, client, gulou):  # type: ignore[no-untyped-def]
        _login(client, gulou)
        response = client.get(reverse("submissions:template", args=[GULOU, FORM, PERIOD, "xlsx"]))
        assert response.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        text = " ".join(str(c.value) for row in book.worksheets[0].iter_rows() for c in row if c.value)
        assert "鼓楼区" in text and "2026年10月" in text

    def test_unknown_template_format_is_not_found(self, client, gulou):  # type: ignore[no-untyped-def]
        _login(client, gulou)
        assert client.get(reverse("submissions:template", args=[GULOU, FORM, PERIOD, "pdf"])).status_code == 404


class TestUpload:
    def test_accepted_upload_shows_the_receipt_at_once_and_is_recorded(self, client, gulou, ipwh):  # type: ignore[no-untyped-def]
        _login(client, gulou)
        page = _upload(client, filled_form()).content.decode()
        assert "审核通过，已接收，为第 1 版" in page
        rows = read_status(ipwh).rows
        assert [(r.form_code, r.department_code, r.period, r.version) for r in rows] == [(FORM, GULOU, PERIOD, 1)]
        assert rows[0].submission_id in page
        receipt = client.get(reverse("submissions:receipt", args=[rows[0].submission_id, "txt"]))
        assert "已接收，为第 1 版" in b"".join(receipt.streaming_content).decode()

    def test_upload_with_an_error_is_rejected_with_the_cell_and_how_to_fix_it(self, client, gulou, ipwh):  # type: ignore[no-untyped-def]
        _login(client, gulou)
        page = _upload(client, filled_form({**CREATION_VALUES, "patent_grants": "六百五"})).content.decode()
        assert "未接收（退回）" in page
        assert "修改方法" in page or "修改" in page
        record = PortalSubmission.objects.get()
        assert record.outcome == "rejected" and record.problems[0]["cell"]
        assert read_status(ipwh).rows[0].outcome == "rejected"  # the rejection is recorded too: nothing lost

    def test_warnings_wait_for_a_written_explanation_before_they_are_sent(self, client, gulou, ipwh):  # type: ignore[no-untyped-def]
        _login(client, gulou)
        values = {**CREATION_VALUES, "pct_applications": 1500}  # PCT above all applications: a warning rule
        page = _upload(client, filled_form(values)).content.decode()
        record = PortalSubmission.objects.get()
        assert record.outcome == "accepted" and record.problems[0]["severity"] == "warning"
        assert "填写说明" in page and not record.queued
        assert read_status(ipwh).rows == []
        after = client.post(
            reverse("submissions:explain", args=[record.pk]), {"note": "本月集中授权，数据属实"}, follow=True
        )
        assert "情况说明：本月集中授权，数据属实" in after.content.decode(), after.content.decode()[-1500:]
        record.refresh_from_db()
        assert record.queued and record.note == "本月集中授权，数据属实"
        assert read_status(ipwh).rows[0].version == 1

    def test_same_file_twice_is_said_to_be_a_duplicate_and_recorded_once(self, client, gulou, ipwh):  # type: ignore[no-untyped-def]
        _login(client, gulou)
        data = filled_form()
        _upload(client, data)
        page = _upload(client, data).content.decode()
        assert "重复文件" in page
        assert len(read_status(ipwh).rows) == 1

    def test_correction_becomes_the_next_version(self, client, gulou, ipwh):  # type: ignore[no-untyped-def]
        _login(client, gulou)
        _upload(client, filled_form())
        page = _upload(client, filled_form({**CREATION_VALUES, "pct_applications": 13})).content.decode()
        assert "为第 2 版" in page

    def test_another_departments_form_is_refused_with_a_receipt(self, client, gulou, ipwh):  # type: ignore[no-untyped-def]
        _login(client, gulou)
        page = _upload(client, filled_form(department=TAIJIANG, region="350103")).content.decode()
        assert "未接收（退回）" in page
        assert "收件夹" in page or "350102.amr" in page
        assert read_status(ipwh).rows[0].department_code in (TAIJIANG, None)


class TestHostileUploads:
    @pytest.mark.parametrize(
        ("name", "data"),
        [
            ("报表.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
            ("报表.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
            ("空.xlsx", b""),
            ("../../etc/passwd.csv", b"form_code,period\n"),
        ],
        ids=["pdf_renamed", "executable", "empty", "path_in_name"],
    )
    def test_unreadable_file_gets_a_receipt_not_a_traceback(self, client, gulou, ipwh, name, data):  # type: ignore[no-untyped-def]
        _login(client, gulou)
        response = _upload(client, data, name=name)
        assert response.status_code == 200
        assert "未接收（退回）" in response.content.decode()
        assert not list(ipwh.home.glob("**/passwd*"))

    def test_zip_bomb_gets_a_receipt_not_a_traceback(self, client, gulou, ipwh):  # type: ignore[no-untyped-def]
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml", "<Types/>")
            z.writestr("xl/worksheets/sheet1.xml", b"0" * (200 * 1024 * 1024))
        _login(client, gulou)
        response = _upload(client, buffer.getvalue(), name="炸弹.xlsx")
        assert response.status_code == 200 and "未接收（退回）" in response.content.decode()

    def test_file_over_the_size_limit_is_refused_before_it_is_read(self, client, gulou, ipwh, settings):  # type: ignore[no-untyped-def]
        settings.PORTAL_MAX_UPLOAD_BYTES = 1024 * 1024
        _login(client, gulou)
        response = _upload(client, b"x" * (3 * 1024 * 1024), name="大.xlsx")
        assert "超过 1 MB 上限" in response.content.decode()
        assert not PortalSubmission.objects.exists()


class TestOnlineForm:
    def _url(self) -> str:
        return reverse("submissions:online", args=[GULOU, FORM, PERIOD])

    def test_draft_keeps_what_was_typed_and_submits_nothing(self, client, gulou, ipwh):  # type: ignore[no-untyped-def]
        _login(client, gulou)
        client.post(self._url(), {"action": "save", "patent_applications": "1,200", "filled_by": "张三"})
        page = client.get(self._url()).content.decode()
        assert 'value="1,200"' in page and 'value="张三"' in page and "已载入" in page
        assert not PortalSubmission.objects.exists() and read_status(ipwh).rows == []

    def test_error_is_shown_on_its_field_and_nothing_is_recorded(self, client, gulou, ipwh):  # type: ignore[no-untyped-def]
        _login(client, gulou)
        values = {k: str(v) for k, v in CREATION_VALUES.items()} | {"patent_grants": "六百五"}
        page = client.post(self._url(), {"action": "submit", **values}).content.decode()
        assert "不是数值" in page and "has-error" in page
        assert not PortalSubmission.objects.exists()

    def test_clean_form_is_submitted_and_the_draft_is_gone(self, client, gulou, ipwh):  # type: ignore[no-untyped-def]
        from portal.submissions.models import Draft

        _login(client, gulou)
        client.post(self._url(), {"action": "save", "patent_applications": "1200"})
        values = {k: str(v) for k, v in CREATION_VALUES.items()}
        page = client.post(self._url(), {"action": "submit", **values}, follow=True).content.decode()
        assert "审核通过，已接收，为第 1 版" in page
        assert not Draft.objects.exists()
        assert PortalSubmission.objects.get().channel == "online"
