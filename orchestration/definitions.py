"""The one Dagster `Definitions` of the product (load with `dagster -m orchestration.definitions`).

Graph: inbox (external asset) → raw (intake) → catalogue / staging / intermediate → marts (dbt) → gate → returns,
with dbt tests and the quality rules as asset checks. Jobs:

- `build_warehouse`: intake of whatever is in the inbox, every dbt seed, model and test, the quality
  checks; the analysts' snapshot is published when dbt succeeds. Unpartitioned.
- `refresh_from_inbox`: what the inbox sensor starts for a settled drop of files: intake, then only the models
  downstream of the raw tables and their checks.
- `returns_month`, `returns_quarter`, `returns_year`: the gate and the returns of one period
  (partitioned monthly, quarterly, annually); created when such assets exist.
- `remind_departments`: the daily reminder.

DuckDB has one writer: every job runs in one process (in-process executor), the instance starts
one run at a time (dagster.yaml, written by Settings.ensure_dirs), and a locked warehouse is
waited for, then reported in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetSelection,
    AssetSpec,
    Definitions,
    HookContext,
    define_asset_job,
    definitions,
    in_process_executor,
    success_hook,
)

from core.settings import Settings
from orchestration.dbt import DBT_OP_NAME, build_dbt_assets, dbt_resource, manifest_path
from orchestration.failures import record_run_failures
from orchestration.intake_assets import INTAKE_KEYS, external_raw_specs, inbox_spec, intake_inbox
from orchestration.names import INTAKE_JOB, MAIN_JOB, RETURNS_JOBS, WAREHOUSE_RUN_TAGS
from orchestration.partitions import PERIOD_PARTITIONS
from orchestration.schedules import build_schedule, remind_job, remind_schedule, returns_schedule
from orchestration.sensors import inbox_sensor

SNAPSHOT_KEY = AssetKey(["snapshot", "analyst_snapshot"])
SITE_KEY = AssetKey(["snapshot", "monitoring_site"])
SNAPSHOT_SCHEMAS = ("marts", "catalogue")


@success_hook(name="publish_snapshot", required_resource_keys=set())
def publish_snapshot_hook(context: HookContext) -> None:
    """After dbt succeeds, publish the marts as the analysts' read-only snapshot."""
    if context.op.name != DBT_OP_NAME:
        return
    from core.snapshot import publish_snapshot

    result = publish_snapshot(Settings.from_env(), context.run_id)
    context.instance.report_runless_asset_event(
        AssetMaterialization(
            SNAPSHOT_KEY,
            description="分析快照已发布",
            metadata={
                "database": str(result.database),
                "parquet": str(result.parquet_dir),
                "tables": len(result.tables),
            },
        )
    )
    context.log.info(f"分析快照已发布：{result.database}（{len(result.tables)} 张表，{result.seconds} 秒）")
    from orchestration.runner import SITE_AFTER_RUN_TAG

    run = context.instance.get_run_by_id(context.run_id)
    if run is None or SITE_AFTER_RUN_TAG not in run.tags:  # `ipwh run` builds it itself, after the checks
        _build_site(context)


def _build_site(context: HookContext) -> None:
    """The monitoring site follows the snapshot; a failure is logged, never hides the published snapshot."""
    from monitoring_site.build import build_site

    try:
        site = build_site(Settings.from_env())
    except Exception as exc:  # the snapshot is published either way; the site waits for the next build
        context.log.warning(f"监测网站未能生成：{exc}")
        return
    context.instance.report_runless_asset_event(
        AssetMaterialization(
            SITE_KEY,
            description="指标监测网站已生成",
            metadata={"index": str(site.folder / "index.html"), "pages": len(site.pages), "seconds": site.seconds},
        )
    )
    context.log.info(f"监测网站已生成：{site.folder / 'index.html'}（{len(site.pages)} 个页面）")


