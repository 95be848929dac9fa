"""The sample scenario, built once per test session and shared by every pytest-xdist worker.

`ipwh demo` plus a dbt build take about a minute; several test modules need the result. The first
worker to ask builds it under the session's shared temporary folder while holding a file lock; the
others wait for it. Consumers copy the tree (`copy_sample`) before changing anything.
"""

from __future__ import annotations

import fcntl
import json
import pickle
import shutil
from pathlib import Path

import pytest

from core.settings import Settings
from sources.demo.follow_up import SAMPLE_DAY

AS_OF = SAMPLE_DAY
# What a built sample needs; Dagster's storage and run artifacts stay out of the copies.
_COPIED = ("warehouse.duckdb", "archive", "receipts", "demo", "inbox", "templates")


def _shared_root(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp()
    # Under xdist each worker has its own basetemp (…/popen-gw0); their parent is shared.
    return base.parent if base.name.startswith("popen-gw") else base


def built_sample(factory: pytest.TempPathFactory) -> Path:
    """The `var/` of the sample scenario after `ipwh demo` and a dbt build (as of 2026-11-21)."""
    root = _shared_root(factory)
    home = root / "sample-cache" / "var"
    done = root / "sample-cache" / "done"
    with open(root / "sample-cache.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                _build(home)
                done.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return home


def _build(home: Path) -> None:
    from orchestration.demo import build_demo
    from tests.warehouse_fixtures import run_dbt

    if home.exists():
        shutil.rmtree(home)  # a half-built cache from an interrupted session
    settings = Settings(home=home, warehouse=home / "warehouse.duckdb", today_override=AS_OF)
    summary = build_demo(settings)
    (home.parent / "demo_summary.pickle").write_bytes(pickle.dumps(summary))
    run_dbt(settings.warehouse, home.parent / "dbt", as_of=AS_OF.isoformat())


def copy_sample(source: Path, target: Path) -> Settings:
    """A private, writable copy of a built sample `var/`."""
    target.mkdir(parents=True, exist_ok=True)
    for name in _COPIED:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, target / name)
        elif path.exists():
            shutil.copyfile(path, target / name)
    return Settings(home=target, warehouse=target / "warehouse.duckdb", today_override=AS_OF)


def demo_summary(home: Path) -> object:
    """What `ipwh demo` reported when the shared sample was built (its receipts paths point into `home`)."""
    return pickle.loads((home.parent / "demo_summary.pickle").read_bytes())


def planted_defects(home: Path) -> list[dict[str, object]]:
    return json.loads((home / "demo" / "defects.json").read_text(encoding="utf-8"))
