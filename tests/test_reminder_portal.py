"""The daily reminder tells departments where to submit: the portal's address."""

from __future__ import annotations

from datetime import date

import pytest

from orchestration.reminders import Reminder, ReminderReport, render_text


def _report() -> ReminderReport:
    item = Reminder(
        "逾期未报",
        date(2026, 11, 10),
        -11,
        "ip_creation_monthly",
        "知识产权创造情况月报",
        "榕知统1表",
        "2026-10",
        "350102.amr",
        "鼓楼区市场监督管理局（知识产权局）",
        "350102",
    )
    return ReminderReport(date(2026, 11, 21), 7, [item])


def test_reminder_names_the_embedded_portal_url_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IPWH_PORTAL_URL", raising=False)
    assert "请登录网上报送平台报送：http://127.0.0.1:8000/" in render_text(_report())


def test_reminder_names_the_configured_portal_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPWH_PORTAL_URL", "https://tongji.example.gov.cn/")
    assert "https://tongji.example.gov.cn/" in render_text(_report())


def test_reminder_without_items_names_no_portal() -> None:
    assert "网上报送平台" not in render_text(ReminderReport(date(2026, 11, 21), 7, []))
