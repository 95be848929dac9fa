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
