"""`ipwh run` killed while dbt builds (SIGKILL at random moments) or stopped with SIGTERM: dbt dies with
it, the warehouse and snapshot open, and a rerun builds the same marts as an uninterrupted run.

Each trial is a real build (one to two minutes on two cores), so this module runs in `make faults`
only (tests/faults/conftest.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from core.settings import REPO_ROOT, Settings
from tests.faults import harness
from tests.faults.harness import Tally

IPWH = str(Path(sys.executable).parent / "ipwh")
KILL_DELAYS = harness.random_delays(3, 1.0, 20.0, seed=5)  # seconds after dbt started


@pytest.fixture(scope="module")
def tally() -> Iterator[Tally]:
    found = Tally()
    yield found
    print("\n" + found.report("故障注入（构建）"))


def start_run(home: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [IPWH, "run"], cwd=REPO_ROOT, env=harness.child_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def dbt_started(home: Path) -> bool:
    for pid in harness.processes_of(home):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"dbt build" in command:
            return True
    return False


def marts(settings: Settings) -> dict[str, list[tuple]]:
    if not settings.snapshot_db.exists():
        return {}
    with duckdb.connect(str(settings.snapshot_db), read_only=True) as con:
        names = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema = 'marts' order by 1"
        ).fetchall()
        return {n: con.execute(f"select * from {n} order by all").fetchall() for (n,) in names}


@pytest.fixture(scope="module")
def world(catalogue, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("faults-build")
    corpus = harness.make_corpus(catalogue, root / "forms")
    reference = harness.drop_corpus(root / "reference", corpus)
    run = start_run(reference.home)
    run.communicate(timeout=1200)
    return {"root": root, "corpus": corpus, "code": run.returncode, "marts": marts(reference)}


def test_the_uninterrupted_build_publishes_marts(world) -> None:
    assert world["code"] in (0, 3) and world["marts"]


@pytest.mark.parametrize("delay", KILL_DELAYS)
def test_ipwh_run_killed_during_dbt_takes_dbt_with_it_and_a_rerun_equals_an_uninterrupted_run(
    world, tally: Tally, delay: float
) -> None:
    settings = harness.drop_corpus(world["root"] / f"kill-{delay}", world["corpus"])
    run = start_run(settings.home)
    found: list[str] = []
    if not harness.wait_until(lambda: dbt_started(settings.home), 900, 0.5):
        found.append("dbt never started")
    time.sleep(delay)
    run.send_signal(signal.SIGKILL)
    run.communicate()
    if not harness.wait_until(lambda: not harness.processes_of(settings.home), 15):
        found.append(f"processes outlived ipwh run: {harness.processes_of(settings.home)}")
    found += harness.warehouse_opens(settings) + harness.snapshot_opens(settings)
    found += harness.no_file_lost(settings, world["corpus"]) + harness.outbox_agrees(settings.outbox)
    rerun = start_run(settings.home)
    rerun.communicate(timeout=1200)
    if rerun.returncode != world["code"]:
        found.append(f"rerun exited {rerun.returncode}, the uninterrupted run {world['code']}")
    found += harness.receipts_complete(settings) + harness.snapshot_opens(settings)
    if marts(settings) != world["marts"]:
        found.append("marts after the rerun differ from the uninterrupted run's")
    tally.add("build", found)
    assert found == []


def test_sigterm_stops_ipwh_run_cleanly_and_releases_the_warehouse(world, tally: Tally) -> None:
    settings = harness.drop_corpus(world["root"] / "sigterm", world["corpus"])
    run = start_run(settings.home)
    found: list[str] = []
    if not harness.wait_until(lambda: dbt_started(settings.home), 900, 0.5):
        found.append("dbt never started")
    time.sleep(3)
    started = time.monotonic()
    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=120)
    seconds = time.monotonic() - started
    if run.returncode != 130 or "运行已停止" not in stderr.decode(errors="replace"):
        found.append(f"SIGTERM: exit {run.returncode}, stderr {stderr.decode(errors='replace')[-300:]!r}")
    if "Traceback" in stderr.decode(errors="replace"):
        found.append("SIGTERM printed a traceback")
    if not harness.wait_until(lambda: not harness.processes_of(settings.home), 15):
        found.append(f"processes outlived ipwh run: {harness.processes_of(settings.home)}")
    try:
        with duckdb.connect(str(settings.warehouse)) as con:  # the writing lock was released
            con.execute("select 1").fetchall()
    except duckdb.Error as exc:
        found.append(f"warehouse still locked after SIGTERM: {exc}")
    tally.add("sigterm", found)
    assert found == [] and seconds < 60