def _keys(definition: Any) -> list[AssetKey]:
    keys = getattr(definition, "keys", None)
    if keys is not None:
        return list(keys)
    key = getattr(definition, "key", None)
    return [key] if key is not None else []


def partitioned_keys(definitions: Sequence[Any], period_type: str) -> list[AssetKey]:
    """Keys of the assets partitioned like `period_type`'s forms."""
    wanted = PERIOD_PARTITIONS[period_type]
    return [key for d in definitions if getattr(d, "partitions_def", None) == wanted for key in _keys(d)]


def build_definitions(
    settings: Settings | None = None,
    checks: Sequence[Any] | None = None,
    gates: Sequence[Any] | None = None,
    returns: Sequence[Any] | None = None,
) -> Definitions:
    """The product's Definitions; `checks`, `gates`, `returns` default to the quality and returns modules'."""
    from orchestration.quality_checks import gate_assets, quality_checks
    from orchestration.return_assets import return_assets

    settings = settings or Settings.from_env()
    settings.export()
    warehouse_dbt = build_dbt_assets(manifest_path(settings))
    checks = list(quality_checks() if checks is None else checks)
    gates = list(gate_assets() if gates is None else gates)
    returns = list(return_assets() if returns is None else returns)
    dbt_keys = list(warehouse_dbt.keys)
    unpartitioned = [*INTAKE_KEYS, *dbt_keys]
    snapshot_spec = AssetSpec(
        SNAPSHOT_KEY,
        deps=[k for k in dbt_keys if k.path[0] in SNAPSHOT_SCHEMAS],
        group_name="snapshot",
        description="分析快照：数据集市与目录的只读副本（snapshot/warehouse.duckdb 与 Parquet），每次构建成功后发布",
    )
    site_spec = AssetSpec(
        SITE_KEY,
        deps=[SNAPSHOT_KEY],
        group_name="snapshot",
        description="指标监测网站：由分析快照生成的静态页面（site/index.html），每次发布快照后重新生成",
    )
    jobs: list[Any] = [
        define_asset_job(
            MAIN_JOB,
            selection=AssetSelection.assets(*unpartitioned),
            description="接收收件箱、载入目录并构建仓库全部模型与检查，随后发布分析快照",
            hooks={publish_snapshot_hook},
            tags=WAREHOUSE_RUN_TAGS,
        ),
        define_asset_job(
            INTAKE_JOB,
            selection=AssetSelection.assets(*INTAKE_KEYS).downstream() & AssetSelection.assets(*unpartitioned),
            description="收件箱有新报表时：接收，再刷新原始表下游的模型与检查，随后发布分析快照",
            hooks={publish_snapshot_hook},
            tags=WAREHOUSE_RUN_TAGS,
        ),
        remind_job,
    ]
    schedules: list[Any] = [build_schedule(MAIN_JOB), remind_schedule]
    for period_type, job_name in RETURNS_JOBS.items():
        keys = partitioned_keys([*gates, *returns], period_type)
        if not keys:
            continue
        jobs.append(
            define_asset_job(
                job_name,
                selection=AssetSelection.assets(*keys),
                description=f"质量闸门与上报报表（{period_type}，一个报告期一个分区）",
                tags=WAREHOUSE_RUN_TAGS,
            )
        )
        schedules.append(returns_schedule(period_type, job_name))
    return Definitions(
        assets=[
            inbox_spec(),
            intake_inbox,
            *external_raw_specs(),
            warehouse_dbt,
            snapshot_spec,
            site_spec,
            *gates,
            *returns,
        ],
        asset_checks=checks,
        jobs=jobs,
        schedules=schedules,
        sensors=[inbox_sensor, record_run_failures],
        resources={"dbt": dbt_resource(settings)},
        executor=in_process_executor,
    )


@definitions
def defs() -> Definitions:
    """Loaded on demand by `dagster dev -m orchestration.definitions` (importing this module builds nothing)."""
    return build_definitions()
