"""Intake as Dagster assets: the inbox feeds the raw tables that dbt reads as sources.

`inbox/forms` is the inbox itself, an external asset (files departments drop; Dagster does not make
them), upstream of `intake_inbox`, one multi-asset producing `raw/submissions`, `raw/submission_values`,
`raw/submission_problems` and `raw/submission_events` (the dbt sources' keys), so the graph reads
inbox → raw → staging → marts. A run ingests the files it was asked for plus every other file
already settled in the inbox (intake is idempotent: the same bytes twice are a no-op), and writes
their receipts. When the sensor asked for files and none of them was new (all already processed),
nothing is materialised and the dbt refresh downstream is skipped.

The patent-record tables (`raw/patent_records`, `raw/patent_extracts`) are loaded by
`ipwh records`; they appear in the graph as external assets.
"""

# No `from __future__ import annotations`: Dagster reads the config classes from the annotations.

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import AssetExecutionContext, AssetKey, AssetSpec, Config, MaterializeResult, multi_asset
from pydantic import Field

from core.settings import Settings

if TYPE_CHECKING:
    from sources.intake.pipeline import Incoming
from orchestration.dbt import WRITER_POOL

RAW_GROUP = "raw"
INTAKE_OP_NAME = "intake_inbox"
INTAKE_TABLES = {
    "submissions": "收到的文件（每个文件一行，含结果与版本）",
    "submission_values": "已接收报表的每个数值（含工作表与单元格）",
    "submission_problems": "文件中发现的问题（错误与提示）",
    "submission_events": "报送状态历史（收到 → 接收/退回 → 取代/审核 → 锁定）",
}
EXTERNAL_RAW_TABLES = {
    "patent_records": "专利逐件明细（由 ipwh records 载入）",
    "patent_extracts": "专利明细抽取批次（由 ipwh records 载入）",
}
INTAKE_KEYS = [AssetKey([RAW_GROUP, table]) for table in INTAKE_TABLES]


def tables_intake_may_write(items: "Sequence[Incoming]") -> set[str]:
    """The raw tables an intake of these inbox entries may change, so a refresh rebuilds all that is
    downstream of them: every form adds to INTAKE_TABLES, and a form may be a task-report form
    (raw.task_reports, known only once read); an entry under inbox/centres/ is a centre's annual
    summary (raw.centre_summaries)."""
    from sources.centres.summaries import CENTRES_FOLDER

    if not items:
        return set()
    tables = {*INTAKE_TABLES, "task_reports"}
    if any(item.inbox_department == CENTRES_FOLDER for item in items):
        tables.add("centre_summaries")
    return tables


# The inbox folders themselves: an external asset upstream of intake, observed by the inbox sensor.
INBOX_KEY = AssetKey(["inbox", "forms"])
# A file is taken from the inbox only once it has not changed for this long (a copy may be in progress).
SETTLE_SECONDS = 3.0


class IntakeConfig(Config):
    files: list[str] = Field(
        default_factory=list
    )  # files the sensor saw arrive; empty = everything settled in the inbox
    skip_if_nothing_new: bool = False  # the sensor's runs: no new file → no dbt refresh


def is_settled(path: Path, now: float | None = None) -> bool:
    try:
        info = path.lstat()  # a link's own times: what it points at is never looked at
    except OSError:
        return False
    return (now or time.time()) - max(info.st_mtime, info.st_ctime) >= SETTLE_SECONDS


def inbox_spec() -> AssetSpec:
    return AssetSpec(
        INBOX_KEY,
        group_name="inbox",
        description="收件箱 var/inbox/<单位>/：各单位放入的报表文件（不由 Dagster 生成；传感器记录每批放入的文件）",
        kinds={"file"},
    )


def external_raw_specs() -> list[AssetSpec]:
    return [
        AssetSpec(AssetKey([RAW_GROUP, table]), description=text, group_name=RAW_GROUP)
        for table, text in EXTERNAL_RAW_TABLES.items()
    ]


@multi_asset(
    name=INTAKE_OP_NAME,
    specs=[
        AssetSpec(key, description=INTAKE_TABLES[key.path[-1]], group_name=RAW_GROUP, skippable=True, deps=[INBOX_KEY])
        for key in INTAKE_KEYS
    ],
    pool=WRITER_POOL,
    description="接收收件箱中的报表：归档、校验、写入原始表并出具回执",
)
def intake_inbox(context: AssetExecutionContext, config: IntakeConfig) -> Iterator[MaterializeResult]:
    from core.raw_zone import publish
    from core.warehouse import writer
    from sources.intake.pipeline import Incoming, inbox_department, inbox_files, ingest
    from sources.intake.raw_schema import ensure_raw_schema

    settings = Settings.from_env()
    settings.ensure_dirs()
    requested = [Path(f) for f in config.files]
    now = time.time()
    items: dict[Path, Incoming] = {}
    for path in requested:
        if path.is_symlink() or path.exists():
            items[path] = Incoming(path, inbox_department(path, settings), remove_after=True)
        else:
            context.log.info(f"{path.name} 已不在收件箱（此前已处理）。")
    for item in inbox_files(settings):
        if item.path not in items and is_settled(item.path, now):
            items[item.path] = item
    outcomes = ingest(list(items.values()), settings, actor="dagster") if items else []
    counts = {"accepted": 0, "rejected": 0, "duplicate": 0}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        context.log.info(f"{outcome.path.name}：{_STATUS[outcome.status]}（回执 {outcome.receipt_path}）")
    new = counts["accepted"] + counts["rejected"]
    if config.skip_if_nothing_new and new == 0:
        context.log.info("没有新报表，不刷新仓库。")
        return
    if not outcomes:
        with writer(settings.warehouse) as con:  # dbt reads the raw tables: they exist before the first file
            ensure_raw_schema(con)
            publish(con, settings, [])  # and so does an engine reading the raw zone (IPWH_RAW_ZONE)
    metadata = {
        "文件数": len(outcomes),
        "接收": counts["accepted"],
        "退回": counts["rejected"],
        "重复": counts["duplicate"],
        "回执": ", ".join(str(o.receipt_path) for o in outcomes if o.receipt_path)[:2000] or "—",
    }
    for key in INTAKE_KEYS:
        yield MaterializeResult(asset_key=key, metadata=metadata)


_STATUS = {"accepted": "已接收", "rejected": "退回", "duplicate": "重复，未处理"}
