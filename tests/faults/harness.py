"""The fault harness: crash a real process at a chosen point (IPWH_FAULT, core/faults.py) or at
a random moment (SIGKILL after a delay), then check the invariants a clerk relies on.

Invariants (each check returns the violations it found, in words):
- the warehouse and the snapshot open;
- every accepted submission has all its values, and (once intake has run again) every submission
  has its receipt;
- no inbox file is lost: each file dropped is still in the inbox or archived byte for byte and recorded;
- a rerun after the crash equals an uninterrupted run (raw tables, receipts, inbox, archive);
- no outbox version whose manifest disagrees with its files.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from core.settings import REPO_ROOT, Settings
from reports.registry import exchange_files
from sources.catalogue import Catalogue
from tests.form_files import CREATION_VALUES, blank_form, fill

TODAY = "2026-11-21"
DROPPED = 1_793_000_000  # 2026-10-26, pinned: received times and submission ids are reproducible
RAW_TABLES = ("submissions", "submission_values", "submission_problems", "submission_events")
FULL = os.environ.get("IPWH_FAULTS_FULL") == "1"  # `make faults`: every trial; `make test`: the short form


@dataclass
class Tally:
    """Trials run and invariant violations found, by area; printed by `make faults`."""

    trials: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def report(self, title: str) -> str:
        total = sum(self.trials.values())
        lines = [f"{title}：{total} 次试验 {self.trials}；违反不变量 {len(self.violations)} 处"]
        return "\n".join(lines + [f"  {v}" for v in self.violations])

    def add(self, area: str, found: list[str]) -> None:
        self.trials[area] = self.trials.get(area, 0) + 1
        self.violations += [f"{area}: {v}" for v in found]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the files dropped --------------------------------------------------------------------------------


def make_corpus(catalogue: Catalogue, folder: Path) -> dict[str, tuple[bytes, int]]:
    """Files as departments drop them: inbox-relative path -> (bytes, drop time). Four departments
    accepted, a second version, a rejection, the same bytes twice, a damaged workbook, a non-workbook."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, tuple[bytes, int]] = {}
    at = DROPPED
    for region in ("350102", "350103", "350104", "350105"):
        values = dict(CREATION_VALUES, pct_applications=10 + int(region[-1]))
        data = fill(blank_form(catalogue, folder, region=region), folder / f"{region}.xlsx", values).read_bytes()
        files[f"{region}.amr/{region}_2026-10.xlsx"] = (data, at)
        at += 60
    gulou = blank_form(catalogue, folder, region="350102")
    v2 = fill(gulou, folder / "v2.xlsx", dict(CREATION_VALUES, valid_invention_patents=9850)).read_bytes()
    bad = fill(gulou, folder / "bad.xlsx", dict(CREATION_VALUES, patent_grants=651)).read_bytes()
    first = files["350102.amr/350102_2026-10.xlsx"][0]
    damaged = bytearray(first)
    damaged[len(damaged) // 2] ^= 0x5A
    files["350102.amr/更正_2026-10.xlsx"] = (v2, at)
    files["350102.amr/有误_2026-10.xlsx"] = (bad, at + 60)
    files["350102.amr/再次_2026-10.xlsx"] = (first, at + 120)
    files["350102.amr/损坏.xlsx"] = (bytes(damaged), at + 180)
    files["350103.amr/说明.xlsx"] = (b"not a workbook", at + 240)
    return files


def drop_corpus(home: Path, corpus: dict[str, tuple[bytes, int]]) -> Settings:
    settings = Settings(home=home, warehouse=home / "warehouse.duckdb")
    settings.ensure_dirs()
    for relative, (data, at) in corpus.items():
        path = settings.inbox / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (at, at))
    return settings


# --- child processes -------------------------------------------------------------------------------------


