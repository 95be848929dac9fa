"""End to end: the main job loads the catalogue into a fresh warehouse through Dagster, and dbt's
tests can fail (they are checks, not decoration)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from core.settings import DBT_PROJECT_DIR, Settings
from core.warehouse import WarehouseUnavailable, query
from expectations.rules import rules_by_code
from orchestration.cli import app
from orchestration.runner import run_main_job
from tests.test_catalogue import SPEC_TARGET_COUNTS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("built") / "var"
    saved = {k: os.environ.get(k) for k in ("IPWH_HOME", "IPWH_WAREHOUSE", "DAGSTER_HOME")}
    os.environ["IPWH_HOME"] = str(home)
    os.environ.pop("IPWH_WAREHOUSE", None)
    settings = Settings.from_env()
    summary = run_main_job(settings)
    # With the catalogue alone there is no submitted data: every dbt test passes, and the quality rules
    # refuse (nothing to check counts as a failure, never a pass), which stops the run as a data problem.
    rule_codes = set(rules_by_code())
    dbt_failures = [name for name in summary.checks_failed if name.rsplit(":", 1)[-1] not in rule_codes]
    assert not dbt_failures, (dbt_failures, summary.errors)
    assert summary.refused, summary.errors
    yield settings
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_run_materialises_catalogue_and_runs_checks(built: Settings) -> None:
    _, rows = query(built.warehouse, "select table_schema, count(*) from information_schema.tables group by 1")
    counts = dict(rows)
    assert counts["catalogue"] == len(list((DBT_PROJECT_DIR / "seeds").glob("*.csv")))
    assert counts["marts"] >= 2
    assert (built.dagster_home / "dagster.yaml").exists()


def test_targets_per_plan_in_the_warehouse(built: Settings) -> None:
    _, rows = query(built.warehouse, "select plan_code, count(*) from marts.dim_plan_targets group by 1")
    counts = dict(rows)
    for plan, minimum in SPEC_TARGET_COUNTS.items():
        assert counts[plan] >= minimum


def test_decimal_types_are_exact(built: Settings) -> None:
    _, rows = query(
        built.warehouse,
        "select data_type from information_schema.columns "
        "where table_name = 'plan_targets' and column_name = 'target_value'",
    )
    assert rows == [("DECIMAL(24,6)",)]
    _, rows = query(
        built.warehouse, "select baseline_value from catalogue.plan_targets where target_code = 'fz_14th.01'"
    )
    assert str(rows[0][0]) == "23.377000"


def test_plans_command_prints_targets_and_citations(built: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPWH_HOME", str(built.home))
    result = CliRunner().invoke(app, ["catalogue", "plans"])
    assert result.exit_code == 0, result.output
    for text in (
        "福州市“十四五”知识产权发展专项规划",
        "每万人口有效发明专利拥有量",
        "001_b5d4a5296c7b0b6a.txt",
        "表2 row 6",
        "目标值未知",
        "（推断）",
        "鲤城区实施福建省知识产权强区工程工作方案",
    ):
        assert text in result.output


def test_locked_warehouse_gives_a_clear_message(built: Settings) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(built.warehouse)!r})
            print("locked", flush=True)
            sys.stdin.read()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseUnavailable, match="正在被其他进程写入"):
            query(built.warehouse, "select 1")
    finally:
        holder.communicate("", timeout=30)


def test_corrupt_warehouse_file_gives_a_clear_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"PK\x03\x04 not a database" * 100)
    with pytest.raises(WarehouseUnavailable):
        query(bad, "select 1")


def test_definitions_load_with_assets_and_checks(built: Settings) -> None:
    from orchestration.definitions import MAIN_JOB, build_definitions

    defs = build_definitions()
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"catalogue/plan_targets", "catalogue/regions", "marts/dim_plan_targets"} <= keys
    checks = defs.resolve_asset_graph().asset_check_keys
    assert any(c.name.startswith("unique_plan_targets_target_code") for c in checks)
    assert defs.resolve_job_def(MAIN_JOB) is not None


def test_dbt_tests_fail_on_a_broken_catalogue(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    targets = project / "seeds" / "plan_targets.csv"
    text = targets.read_text(encoding="utf-8")
    # A target pointing at an indicator the catalogue does not have, and one citing no seed file.
    text = text.replace("fz_14th,2,valid_invention_patents", "fz_14th,2,no_such_indicator", 1)
    text = text.replace("001_b5d4a5296c7b0b6a.txt,表2 row 3", "somewhere.txt,表2 row 3", 1)
    targets.write_text(text, encoding="utf-8")
    env = {**os.environ, "IPWH_WAREHOUSE": str(tmp_path / "broken.duckdb")}
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [str(dbt), "build", "--select", "plan_targets", "--profiles-dir", str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "relationships_plan_targets_indicator_code" in result.stdout
    assert "accepted_values_plan_targets_seed_file" in result.stdout
    with duckdb.connect(str(tmp_path / "broken.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from catalogue.plan_targets").fetchone()[0] > 0
