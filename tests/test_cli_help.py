"""`ipwh … --help` as a clerk reads it: Chinese throughout, nothing cut off, allowed values shown;
and the listings an analyst copies from (receipt numbers, task names, the forms)."""

from __future__ import annotations

import inspect
import io
import re
from pathlib import Path

import duckdb
import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from core.settings import Settings
from orchestration.cli import app
from sources.catalogue import load

runner = CliRunner()
ENGLISH = (
    "Usage",
    "Options",
    "Commands",
    "Arguments",
    "Show this message",
    "<bool>",
    "<str>",
    "<int>",
    "<float>",
    "<path>",
    "[default",
    "[required]",
    "[OPTIONS]",
    "COMMAND",
    "[ARGS]",
    "Missing",
    "Error",
)


def _commands() -> list[tuple[list[str], object]]:
    """Every command and group of `ipwh`, with its argv path."""
    root = typer.main.get_command(app)
    found: list[tuple[list[str], object]] = []

    def walk(command: object, path: list[str]) -> None:
        found.append((path, command))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(root, [])
    return found


def _flat(text: str) -> str:
    return re.sub(r"[\s│╭╮╰╯─]", "", text)


def _first_paragraph(help_text: str | None) -> str:
    return inspect.cleandoc(help_text or "").split("\n\n")[0]


COMMANDS = _commands()


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "ipwh" for p, _ in COMMANDS])
def test_help_is_chinese_and_nothing_is_cut_off(path: list[str], command: object) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert not [word for word in ENGLISH if word in text], text
    assert "用法：" in text and "显示本帮助并退出。" in text
    flat = _flat(text)
    for name, sub in getattr(command, "commands", {}).items():
        assert _flat(_first_paragraph(sub.help)) in flat, f"the description of {name} is cut off"
    for param in getattr(command, "params", []):
        if getattr(param, "help", None):
            assert _flat(param.help) in flat, f"the help of {param.name} is cut off"


def test_designate_lists_every_applicant_kind_the_catalogue_allows() -> None:
    text = _flat(runner.invoke(app, ["centres", "designate", "--help"]).output)
    for row in load().rows("centre_applicant_kinds"):
        assert f"{row['applicant_kind']}（{row['applicant_kind_name']}）" in text


def test_usage_errors_are_in_chinese() -> None:
    missing = runner.invoke(app, ["returns", "submit"])
    assert missing.exit_code == 2 and "缺少选项 '--period'" in missing.output
    typo = runner.invoke(app, ["quer"])
    assert "没有命令 'quer'" in typo.output and "是否想用 'query'" in typo.output
    bad = runner.invoke(app, ["query", "--max-rows", "x", "select 1"])
    assert "应为整数" in bad.output
    for result in (missing, typo, bad):
        assert not [word for word in ENGLISH if word in result.output], result.output


def _raw_submission(settings: Settings, sid: str) -> None:
    from sources.intake.raw_schema import ensure_raw_schema

    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse)) as con:
        ensure_raw_schema(con)
        columns = [r[0] for r in con.execute("describe raw.submissions").fetchall()]
        values = {
            "submission_id": sid,
            "received_at": "2026-11-05 09:30:12",
            "form_code": "ip_creation_monthly",
            "department_code": "350102.amr",
            "period": "2026-10",
            "version": 1,
            "outcome": "accepted",
            "error_count": 0,
            "warning_count": 0,
            "file_sha256": "0" * 64,
            "archive_path": "00/" + "0" * 64 + ".xlsx",
            "file_format": "xlsx",
            "file_name": "榕知统1表_2026-10_鼓楼区市场监督管理局（知识产权局）_第二次更正后的版本.xlsx",
            "is_sample": False,
        }
        con.execute(
            f"insert into raw.submissions ({', '.join(values)}) values ({', '.join('?' for _ in values)})",
            list(values.values()),
        )
        assert set(values) <= set(columns)
        con.execute(
            "insert into raw.submission_events (submission_id, status, event_at, actor) values (?, ?, ?, ?)",
            [sid, "accepted", "2026-11-05 09:30:12", "test"],
        )


def test_submissions_shows_the_whole_receipt_number_even_on_a_narrow_terminal(
    ipwh_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orchestration.intake_commands as intake_commands

    sid = "S20261105093012ab12cd34"
    _raw_submission(Settings.from_env(), sid)
    buffer = io.StringIO()
    monkeypatch.setattr(intake_commands, "out", Console(file=buffer, width=90))
    result = runner.invoke(app, ["submissions", "--period", "2026-10"])
    assert result.exit_code == 0, result.output
    assert sid in buffer.getvalue(), buffer.getvalue()


def test_catalogue_forms_lists_the_task_report_form() -> None:
    result = runner.invoke(app, ["catalogue", "forms"])
    assert result.exit_code == 0
    for row in load().rows("task_forms"):
        assert row["table_no"] in result.output and row["form_name"] in result.output


def test_tasks_list_names_each_task(ipwh_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.tasks_commands import task_label

    settings = Settings.from_env()
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            """create table marts.fct_task_progress as select * from (values
            ('gulou_demo', 1, 1, 'gulou_demo.T1.1', '', '制定更加适应新形势的知识产权奖励扶持政策，突出高质量导向。',
             '2023年3月', '鼓楼区市场监管局', '2026Q3', '已完成', false, 0, true),
            ('gulou_demo', 1, 2, 'gulou_demo.T1.2', '专利导航', '引导企业开展专利导航。',
             '2025年6月', '鼓楼区市场监管局', null, null, true, 144, true)
            ) as t(plan_code, task_group_no, item_no, task_code, title, content, deadline_text, lead_units,
                   latest_report_period, reported_status, is_overdue, days_overdue, is_sample)"""
        )
    buffer = io.StringIO()
    import orchestration.tasks_commands as tasks_commands

    monkeypatch.setattr(tasks_commands, "out", Console(file=buffer, width=200))
    result = runner.invoke(app, ["tasks", "list"])
    assert result.exit_code == 0, result.output
    text = buffer.getvalue()
    assert "制定更加适应新形势的知识产权奖励扶持政策" in text and "专利导航" in text
    assert task_label("一" * 60).endswith("…") and len(task_label("一" * 60)) == 40


def test_records_reports_unreadable_files_in_chinese(ipwh_home: Path, tmp_path: Path) -> None:
    broken = tmp_path / "明细.parquet"
    broken.write_bytes(b"PAR1" + b"\x00" * 64)
    result = runner.invoke(app, ["records", str(broken), "--as-of", "2026-10-31"])
    assert result.exit_code == 1
    assert "Parquet 文件不完整或已损坏" in result.output
    assert not re.search(r"[A-Za-z]+ Error|magic bytes|Invalid Input", result.output), result.output


def test_records_name_the_value_that_is_not_a_date(ipwh_home: Path, tmp_path: Path) -> None:
    from tests.test_records import frame

    bad = tmp_path / "明细.csv"
    frame().assign(application_date=["2026-13-01"] * 5).to_csv(bad, index=False)
    result = runner.invoke(app, ["records", str(bad), "--as-of", "2026-10-31"])
    assert result.exit_code == 1
    assert "列 application_date 的值“2026-13-01”不是有效的日期" in result.output and "第 2 行" in result.output
    assert "Conversion Error" not in result.output and "Could not convert" not in result.output
