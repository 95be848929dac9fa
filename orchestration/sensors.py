"""The inbox sensor: a filled form dropped into `inbox/<department>/` starts its own run.

One run is requested per new file, with the file's SHA-256 as run key, so a file is processed
once however often the sensor looks. A file is taken only when it has stopped changing (a copy may
be in progress). The same bytes dropped again later (after their first run finished) get a run
keyed by hash and drop time, so intake can answer "already received" on a receipt instead of the
file waiting in the inbox for ever.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from dagster import (
    DagsterInvariantViolationError,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from orchestration.intake_assets import INTAKE_OP_NAME, is_settled
from orchestration.names import INTAKE_JOB
from orchestration.settings import Settings

SHA_TAG = "ipwh/file_sha256"
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read without following a link (a link's own entry is refused by intake)."""
    digest = hashlib.sha256()
    with open(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def entry_key(path: Path) -> tuple[str, float]:
    """(run key hash, drop time) of an inbox entry; a link or other non-regular entry is never opened:
    it is keyed by its path and time, and intake refuses it with a receipt."""
    info = path.lstat()
    dropped = max(info.st_mtime, info.st_ctime)
    if stat.S_ISREG(info.st_mode):
        return file_sha256(path), dropped
    return hashlib.sha256(f"entry:{path}@{dropped}".encode()).hexdigest(), dropped


def run_request(path: Path, sha: str, run_key: str, department: str | None) -> RunRequest:
    return RunRequest(
        run_key=run_key,
        run_config={"ops": {INTAKE_OP_NAME: {"config": {"files": [str(path)], "skip_if_nothing_new": True}}}},
        tags={SHA_TAG: sha, "ipwh/file": path.name[:200], "ipwh/department": department or "—"},
    )


@sensor(
    name="inbox_sensor",
    job_name=INTAKE_JOB,
    minimum_interval_seconds=15,
    default_status=DefaultSensorStatus.RUNNING,
    description="收件箱有新报表时接收（每个文件一次，运行键为文件 SHA-256），随后刷新仓库与检查",
)
def inbox_sensor(context: SensorEvaluationContext) -> Iterator[RunRequest | SkipReason]:
    from sources.intake.pipeline import inbox_files

    settings = Settings.from_env()
    now = time.time()
    waiting: list[tuple[Path, str, str | None, float]] = []
    unsettled = 0
    for item in inbox_files(settings):
        if not is_settled(item.path, now):
            unsettled += 1
            continue
        try:
            sha, dropped = entry_key(item.path)
        except OSError:
            continue  # taken away meanwhile
        waiting.append((item.path, sha, item.inbox_department, dropped))
    if not waiting:
        yield SkipReason("收件箱中没有新文件" + (f"（{unsettled} 个文件仍在写入）" if unsettled else "") + "。")
        return
    earlier = _earlier_runs(context, {sha for _, sha, _, _ in waiting})
    requested = 0
    for path, sha, department, dropped in waiting:
        runs = earlier.get(sha, [])
        if not runs:
            yield run_request(path, sha, sha, department)
            requested += 1
        elif all(status in FINISHED for status, _ in runs) and dropped > max(started for _, started in runs):
            # The same bytes dropped again after their run: intake answers with a duplicate receipt.
            yield run_request(path, sha, f"{sha}@{int(dropped)}", department)
            requested += 1
    if not requested:
        yield SkipReason("收件箱中的文件均已有运行（排队中、运行中或已处理）。")


def _earlier_runs(context: SensorEvaluationContext, shas: set[str]) -> dict[str, list[tuple[DagsterRunStatus, float]]]:
    found: dict[str, list[tuple[DagsterRunStatus, float]]] = {}
    try:
        instance = context.instance
    except DagsterInvariantViolationError:  # evaluated without an instance (unit tests)
        return found
    records = instance.get_run_records(RunsFilter(job_name=INTAKE_JOB, tags={SHA_TAG: sorted(shas)}))
    for record in records:
        sha = record.dagster_run.tags.get(SHA_TAG)
        if sha:
            found.setdefault(sha, []).append((record.dagster_run.status, record.create_timestamp.timestamp()))
    return found
