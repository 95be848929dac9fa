"""The same portal on Postgres (portal.config.settings.server): migrations, accounts, a login whose session
is stored there. The test starts its own throw-away cluster from Debian's postgresql package."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from core.settings import REPO_ROOT
from tests.postgres_cluster import postgres_cluster

_SCRIPT = """
import django
from django.core.management import call_command
django.setup()
call_command("migrate", interactive=False, verbosity=0)
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from portal.accounts.models import Profile
from portal.accounts.setup import create_account, ensure_roles
ensure_roles()
user = create_account("gulou", "Zhiliang-2026-Portal", departments=["350102.amr"])
Profile.objects.filter(user=user).update(must_change_password=False)
client = Client()
page = client.post("/login/", {"username": "gulou", "password": "Zhiliang-2026-Portal"}, follow=True)
assert "我的报表" in page.content.decode(), page.content.decode()[:500]
print(connection.vendor, Session.objects.count())
"""


@pytest.fixture
def postgres() -> Iterator[dict[str, str]]:
    with postgres_cluster("portal", "ipwh_portal", " Postgres 账户库测试") as (root, port):
        yield {"PORTAL_DB_HOST": str(root), "PORTAL_DB_PORT": str(port), "PORTAL_DB_USER": "portal"}


def test_accounts_and_sessions_live_in_postgres_with_the_server_settings(postgres, tmp_path):  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        **postgres,
        "DJANGO_SETTINGS_MODULE": "portal.config.settings.server",
        "DJANGO_SECRET_KEY": "test-only-not-secret",
        "PORTAL_ALLOWED_HOSTS": "testserver",
        "PORTAL_HTTPS": "0",
        "IPWH_HOME": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    vendor, sessions = result.stdout.split()
    assert vendor == "postgresql" and int(sessions) == 1
