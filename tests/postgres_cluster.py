"""A throw-away PostgreSQL cluster from Debian's packages, for the tests that need a real server.

Skipped with a named reason where the package is absent, failed under CI (make postgres installs it)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_cluster(user: str, database: str, what: str, listen: str = "") -> Iterator[tuple[Path, int]]:
    """Start a cluster owned by `user` with `database`, listening on its socket folder (and on `listen`,
    e.g. 127.0.0.1, if given); yield (socket folder, port); stop and remove it afterwards."""
    if not PG_BINS:
        message = "未安装 Debian 的 postgresql 软件包（apt-get install postgresql）"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + "：CI 中必须安装（make postgres）")
        pytest.skip(message + f"：跳过{what}")
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

    run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", user, "--no-sync", "-E", "UTF8")
    options = f"-k {root} -p {port} -c listen_addresses='{listen}' -c fsync=off"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start")
    try:
        run(str(bin_dir / "createdb"), "-h", str(root), "-p", str(port), "-U", user, database)
        yield root, port
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
