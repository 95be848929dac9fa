"""The analysts' snapshot, `ipwh query` on it, and `ipwh remind` (no Dagster, no dbt: fast)."""

from __future__ import annotations

import smtplib
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from core.settings import Settings
from core.snapshot import INPUTS_KEY_FILE, publish_snapshot
from orchestration.cli import app

runner = CliRunner()


def _tiny_warehouse(settings: Settings) -> None:
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema marts; create schema catalogue; create schema staging")
        con.execute("create table catalogue.plans as select 'fz_14th' as plan_code, '福州市十四五规划' as plan_title")
        con.execute("create table staging.secret as select 1 as x")
        con.execute(
            """
            create table marts.dim_form_assignments as select * from (values
              ('ip_creation_monthly', '知识产权创造情况月报', '榕知统1表', 'month', 10, '350102.amr', '鼓楼区局',
               '350102', null::date, null::date),
              ('ip_protection_quarterly', '知识产权保护与运用情况季报', '榕知统2表', 'quarter', 15, '350103.amr',
               '台江区局', '350103', null::date, null::date)
            ) as t(form_code, form_name, table_no, period_type, due_days, department_code, department_name,
                   region_code, region_valid_from, region_valid_to)
            """
        )
        con.execute(
            """
            create table marts.fct_submission_completeness as select * from (values
              ('ip_creation_monthly', '350102.amr', '2026-09', true, true, date '2026-10-10'),
              ('ip_protection_quarterly', '350103.amr', '2026Q2', true, false, date '2026-07-15'),
              ('ip_protection_quarterly', '350103.amr', '2026Q3', true, false, date '2026-10-15')
            ) as t(form_code, department_code, period_code, is_expected, is_received, due_date)
            """
        )


@pytest.fixture
def home(ipwh_home: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("IPWH_TODAY", "2026-11-05")
    settings = Settings.from_env()
    _tiny_warehouse(settings)
    return settings


def test_snapshot_copies_marts_and_catalogue_only(home: Settings) -> None:
    result = publish_snapshot(home, run_id="r1")
    assert result.database == home.snapshot_db
    with duckdb.connect(str(home.snapshot_db), read_only=True) as con:
        listing = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        tables = {f"{s}.{t}" for s, t in listing}
        assert {"marts.dim_form_assignments", "catalogue.plans", "meta.snapshot"} <= tables
        assert "staging.secret" not in tables
        assert con.execute("select run_id from meta.snapshot").fetchone() == ("r1",)
    parquet = sorted(p.name for p in (home.snapshot / "parquet").glob("*.parquet"))
    assert parquet == [
        "catalogue.plans.parquet",
        "marts.dim_form_assignments.parquet",
        "marts.fct_submission_completeness.parquet",
    ]
    with duckdb.connect() as con:
        path = home.snapshot / "parquet" / "catalogue.plans.parquet"
        assert con.execute(f"select plan_title from '{path}'").fetchone() == ("福州市十四五规划",)
    assert not list(home.snapshot.glob("*.tmp")) and not list((home.snapshot / "parquet").glob(".*"))


def test_a_publication_drops_the_key_of_the_snapshot_it_replaces(home: Settings) -> None:
    """The key `ipwh run` keeps beside a snapshot it published never outlives that snapshot."""
    publish_snapshot(home, run_id="r1")
    (home.snapshot / INPUTS_KEY_FILE).write_text("key-of-r1", encoding="utf-8")
    publish_snapshot(home, run_id="r2")
    assert not (home.snapshot / INPUTS_KEY_FILE).exists()


def test_an_open_analyst_connection_never_blocks_publishing(home: Settings) -> None:
    publish_snapshot(home, run_id="r1")
    analyst = duckdb.connect(str(home.snapshot_db), read_only=True)
    try:
        with duckdb.connect(str(home.warehouse)) as con:
            con.execute("drop table catalogue.plans")
        publish_snapshot(home, run_id="r2", attempts=1)
        # The analyst keeps the old snapshot until reconnecting; new connections see the new one.
        assert analyst.execute("select run_id from meta.snapshot").fetchone() == ("r1",)
    finally:
        analyst.close()
    with duckdb.connect(str(home.snapshot_db), read_only=True) as con:
        assert con.execute("select run_id from meta.snapshot").fetchone() == ("r2",)
    assert not (home.snapshot / "parquet" / "catalogue.plans.parquet").exists()  # stale file removed


def test_query_prints_a_table_and_csv(home: Settings) -> None:
    publish_snapshot(home)
    result = runner.invoke(app, ["query", "select plan_code as 规划, plan_title from catalogue.plans"])
    assert result.exit_code == 0, result.output
    assert "规划" in result.output and "福州市十四五规划" in result.output and "1 行" in result.output
    result = runner.invoke(app, ["query", "--csv", "select plan_code, plan_title from catalogue.plans"])
    assert result.exit_code == 0
    assert result.output.splitlines() == ["plan_code,plan_title", "fz_14th,福州市十四五规划"]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [("selec 1", "syntax error"), ("select * from marts.nope", "nope"), ("drop table catalogue.plans", "read-only")],
)
def test_query_bad_sql_exits_2(home: Settings, sql: str, expected: str) -> None:
    publish_snapshot(home)
    result = runner.invoke(app, ["query", sql])
    assert result.exit_code == 2
    assert "SQL 无法执行" in result.output and expected in result.output
    assert "Traceback" not in result.output


