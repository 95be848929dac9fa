"""The dbt project as Dagster assets: one asset per seed and model, dbt tests as asset checks."""

import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.settings import DBT_PROJECT_DIR


@cache
def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The dbt installed beside this interpreter, so an un-activated venv still works."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable())


def prepare_manifest() -> Path:
    """Run `dbt parse` so the manifest matches the project; returns the manifest path."""
    project = dbt_project()
    dbt_resource().cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project.manifest_path


class WarehouseTranslator(DagsterDbtTranslator):
    """Keys `<schema>/<name>` (catalogue/regions, marts/dim_plan_targets); group = schema."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props.get("schema") or "warehouse"


def build_dbt_assets(manifest: Path):
    @dbt_assets(manifest=manifest, dagster_dbt_translator=WarehouseTranslator(), name="warehouse_dbt")
    def warehouse_dbt(context: AssetExecutionContext, dbt: DbtCliResource):
        yield from dbt.cli(["build"], context=context).stream()

    return warehouse_dbt
