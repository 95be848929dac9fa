"""What the command line prints for analysts: return titles, query results, the SQL shell."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from rich.console import Console
from typer.testing import CliRunner

from core.settings import REPO_ROOT, Settings
from core.snapshot import publish_snapshot
from orchestration.cli import app
from orchestration.query_output import number_text, print_result
from orchestration.shell import run_shell, statements

runner = CliRunner()


def test_returns_list_shows_titles_with_the_plan_title_filled_in(ipwh_home: Path) -> None:
    result = runner.invoke(app, ["returns", "list"])
    assert result.exit_code == 0, result.output
    assert "{" not in result.output
    assert "福州市“十四五”知识产权发展专项规划主要指标监测表" in result.output


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Decimal("2458.000000000000"), 0, "2458"),
        (Decimal("0E-12"), None, "0"),
        (Decimal("0E-12"), 2, "0.00"),
        (Decimal("23.376500000000"), 3, "23.377"),
        (Decimal("81.614035087719"), None, "81.614"),
        (1.5e-13, None, "0"),
    ],
)
def test_numbers_are_printed_in_their_units_precision(value: object, places: int | None, expected: str) -> None:
    assert number_text(value, places) == expected  # type: ignore[arg-type]


def _printed(columns: list[str], rows: list[tuple[object, ...]], width: int = 100) -> str:
    buffer = io.StringIO()
    print_result(Console(file=buffer, width=width, highlight=False), columns, rows)
    return buffer.getvalue()


def test_a_row_carrying_its_unit_shows_figures_with_that_units_decimals() -> None:
    text = _printed(
        ["region_code", "unit_code", "value", "yoy_pct", "numerator_base"],
        [
            (
                "350100",
                "per_ten_thousand_persons",
                Decimal("34.362000000000"),
                Decimal("12.345678901234"),
                Decimal("25752.000000000000"),
            )
        ],
    )
    assert "34.362 " in text and "12.35" in text and "25752 " in text
    assert "25752.0" not in text and "E-" not in text


def test_a_wide_result_is_printed_record_by_record_not_as_empty_boxes() -> None:
    columns = [f"column_{n:02d}" for n in range(67)]
    text = _printed(columns, [tuple(Decimal("0E-12") for _ in columns)], width=120)
    assert "第 1 行" in text
    assert "column_66 │ 0" in text
    assert "E-12" not in text


def _snapshot(ipwh_home: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("IPWH_TODAY", "2026-11-21")
    settings = Settings.from_env()
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema marts; create schema catalogue")
        con.execute(
            "create table marts.fct_indicator_values as select '350100' as region_code, 'item' as unit_code, "
            "2458.000000000000::decimal(38, 12) as value, 0::decimal(38, 12) as yoy_pct"
        )
    publish_snapshot(settings, run_id="r1")
    return settings


def test_query_prints_decimals_without_their_storage_scale(ipwh_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _snapshot(ipwh_home, monkeypatch)
    result = runner.invoke(app, ["query", "select * from marts.fct_indicator_values"])
    assert result.exit_code == 0, result.output
    assert "2458" in result.output and "0.00" in result.output
    assert "2458.000000000000" not in result.output and "0E-12" not in result.output
    vertical = runner.invoke(app, ["query", "-x", "select * from marts.fct_indicator_values"])
    assert "region_code │ 350100" in vertical.output


def test_the_sql_shell_reads_statements_across_lines_and_dot_commands() -> None:
    text = io.StringIO(".tables\nselect 1\n, 2;\n\nselect 3;\n.quit\n")
    assert list(statements(text)) == [".tables", "select 1\n, 2", "select 3", ".quit"]


def test_the_sql_shell_answers_on_the_read_only_snapshot(ipwh_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _snapshot(ipwh_home, monkeypatch)
    buffer = io.StringIO()
    script = io.StringIO(
        ".tables\nselect value from marts.fct_indicator_values;\ndrop table marts.fct_indicator_values;\n"
    )
    failed = run_shell(settings, script, Console(file=buffer, width=100))
    text = buffer.getvalue()
    assert "marts.fct_indicator_values" in text
    assert "2458" in text and "2458.000000000000" not in text
    assert failed == 1 and "SQL 无法执行" in text and "read-only" in text
    with duckdb.connect(str(settings.snapshot_db), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_indicator_values").fetchone() == (1,)


def test_the_readme_offers_only_shells_the_install_provides() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "duckdb -readonly" not in readme
    assert "ipwh shell" in readme


def _readme_commands(prefix: str) -> list[list[str]]:
    import shlex

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for line in readme.splitlines():
        if line.startswith(prefix):
            command = line.split("#", 1)[0].replace("[--revoke]", "").replace("…", "示例")
            found.append(shlex.split(command)[1:])
    return found


def test_the_readmes_centre_examples_run_as_written(ipwh_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPWH_TODAY", "2026-11-21")  # the sample scenario's today
    commands = _readme_commands("ipwh centres designate") + _readme_commands("ipwh centres review")
    assert len(commands) == 2
    for args in commands:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "已登记 1 条记录" in result.output


def test_a_review_dated_after_today_is_refused_with_what_to_do_instead(
    ipwh_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IPWH_TODAY", "2026-11-21")
    designate = _readme_commands("ipwh centres designate")[0]
    assert runner.invoke(app, designate).exit_code == 0
    result = runner.invoke(app, ["centres", "review", "FZ-SW-01", "--date", "2028-06-30"])
    assert result.exit_code == 1
    assert "晚于今天" in result.output and "ipwh centres list" in result.output