def test_query_before_any_snapshot_says_what_to_do(ipwh_home: Path) -> None:
    result = runner.invoke(app, ["query", "select 1"])
    assert result.exit_code == 1
    assert "ipwh run" in result.output


def test_query_does_not_import_dagster(home: Settings) -> None:
    publish_snapshot(home)
    code = (
        "import sys\n"
        "from orchestration.cli import app\n"
        "try:\n"
        "    app(['query', 'select 1'], prog_name='ipwh')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('DAGSTER' if any(m.startswith('dagster') for m in sys.modules) else 'CLEAN')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().endswith("CLEAN"), result.stdout + result.stderr


# ---------------------------------------------------------------- reminders


def test_remind_lists_due_soon_and_overdue_and_writes_alerts(home: Settings) -> None:
    from orchestration.reminders import collect

    report = collect(home, days_ahead=7)
    assert report.today == date(2026, 11, 5)
    soon = [(r.department_code, r.period, r.due) for r in report.due_soon]
    assert soon == [("350102.amr", "2026-10", date(2026, 11, 10))]
    overdue = {(r.department_code, r.period) for r in report.overdue}
    assert overdue == {("350103.amr", "2026Q2"), ("350103.amr", "2026Q3")}

    result = runner.invoke(app, ["remind", "--days", "7"])
    assert result.exit_code == 0, result.output
    assert "即将到期" in result.output and "逾期未报" in result.output and "鼓楼区局" in result.output
    text = (home.alerts / "2026-11-05.txt").read_text(encoding="utf-8")
    assert "已逾期 21 天" in text
    csv_text = (home.alerts / "2026-11-05.csv").read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("状态,应报日期")
    assert len(csv_text.splitlines()) == 4


def test_remind_mails_when_smtp_is_configured(home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[object] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            sent.append((host, port))

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *args: object) -> None:
            return None

        def starttls(self) -> None:
            sent.append("starttls")

        def login(self, user: str, password: str) -> None:
            sent.append(("login", user))

        def send_message(self, message: object) -> None:
            sent.append(message)

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setenv("IPWH_SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("IPWH_SMTP_PORT", "2525")
    monkeypatch.setenv("IPWH_SMTP_TO", "a@example.org, b@example.org")
    monkeypatch.setenv("IPWH_SMTP_USER", "ipwh")
    monkeypatch.setenv("IPWH_SMTP_STARTTLS", "1")
    result = runner.invoke(app, ["remind"])
    assert result.exit_code == 0, result.output
    assert "已发送邮件至：a@example.org, b@example.org" in result.output
    assert sent[0] == ("mail.example.org", 2525) and "starttls" in sent and ("login", "ipwh") in sent
    message = sent[-1]
    assert "报送提醒 2026-11-05" in message["Subject"]  # type: ignore[index]


def test_remind_with_smtp_but_no_recipient_is_a_clear_error(home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPWH_SMTP_HOST", "mail.example.org")
    result = runner.invoke(app, ["remind"])
    assert result.exit_code == 1
    assert "IPWH_SMTP_TO" in result.output and "Traceback" not in result.output
