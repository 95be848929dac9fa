"""SIGKILL at chosen points of intake, snapshot publication and returns writing, then the invariants
(tests/faults/harness.py). `make test` runs the short form; `make faults` (IPWH_FAULTS_FULL=1) runs
every crash point plus random-moment kills and prints the counts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from core.settings import Settings
from tests.faults import harness
from tests.faults.harness import FULL, Tally
from tests.sample_cache import built_sample, copy_sample
from tests.test_returns_support import open_gate

# A crash point (IPWH_FAULT) or "random:<seconds>" (SIGKILL that long after the start).
INTAKE_TRIALS = ["intake_before_commit", "intake_after_commit", "intake_mid_receipts:3", "intake_after_inbox_cleanup"]
if FULL:
    INTAKE_TRIALS += [f"intake_mid_receipts:{n}" for n in (1, 2, 4, 5, 6, 7, 8, 9)]
    INTAKE_TRIALS += [f"random:{delay}" for delay in harness.random_delays(10, 0.5, 4.0)]
RETURNS_POINTS = ["returns_mid_write:2"] + (["returns_mid_write:1", "returns_mid_write:3"] if FULL else [])
SNAPSHOT_POINTS = ["snapshot_mid_publish:3"] + (["snapshot_mid_publish:1", "snapshot_mid_publish:20"] if FULL else [])


@pytest.fixture(scope="module")
def tally() -> Iterator[Tally]:
    found = Tally()
    yield found
    print("\n" + found.report("故障注入"))


@pytest.fixture(scope="module")
def intake_world(catalogue, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("faults-intake")
    corpus = harness.make_corpus(catalogue, root / "forms")
    reference = harness.drop_corpus(root / "reference", corpus)
    assert harness.drive(reference.home, "intake") == 0
    return {"root": root, "corpus": corpus, "reference": reference, "expected": harness.state(reference)}


def test_uninterrupted_intake_of_the_corpus_accepts_rejects_and_answers_every_file(intake_world) -> None:
    reference: Settings = intake_world["reference"]  # type: ignore[assignment]
    expected = intake_world["expected"]
    outcomes = harness._rows(reference, "select outcome, count(*) from raw.submissions group by 1 order by 1")
    assert outcomes == [("accepted", 5), ("rejected", 3)]
    assert expected["inbox"] == [] and len(expected["receipts"]) == 9  # 8 submissions and one duplicate


@pytest.mark.parametrize("trial", INTAKE_TRIALS)
def test_intake_killed_midway_keeps_every_invariant(intake_world, tally: Tally, trial: str) -> None:
    kind, _, delay = trial.partition(":")
    options = {"kill_after": float(delay)} if kind == "random" else {"fault": trial}
    found = harness.intake_trial(
        intake_world["root"], intake_world["corpus"], intake_world["expected"], intake_world["reference"], **options
    )
    tally.add("intake", found)
    assert found == []


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared sample with its gate open: returns can be built."""
    home = tmp_path_factory.mktemp("faults-sample") / "var"
    settings = copy_sample(built_sample(tmp_path_factory), home)
    with duckdb.connect(str(settings.warehouse)) as con:
        open_gate(con)
    return home


@pytest.mark.parametrize("point", RETURNS_POINTS)
def test_returns_killed_while_writing_leave_no_version_disagreeing_with_its_manifest(
    sample_home: Path, tmp_path: Path, tally: Tally, point: str
) -> None:
    home = tmp_path / "var"
    shutil.copytree(sample_home, home)
    settings = Settings(home=home, warehouse=home / "warehouse.duckdb")
    found: list[str] = []
    for attempt in ("first build", "rebuild") if FULL else ("first build",):
        code = harness.drive(home, "returns", "2026-10", fault=point)
        if code != -9:
            found.append(f"{attempt}: fault point {point} was not reached")
        found += harness.warehouse_opens(settings) + harness.outbox_agrees(settings.outbox)
        if attempt == "first build":
            assert harness.drive(home, "returns", "2026-10") == 0
            found += harness.outbox_agrees(settings.outbox)
    assert harness.drive(home, "returns", "2026-10") == 0
    found += harness.outbox_agrees(settings.outbox)
    if sorted(p.name for p in (settings.outbox / "2026-10").iterdir()) != ["v1"]:
        found.append("a stopped build left something beside v1 after the rerun")
    tally.add("returns", found)
    assert found == []


@pytest.mark.parametrize("point", SNAPSHOT_POINTS)
def test_snapshot_killed_while_publishing_still_opens(
    sample_home: Path, tmp_path: Path, tally: Tally, point: str
) -> None:
    home = tmp_path / "var"
    shutil.copytree(sample_home, home)
    settings = Settings(home=home, warehouse=home / "warehouse.duckdb")
    assert harness.drive(home, "snapshot") == 0
    found = []
    if harness.drive(home, "snapshot", fault=point) != -9:
        found.append(f"fault point {point} was not reached")
    found += harness.snapshot_opens(settings) + harness.warehouse_opens(settings)
    assert harness.drive(home, "snapshot") == 0
    found += harness.snapshot_opens(settings)
    tally.add("snapshot", found)
    assert found == []