def child_env(home: Path, fault: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IPWH_", "PYTEST_"))}
    env.update({"IPWH_HOME": str(home), "IPWH_TODAY": TODAY, "DAGSTER_HOME": str(home / "dagster"), **extra})
    if fault:
        env["IPWH_FAULT"] = fault
    return env


def drive(home: Path, *args: str, fault: str | None = None, kill_after: float | None = None) -> int:
    """Run tests/faults/drive.py in a child; SIGKILL it after `kill_after` seconds if given. Its return code."""
    command = [sys.executable, "-m", "tests.faults.drive", *args]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=child_env(home, fault), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    if kill_after is not None:
        try:
            process.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            process.kill()
    _, stderr = process.communicate(timeout=600)
    if process.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"{command} failed ({process.returncode}): {stderr.decode(errors='replace')[-2000:]}")
    return process.returncode


def processes_of(home: Path) -> list[int]:
    """Live processes (not zombies) whose environment names this installation: ipwh, dbt, drive."""
    found = []
    marker = f"IPWH_HOME={home}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append(int(entry.name))
    return found


def wait_until(condition, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


# --- invariants ------------------------------------------------------------------------------------------


def warehouse_opens(settings: Settings) -> list[str]:
    if not settings.warehouse.exists():
        return []
    try:
        with duckdb.connect(str(settings.warehouse)) as con:
            con.execute("select count(*) from information_schema.tables").fetchone()
    except duckdb.Error as exc:
        return [f"warehouse does not open: {exc}"]
    return []


def snapshot_opens(settings: Settings) -> list[str]:
    problems = []
    if settings.snapshot_db.exists():
        try:
            with duckdb.connect(str(settings.snapshot_db), read_only=True) as con:
                con.execute("select count(*) from meta.snapshot").fetchone()
        except duckdb.Error as exc:
            problems.append(f"snapshot does not open: {exc}")
    for parquet in sorted((settings.snapshot / "parquet").glob("*.parquet")):
        try:
            duckdb.sql(f"select count(*) from '{parquet}'").fetchall()
        except duckdb.Error as exc:
            problems.append(f"snapshot file {parquet.name} unreadable: {exc}")
    return problems


def _rows(settings: Settings, sql: str) -> list[tuple]:
    if not settings.warehouse.exists():
        return []
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        try:
            return con.execute(sql).fetchall()
        except duckdb.CatalogException:
            return []


def no_file_lost(settings: Settings, corpus: dict[str, tuple[bytes, int]]) -> list[str]:
    recorded = dict(_rows(settings, "select file_sha256, archive_path from raw.submissions"))
    problems = []
    for relative, (data, _) in corpus.items():
        path = settings.inbox / relative
        if path.exists() and path.read_bytes() == data:
            continue
        digest = sha(data)
        if digest not in recorded:
            problems.append(f"{relative} left the inbox but no submission records it")
        elif (settings.archive / recorded[digest]).read_bytes() != data:
            problems.append(f"{relative} is not archived byte for byte")
    return problems


def values_complete(settings: Settings, reference: Settings) -> list[str]:
    """Each accepted submission has as many values as the same file has in the uninterrupted run."""
    expected = dict(
        _rows(
            reference,
            "select s.file_sha256, count(v.element_code) from raw.submissions s "
            "left join raw.submission_values v using (submission_id) where s.outcome = 'accepted' group by 1",
        )
    )
    got = _rows(
        settings,
        "select s.file_sha256, count(v.element_code) from raw.submissions s "
        "left join raw.submission_values v using (submission_id) where s.outcome = 'accepted' group by 1",
    )
    return [f"accepted {d[:12]} has {n} values, expected {expected.get(d)}" for d, n in got if expected.get(d) != n]


def receipts_complete(settings: Settings) -> list[str]:
    rows = _rows(
        settings, "select submission_id, coalesce(department_code, inbox_department, '_未识别') from raw.submissions"
    )
    return [
        f"submission {sid} has no receipt"
        for sid, folder in rows
        if not (settings.receipts / folder / f"{sid}.txt").exists()
    ]


def state(settings: Settings) -> dict[str, object]:
    """What an uninterrupted run and a crashed-then-rerun one must agree on."""
    tables = {t: _rows(settings, f"select * from raw.{t} order by all") for t in RAW_TABLES}
    receipts = {str(p.relative_to(settings.receipts)): p.read_bytes() for p in settings.receipts.rglob("*.txt")}
    inbox = sorted(str(p.relative_to(settings.inbox)) for p in settings.inbox.rglob("*") if p.is_file())
    archive = sorted(p.name for p in settings.archive.rglob("*") if p.is_file())
    leftovers = sorted(p.name for p in settings.home.rglob(".receipt-*")) + sorted(
        p.name for p in settings.home.rglob(".incoming-*")
    )
    return {"tables": tables, "receipts": receipts, "inbox": inbox, "archive": archive, "temporaries": leftovers}


def differences(got: dict[str, object], expected: dict[str, object]) -> list[str]:
    return [f"rerun differs from an uninterrupted run in {key}" for key in expected if got[key] != expected[key]]


def outbox_agrees(outbox: Path) -> list[str]:
    problems = []
    for version in sorted(outbox.glob("*/v*")):
        manifest_path = version / "manifest.json"
        if not manifest_path.exists():
            problems.append(f"{version.relative_to(outbox)} has no manifest")
            continue
        manifest = json.loads(manifest_path.read_bytes())
        for entry in manifest["returns"]:
            path = version / entry["file"]
            if not path.exists() or sha(path.read_bytes()) != entry["sha256"]:
                problems.append(f"{version.relative_to(outbox)}/{entry['file']} disagrees with its manifest")
        listed = {e["file"] for e in manifest["returns"]} | {"manifest.json", "change_list.csv"}
        for _, name, digest in exchange_files(manifest):  # the SDMX datasets and their structures
            listed.add(name)
            path = version / name
            if not path.exists() or sha(path.read_bytes()) != digest:
                problems.append(f"{version.relative_to(outbox)}/{name} disagrees with its manifest")
        extra = [p.name for p in version.iterdir() if p.name not in listed]
        if extra:
            problems.append(f"{version.relative_to(outbox)} holds files its manifest does not list: {extra}")
    return problems


# --- trials -------------------------------------------------------------------------------------------------


def intake_trial(
    root: Path,
    corpus: dict[str, tuple[bytes, int]],
    expected: dict[str, object],
    reference: Settings,
    *,
    fault: str | None = None,
    kill_after: float | None = None,
) -> list[str]:
    """Crash an intake, check what must hold right after, rerun it, check it equals the uninterrupted run."""
    home = root / (fault or f"random-{kill_after:.2f}").replace(":", "-")
    settings = drop_corpus(home, corpus)
    code = drive(home, "intake", fault=fault, kill_after=kill_after)
    found = []
    if fault and code != -signal.SIGKILL:
        found.append(f"fault point {fault} was not reached")
    found += warehouse_opens(settings) + no_file_lost(settings, corpus) + values_complete(settings, reference)
    ingest_in_process(settings)  # the rerun: the next intake, whoever starts it
    found += warehouse_opens(settings) + receipts_complete(settings) + no_file_lost(settings, corpus)
    found += differences(state(settings), expected)
    shutil.rmtree(home, ignore_errors=True)
    return found


def ingest_in_process(settings: Settings) -> None:
    from sources.intake.pipeline import inbox_files, ingest

    pinned = Settings(home=settings.home, warehouse=settings.warehouse, today_override=date.fromisoformat(TODAY))
    ingest(inbox_files(pinned), pinned, actor="harness")


def random_delays(count: int, low: float, high: float, seed: int = 13) -> list[float]:
    generator = random.Random(seed)
    return sorted(round(generator.uniform(low, high), 2) for _ in range(count))
