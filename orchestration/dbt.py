"""The dbt project as Dagster assets: one asset per seed and model, dbt tests as asset checks.

Keys are `<schema>/<name>` (catalogue/regions, staging/stg_raw__submissions, marts/dim_plan_targets)
and the group is the schema, so the graph reads raw → staging → intermediate → marts. The raw
tables are dbt sources whose keys (`raw/submissions`, …) are the intake assets' keys, so the
models sit downstream of the inbox. The manifest and every dbt run's artifacts live under the
installation (`<IPWH_HOME>/dbt/target`), never in the repository.
"""

# No `from __future__ import annotations`: Dagster reads the context type from the annotations.

import hashlib
import importlib
import json
import sys
import threading
from collections.abc import Iterator, Mapping
from functools import cache, cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, Failure
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from packaging.version import Version

from core.settings import DBT_PROJECT_DIR, Settings
from core.warehouse import WarehouseUnavailable, is_lock_error, wait_for_writer
from orchestration.dbt_child import launcher, mark_parent

DBT_OP_NAME = "warehouse_dbt"
WRITER_POOL = "duckdb_writer"
GROUP_DESCRIPTIONS = {
    "catalogue": "目录（种子）",
    "staging": "暂存层",
    "intermediate": "中间层",
    "marts": "数据集市",
}


@cache
def _project(target: Path) -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=target)


def dbt_project(settings: Settings | None = None) -> DbtProject:
    """The one DbtProject of an installation (cached per target folder)."""
    settings = settings or Settings.from_env()
    return _project(settings.dbt_target)


def dbt_executable() -> str:
    """The dbt installed beside this interpreter, so an un-activated venv still works."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


class WarehouseDbtResource(DbtCliResource):
    """dagster-dbt's resource without two costs paid on every invocation and used for nothing here:
    `dbt --version` in a subprocess (the launcher execs the dbt of this very environment, so the
    installed dbt-core says it), and an in-process dbt adapter, which only serves column metadata
    and row counts, neither of which this project asks for."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> Any:
        return None


def dbt_resource(settings: Settings | None = None) -> DbtCliResource:
    """dbt through a launcher that makes it die with the process that started it (orchestration/dbt_child.py)."""
    settings = settings or Settings.from_env()
    executable = launcher(settings.home / "dbt" / "bin", dbt_executable())
    return WarehouseDbtResource(project_dir=dbt_project(settings), dbt_executable=executable)


PARSE_STAMP = "ipwh_parse.json"
_PROJECT_FILES = ("*.sql", "*.yml", "*.yaml", "*.csv", "*.md")


