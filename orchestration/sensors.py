"""The inbox sensor: a drop of filled forms into `inbox/<department>/` starts one run.

Files that arrive together are taken together: nothing is requested while any file in the inbox is
still changing (a copy may be in progress), and then one run takes every settled file, so a
department (or `ipwh demo`) dropping 2,800 forms starts one intake and one dbt refresh, not 2,800.
While an intake run is queued or running no new one is requested: that run, or the next one after
it, takes whatever has settled by then (intake takes every settled inbox file and is idempotent).
The run key is the hash of the batch's file hashes and drop times, so a batch is requested once
however often the sensor looks; the same bytes dropped again later are a new drop (a new key), and
intake answers "already received" on a receipt instead of the file waiting in the inbox for ever.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from dagster import (
    AssetObservation,
    DagsterInvariantViolationError,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from core.settings import Settings
from orchestration.intake_assets import INBOX_KEY, INTAKE_OP_NAME, is_settled
from orchestration.names import INTAKE_JOB

ACTIVE = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]
BATCH_TAG = "ipwh/batch"


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


def batch_request(files: list[tuple[Path, str, str | None, float]]) -> RunRequest:
    """One run for a settled drop: every file, keyed by their hashes and drop times."""
    marks = sorted(f"{sha}@{int(dropped)}" for _, sha, _, dropped in files)
    key = hashlib.sha256("\n".join(marks).encode()).hexdigest()
    departments = sorted({department or "—" for _, _, department, _ in files})
    return RunRequest(
        run_key=key,
        run_config={
            "ops": {
                INTAKE_OP_NAME: {
                    "config": {"files": [str(path) for path, _, _, _ in files], "skip_if_nothing_new": True}
                }
            }
        },
        tags={
            BATCH_TAG: key[:16],
            "ipwh/files": str(len(files)),
            "ipwh/departments": "、".join(departments)[:200],
        },
    )


@sensor(
    name="inbox_sensor",
    job_name=INTAKE_JOB,
    minimum_interval_seconds=15,
    default_status=DefaultSensorStatus.RUNNING,
    description="收件箱有新报表且已写完时接收：同一批放入的文件合并为一次运行，随后刷新仓库与检查",
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
    if unsettled:
        yield SkipReason(f"收件箱中有 {unsettled} 个文件仍在写入：等整批写完后一并接收。")
        return
    if not waiting:
        yield SkipReason("收件箱中没有新文件。")
        return
    if _intake_active(context):
        yield SkipReason(f"上一批仍在接收中；收件箱中的 {len(waiting)} 个文件将在其后一并接收。")
        return
    _observe_inbox(context, waiting)
    yield batch_request(waiting)


def _intake_active(context: SensorEvaluationContext) -> bool:
    try:
        instance = context.instance
    except DagsterInvariantViolationError:  # evaluated without an instance (unit tests)
        return False
    return bool(instance.get_run_records(RunsFilter(job_name=INTAKE_JOB, statuses=ACTIVE), limit=1))


def _observe_inbox(context: SensorEvaluationContext, waiting: list[tuple[Path, str, str | None, float]]) -> None:
    """Record on the inbox node what the drop held (the asset graph shows the inbox's history)."""
    try:
        instance = context.instance
    except DagsterInvariantViolationError:
        return
    departments = sorted({department or "—" for _, _, department, _ in waiting})
    instance.report_runless_asset_event(
        AssetObservation(INBOX_KEY, metadata={"文件数": len(waiting), "单位": "、".join(departments)[:500]})
    )
