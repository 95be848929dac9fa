"""The same portal on Postgres (portal.config.settings.server): migrations, accounts, a login whose session
is stored there. The test starts its own throw-away cluster from Debian's postgresql package."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import REPO_ROOT

PG_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres() -> Iterator[dict[str, str]]:
    if not PG_BINS:
        message = "未安装 Debian 的 postgresql 软件包（apt-get install postgresql）"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + "：CI 中必须安装（make postgres）")
        pytest.skip(message + "：跳过 Postgres 账户库测试")
    bin_dir = PG_BINS[-1].parent
    root = Path(tempfile.mkdtemp(prefix="ipwh-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root: run the cluster as the package's user
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)

    run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "portal", "--no-sync", "-E", "UTF8")
    options = f"-k {root} -p {port} -c listen_addresses='' -c fsync=off"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start")
    try:
        run(str(bin_dir / "createdb"), "-h", str(root), "-p", str(port), "-U", "portal", "ipwh_portal")
        yield {"PORTAL_DB_HOST": str(root), "PORTAL_DB_PORT": str(port), "PORTAL_DB_USER": "portal"}
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


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