def project_fingerprint(vars_args: list[str]) -> str:
    """What a parse depends on: every project file's path, size and mtime, the vars, dbt's version."""
    digest = hashlib.sha256(json.dumps([installed_version("dbt-core"), vars_args]).encode())
    files = sorted({p for pattern in _PROJECT_FILES for p in DBT_PROJECT_DIR.rglob(pattern)})
    for path in files:
        if any(part in ("target", "logs", "dbt_packages") for part in path.relative_to(DBT_PROJECT_DIR).parts):
            continue
        info = path.stat()
        digest.update(f"{path.relative_to(DBT_PROJECT_DIR)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def prepare_manifest(settings: Settings | None = None) -> Path:
    """Run `dbt parse` so the manifest matches the project; returns the manifest path.

    Parsed with the vars the build passes, into the folder the build uses, so the build's own parse
    is partial (nothing changed: nothing re-read). Skipped when nothing the parse reads has changed
    since the last one (the stamp beside the manifest)."""
    settings = settings or Settings.from_env()
    project = dbt_project(settings)
    settings.dbt_target.mkdir(parents=True, exist_ok=True)
    vars_args = dbt_vars(settings)
    stamp = settings.dbt_target / PARSE_STAMP
    fingerprint = project_fingerprint(vars_args)
    if project.manifest_path.exists() and _read_stamp(stamp) == fingerprint:
        return project.manifest_path
    mark_parent()
    invocation = dbt_resource(settings).cli(
        ["parse", "--quiet", *vars_args], target_path=settings.dbt_target, raise_on_error=False
    )
    for _ in invocation.stream_raw_events():  # consumed quietly: parse has nothing to report when it works
        pass
    if not invocation.is_successful() or not project.manifest_path.exists():
        log = settings.dbt_target / "dbt.log"
        raise WarehouseUnavailable(f"dbt 无法解析项目 {DBT_PROJECT_DIR}（详见 {log}）。")
    stamp.write_text(fingerprint, encoding="utf-8")
    return project.manifest_path


def _read_stamp(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def manifest_path(settings: Settings | None = None) -> Path:
    """The manifest Definitions load: prepared on first use."""
    project = dbt_project(settings)
    return project.manifest_path if project.manifest_path.exists() else prepare_manifest(settings)


class WarehouseTranslator(DagsterDbtTranslator):
    """Keys `<schema>/<name>`; group = schema; sources keep `raw/<table>` (the intake assets' keys)."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return dbt_resource_props["source_name"]
        return dbt_resource_props.get("schema") or "warehouse"


def dbt_vars(settings: Settings) -> list[str]:
    """`--vars` for dbt: the day the warehouse is judged as of, always `Settings.today`.

    Never left to SQL's `current_date`: DuckDB takes it from the machine's time zone (UTC on a
    server), which is still yesterday in Asia/Shanghai until 08:00.
    """
    return ["--vars", json.dumps({"as_of": settings.today.isoformat()})]


def build_dbt_assets(manifest: Path):
    """The dbt assets of a manifest (built once per manifest version: loading them takes seconds)."""
    return _dbt_assets(manifest, manifest.stat().st_mtime_ns)


@cache
def _dbt_assets(manifest: Path, _version: int):
    @dbt_assets(
        manifest=manifest,
        dagster_dbt_translator=WarehouseTranslator(),
        name=DBT_OP_NAME,
        pool=WRITER_POOL,
    )
    def warehouse_dbt(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        yield from run_dbt_build(context, dbt, Settings.from_env())

    return warehouse_dbt


def seed_keys(manifest: Path) -> dict[AssetKey, str]:
    """The seeds' asset keys and table names (the catalogue), from the manifest."""
    return dict(_seed_keys(manifest, manifest.stat().st_mtime_ns))


@cache
def _seed_keys(manifest: Path, _version: int) -> tuple[tuple[AssetKey, str], ...]:
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"].values()
    translator = WarehouseTranslator()
    return tuple((translator.get_asset_key(n), n["name"]) for n in nodes if n["resource_type"] == "seed")


def build_target(settings: Settings) -> Path:
    """Where every build writes its artifacts: one stable folder, so each build's parse is partial
    (dbt re-reads only changed files) instead of a full parse into a fresh folder per run. Runs are
    one at a time (one writer), so they never share it at once; Dagster's manifest stays apart."""
    return settings.dbt_target / "build"


def run_dbt_build(context: AssetExecutionContext, dbt: DbtCliResource, settings: Settings) -> Iterator[Any]:
    """`dbt build` for the selected models, seeds and tests; a locked warehouse is waited for, then reported."""
    from core.settings import local_now
    from core.warehouse import writer
    from orchestration.build_inputs import (
        changed_raw_tables,
        downstream_of_raw,
        forget_models_built,
        raw_table_fingerprints,
        record_models_built,
        record_unit_tests_passed,
        unit_tests_passed,
    )
    from orchestration.seed_state import forget_seeds_loaded, loaded_seeds, record_seeds_loaded, seeds_fingerprint

    wait_for_writer(settings.warehouse)
    target = build_target(settings)
    seeds = set(seed_keys(dbt_project(settings).manifest_path))
    selected = set(context.selected_asset_keys)
    fingerprint = seeds_fingerprint() if seeds <= selected else None
    builds_every_model = set(context.assets_def.keys) - seeds <= selected
    with writer(settings.warehouse) as con:
        project = project_fingerprint(dbt_vars(settings))
        seeds_before = None if fingerprint else loaded_seeds(con)
        # A build of only the models downstream of the raw tables that changed since the last complete
        # build leaves every model consistent again (the others read nothing that changed).
        changed = changed_raw_tables(con, seeds_before, project) if seeds_before else None
        covers_changes = (
            changed is not None and downstream_of_raw(dict(context.assets_def.asset_deps), changed) <= selected
        )
        forget_models_built(con)  # until this build has succeeded
        if fingerprint:
            forget_seeds_loaded(con)
        # What the models are built from: the raw tables as they are now, the seeds as they will be.
        seeds_now = fingerprint or seeds_before
        tables = raw_table_fingerprints(con) if seeds_now and (builds_every_model or covers_changes) else None
        code = project_fingerprint([])  # what the unit tests depend on: the project's files alone
        skip_unit_tests = fingerprint is None and unit_tests_passed(con, code)
        if not skip_unit_tests:
            record_unit_tests_passed(con, None)
    # Seeds are the catalogue: rebuilt whole when selected, so a catalogue that gains a column loads
    # into an existing warehouse. No model is incremental, so nothing else is affected.
    args = ["build", "--full-refresh", *dbt_vars(settings)]
    if skip_unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    log = target / "dbt.log"
    logged = log.stat().st_size if log.exists() else 0  # dbt appends: this run's lines start here
    mark_parent()
    invocation = dbt.cli(args, context=context, target_path=target, raise_on_error=False)
    _import_in_background("great_expectations")
    yield from invocation.stream()
    ran_every_unit_test = builds_every_model and not skip_unit_tests
    if invocation.is_successful() and (fingerprint or tables is not None or ran_every_unit_test):
        with writer(settings.warehouse) as con:
            if fingerprint:
                record_seeds_loaded(con, fingerprint, local_now().replace(tzinfo=None))
            if tables is not None and seeds_now:
                record_models_built(con, seeds_now, project, tables, local_now().replace(tzinfo=None))
            if ran_every_unit_test:
                record_unit_tests_passed(con, code)
    if not invocation.is_successful():
        text = _read_from(log, logged)
        if is_lock_error(text):
            raise Failure(
                description=f"仓库 {settings.warehouse} 正被其他进程占用，dbt 无法写入；请稍后重试（日志：{log}）。"
            )
        raise Failure(description=f"dbt 构建失败：{failed_nodes(target)}（完整日志：{log}）")


def _import_in_background(module: str) -> None:
    """Import `module` on a thread while dbt works in its own process and this one would only wait.

    New data means the quality checks that follow validate with Great Expectations, whose import
    alone takes seconds; begun here, it is done (or nearly) when they start. A failure is left for
    the checks to meet and report (they import it again)."""

    def run() -> None:
        try:
            importlib.import_module(module)
        except BaseException:  # the checks import it again and report the failure
            return

    threading.Thread(target=run, name=f"import-{module}", daemon=True).start()


def failed_nodes(target: Path, limit: int = 3) -> str:
    """The first failed dbt nodes with dbt's message, from run_results.json."""
    results_file = target / "run_results.json"
    try:
        results = json.loads(results_file.read_text(encoding="utf-8")).get("results", [])
    except (OSError, ValueError):
        return "dbt 未能完成（见日志）"
    failed = [r for r in results if r.get("status") in ("error", "fail", "runtime error")]
    lines = []
    for result in failed[:limit]:
        message = " ".join(str(result.get("message") or "").split())[:300]
        lines.append(f"{result.get('unique_id')}：{message}")
    more = f"；另有 {len(failed) - limit} 项" if len(failed) > limit else ""
    return "；".join(lines) + more if lines else "dbt 未能完成（见日志）"


def _read_from(path: Path, offset: int) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(offset if path.stat().st_size >= offset else 0)  # rotated: read it whole
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
