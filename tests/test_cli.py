"""`ipwh` as a user meets it: help with examples, and clear errors for bad arguments."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli import app

runner = CliRunner()

COMMANDS = [
    ["run"],
    ["paths"],
    ["catalogue", "plans"],
    ["catalogue", "check"],
    ["catalogue", "forms"],
    ["catalogue", "departments"],
    ["template"],
    ["ingest"],
    ["submissions"],
    ["approve"],
    ["receipt"],
    ["records"],
    ["demo"],
    ["docs"],
    ["ui"],
    ["query"],
    ["remind"],
]


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("run", "paths", "catalogue", "ui", "query", "remind"):
        assert name in result.output


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "示例" in result.output and "ipwh" in result.output


def test_plans_before_any_build_says_what_to_do(ipwh_home: Path) -> None:
    result = runner.invoke(app, ["catalogue", "plans"])
    assert result.exit_code == 1
    assert "make run" in result.output
    assert "Traceback" not in result.output


def test_unknown_plan_is_refused_with_choices(ipwh_home: Path) -> None:
    result = runner.invoke(app, ["catalogue", "plans", "--plan", "fz_99th"])
    assert result.exit_code == 1
    assert "fz_99th" in result.output and "fz_14th" in result.output


def test_unknown_region_is_refused(ipwh_home: Path) -> None:
    result = runner.invoke(app, ["catalogue", "departments", "--region", "35010"])
    assert result.exit_code == 1
    assert "区划代码" in result.output


def test_bad_configuration_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPWH_WAREHOUSE", "/tmp/not-a-duckdb.txt")
    result = runner.invoke(app, ["paths"])
    assert result.exit_code == 2
    assert "配置错误" in result.output


def test_unknown_option_is_a_usage_error() -> None:
    result = runner.invoke(app, ["catalogue", "plans", "--bogus"])
    assert result.exit_code == 2


def test_catalogue_check_passes_on_the_shipped_catalogue() -> None:
    result = runner.invoke(app, ["catalogue", "check"])
    assert result.exit_code == 0, result.output


def test_forms_and_departments_list_in_chinese() -> None:
    forms = runner.invoke(app, ["catalogue", "forms"])
    assert "知识产权创造情况月报" in forms.output and "月报" in forms.output
    depts = runner.invoke(app, ["catalogue", "departments", "--region", "350102"])
    assert "鼓楼区市场监督管理局" in depts.output


def test_run_refuses_a_broken_catalogue(ipwh_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("orchestration.cli.load", lambda: _Broken())
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 1
    assert "目录校验未通过" in result.output
    assert not (ipwh_home / "warehouse.duckdb").exists()


def test_ui_refuses_a_bad_port(ipwh_home: Path) -> None:
    result = runner.invoke(app, ["ui", "--port", "70000"])
    assert result.exit_code == 2
    assert "端口" in result.output and "Traceback" not in result.output


def test_remind_before_any_build_says_what_to_do(ipwh_home: Path) -> None:
    result = runner.invoke(app, ["remind"])
    assert result.exit_code == 1
    assert "ipwh run" in result.output


def test_run_help_explains_exit_codes() -> None:
    result = runner.invoke(app, ["run", "--help"])
    assert "3" in result.output and "质量闸门" in result.output


class _Broken:
    def problems(self) -> list[str]:
        return ["plans.csv 第 9 行的列数与表头不一致"]


def test_plans_list_every_aim_with_its_kind_and_flag_our_readings(
    ipwh_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    from sources.intake.raw_schema import ensure_raw_schema
    from tests.warehouse_fixtures import run_dbt

    warehouse = ipwh_home / "warehouse.duckdb"
    warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
    run_dbt(warehouse, tmp_path, as_of="2026-11-21", command="seed")
    run_dbt(warehouse, tmp_path, as_of="2026-11-21", command="run", select="+dim_plan_targets")
    monkeypatch.setenv("COLUMNS", "250")
    result = runner.invoke(app, ["catalogue", "plans"])
    assert result.exit_code == 0, result.output
    rows = {
        line.split("│")[1].strip() + "@" + line.split("│")[2].strip(): line
        for line in result.output.splitlines()
        if line.startswith("│") and line.split("│")[1].strip().isdigit()
    }
    expected = {
        "18@群体性侵犯他人知识产权重大案件数": "不得发生",  # 000 三(二)7
        "19@知识产权专项资金": "逐年提高",  # 000 三(二)1 heading
        "20@重点企业配备知识产权专员覆盖率": "覆盖率不低于",  # 002 三(一)3
        "21@知识产权专项资金": "逐年递增",  # 002 四(二)
        "22@作品版权登记量": "排名前列",  # 002 二(二)2
        "18@企业专利技术实施率": "逐年提高",  # 002 二(二)3
    }
    for key, kind in expected.items():
        assert key in rows and kind in rows[key], (key, sorted(rows))
    assert "<=3 名（推断）" in rows["22@作品版权登记量"]
    assert "基期 2017（推断）" in rows["21@知识产权专项资金"]
    assert any(k.startswith("5@") and "（推断）" in k for k in rows), "003 note 5's name is inferred"
