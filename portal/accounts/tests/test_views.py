"""Login, first-login password change, throttling, cookies: Django's and django-axes's, configured."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from portal.accounts.models import AuditEntry, DepartmentGrant, Profile
from portal.accounts.setup import ensure_accounts
from portal.conftest import GULOU, PASSWORD

pytestmark = pytest.mark.django_db


def _log_in(client: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password}, follow=True)


class TestLogin:
    def test_submitter_lands_on_my_forms(self, gulou):  # type: ignore[no-untyped-def]
        page = _log_in(Client(), "gulou", PASSWORD).content.decode()
        assert "我的报表" in page and "知识产权创造情况月报" in page

    def test_wrong_password_says_so_in_chinese(self, gulou):  # type: ignore[no-untyped-def]
        assert "用户名或密码不正确" in _log_in(Client(), "gulou", "wrong").content.decode()

    def test_five_failures_lock_the_account_out(self, gulou):  # type: ignore[no-untyped-def]
        client = Client()
        for _ in range(5):
            _log_in(client, "gulou", "wrong")
        response = _log_in(client, "gulou", PASSWORD)
        assert "已被锁定" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_first_login_forces_a_password_change(self, gulou):  # type: ignore[no-untyped-def]
        Profile.objects.filter(user=gulou).update(must_change_password=True)
        client = Client()
        _log_in(client, "gulou", PASSWORD)
        response = client.get(reverse("submissions:my_forms"))
        assert response.status_code == 302 and response["Location"] == reverse("password_change")
        new = "Gulou-Zhishi-Chanquan-9"
        client.post(
            reverse("password_change"),
            {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        )
        assert client.get(reverse("submissions:my_forms")).status_code == 200
        assert AuditEntry.objects.filter(action="修改密码", username="gulou").exists()

    def test_session_and_csrf_cookies_are_httponly_and_samesite(self, gulou):  # type: ignore[no-untyped-def]
        client = Client()
        client.get(reverse("login"))
        _log_in(client, "gulou", PASSWORD)
        session = client.cookies["sessionid"]
        assert session["httponly"] and session["samesite"] == "Lax"
        assert client.cookies["csrftoken"]["samesite"] == "Lax"


class TestSetup:
    def test_setup_creates_an_account_per_submitting_department_and_never_twice(self, roles, tmp_path):  # type: ignore[no-untyped-def]
        created = ensure_accounts(tmp_path / "initial_passwords.csv")
        assert ("analyst" in {u for u, _, _ in created}) and GULOU in {u for u, _, _ in created}
        assert DepartmentGrant.objects.get(user__username=GULOU).department_code == GULOU
        assert get_user_model().objects.get(username=GULOU).portal_profile.must_change_password
        assert ensure_accounts(tmp_path / "initial_passwords.csv") == []
        text = (tmp_path / "initial_passwords.csv").read_text(encoding="utf-8")
        assert text.count("\n") == len(created) + 1
        assert (tmp_path / "initial_passwords.csv").stat().st_mode & 0o077 == 0
