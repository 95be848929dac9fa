"""The one Dagster `Definitions` of the product (load with `dagster -m orchestration.definitions`)."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job

from orchestration.dbt import build_dbt_assets, dbt_project, dbt_resource, prepare_manifest
from orchestration.settings import Settings

MAIN_JOB = "build_warehouse"


def build_definitions() -> Definitions:
    settings = Settings.from_env()
    settings.export()
    manifest = dbt_project().manifest_path
    if not manifest.exists():
        manifest = prepare_manifest()
    warehouse_dbt = build_dbt_assets(manifest)
    return Definitions(
        assets=[warehouse_dbt],
        jobs=[
            define_asset_job(MAIN_JOB, selection=AssetSelection.all(), description="载入目录并构建仓库全部模型与检查")
        ],
        resources={"dbt": dbt_resource()},
    )


defs = build_definitions()
