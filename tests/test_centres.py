"""Industry IP centres (004): the registry (import, designate, review), annual summaries through the
inbox, the CLI and the marts (summaries expected, re-review due)."""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from core.settings import Settings
from orchestration.cli import app
from reports.sources import CENTRE_COLUMNS
from sources.catalogue import Catalogue
from sources.centres.registry import import_registry, record_event, registry_rows_text
from sources.centres.summaries import restore_summary_receipts
from sources.demo.tasks import DemoCentreSummary, summary_pdf
from sources.intake.pipeline import inbox_files, ingest
from tests.form_files import dropped_at
from tests.warehouse_fixtures import mark_return_submitted, query, run_dbt

TODAY = date(2026, 11, 21)
runner = CliRunner()


def centre(code: str, day: str, **extra: str) -> dict[str, str]:
    return {
        "centre_code": code,
        "centre_name": f"中心{code}",
        "applicant_name": "某公司",
        "applicant_kind": "enterprise",
        "industry": "软件",
        "region_code": "350102",
        "event": "designated",
        "event_date": day,
        "document_no": "榕市监〔2023〕1号",
        **extra,
    }


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "var", warehouse=tmp_path / "var" / "warehouse.duckdb", today_override=TODAY)
    s.ensure_dirs()
    return s


def events(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute("select centre_code, event, event_date from raw.centre_registry order by 1, 3").fetchall()


def drop(settings: Settings, folder: str, name: str, data: bytes) -> Path:
    path = settings.inbox / "centres" / folder / name if folder else settings.inbox / "centres" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


PDF = summary_pdf(DemoCentreSummary("T", 2024, TODAY, "x.pdf"))


# --- registry -----------------------------------------------------------------------------------


def test_registry_import_records_events_and_is_idempotent(settings: Settings, catalogue: Catalogue) -> None:
    rows = [centre("FZ-01", "2023-05-10"), centre("FZ-02", "2024-01-15", applicant_kind="行业协会")]
    data = registry_rows_text(rows)
    result = import_registry(data, "名册.csv", settings, catalogue)
    assert result.ok and result.recorded == 2
    assert import_registry(data, "名册.csv", settings, catalogue).duplicate_file
    longer = registry_rows_text([*rows, {"centre_code": "FZ-01", "event": "复核", "event_date": "2026-05-08"}])
    again = import_registry(longer, "名册2.csv", settings, catalogue)
    assert (again.recorded, again.skipped) == (1, 2)
    assert events(settings) == [
        ("FZ-01", "designated", date(2023, 5, 10)),
        ("FZ-01", "re_reviewed", date(2026, 5, 8)),
        ("FZ-02", "designated", date(2024, 1, 15)),
    ]
    assert any(settings.archive.rglob("*.csv"))  # the registry file itself is archived


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (centre("A1", "2023-05-10", applicant_kind="个人"), "applicant_kind"),
        (centre("A1", "2023-05-10", region_code="999999"), "不在区划目录中"),
        (centre("A1", "2023-05-10", region_code="350502"), "不在福州市范围内"),
        (centre("A1", "2023-02-30"), "不是日期"),
        (centre("A1", "2027-01-01"), "晚于今天"),
        (centre("A1", "2021-01-01"), "早于工作方案印发日"),
        (centre("A1", "2023-05-10", centre_name=""), "centre_name：认定记录必须填写"),
        (centre("../x", "2023-05-10"), "不是有效的中心编码"),
        (centre("A1", "2023-05-10", event="suspended"), "无法识别"),
        ({"centre_code": "NEW", "event": "revoked", "event_date": "2024-01-01"}, "不在名册中"),
    ],
)
def test_a_bad_registry_row_rejects_the_whole_file(
    settings: Settings, catalogue: Catalogue, row: dict[str, str], message: str
) -> None:
    data = registry_rows_text([centre("OK-1", "2023-05-10"), row])
    result = import_registry(data, "bad.csv", settings, catalogue)
    assert not result.ok and result.recorded == 0
    assert any(p.startswith("第3行") and message in p for p in result.problems), result.problems
    assert events(settings) == []


def test_bad_registry_files(settings: Settings, catalogue: Catalogue) -> None:
    assert "表头缺少列" in import_registry(b"code,name\nA,B\n", "a.csv", settings, catalogue).problems[0]
    assert "文件为空" in import_registry(b"", "b.csv", settings, catalogue).problems[0]
    twice = registry_rows_text([centre("D-1", "2023-05-10"), centre("D-1", "2024-05-10")])
    assert "不能重复认定" in import_registry(twice, "c.csv", settings, catalogue).problems[0]
    gbk = registry_rows_text([centre("G-1", "2023-05-10")]).decode("utf-8").encode("gbk")
    assert import_registry(gbk, "gbk.csv", settings, catalogue).recorded == 1


def test_review_before_designation_and_after_revocation_are_refused(settings: Settings, catalogue: Catalogue) -> None:
    assert record_event(settings, catalogue, centre("R-1", "2023-05-10")).recorded == 1
    early = record_event(
        settings, catalogue, {"centre_code": "R-1", "event": "re_reviewed", "event_date": "2023-01-01"}
    )
    assert "早于认定日期" in early.problems[0] and not early.problems[0].startswith("第0行")
    assert record_event(settings, catalogue, {"centre_code": "R-1", "event": "revoked", "event_date": "2024-01-01"}).ok
    late = record_event(settings, catalogue, {"centre_code": "R-1", "event": "re_reviewed", "event_date": "2025-01-01"})
    assert "已撤销" in late.problems[0]


# --- annual summaries through the inbox -----------------------------------------------------------


def test_summaries_are_archived_recorded_and_receipted(settings: Settings, catalogue: Catalogue) -> None:
    import_registry(registry_rows_text([centre("FZ-01", "2023-05-10")]), "r.csv", settings, catalogue)
    # Drop times are pinned (the day before TODAY): on the pinned day the clock reads TODAY at the
    # current second, so two unpinned drops in one second would be one drop.
    dropped_at(drop(settings, "FZ-01", "2024年度工作总结.pdf", PDF), datetime(2026, 11, 20, 9, 0))
    drop(settings, "NOPE", "2024年度工作总结.pdf", PDF + b" ")
    drop(settings, "FZ-01", "总结.txt", "只是文字".encode())
    no_year = drop(settings, "FZ-01", "工作总结.pdf", PDF + b"  ")  # no year in the name: the year before arrival
    stamp = datetime(2026, 2, 1, 10).timestamp()
    os.utime(no_year, (stamp, stamp))
    drop(settings, "FZ-01", "2019年度工作总结.pdf", PDF + b"   ")  # before the designation
    drop(settings, "", "loose.pdf", PDF + b"    ")  # not in a centre's folder
    outcomes = {o.path.name + "@" + o.path.parent.name: o for o in ingest(inbox_files(settings), settings, catalogue)}
    ok = outcomes["2024年度工作总结.pdf@FZ-01"]
    assert ok.status == "accepted" and ok.receipt_path.parent == settings.receipts / "centres" / "FZ-01"
    assert "年度工作总结接收回执" in ok.receipt_path.read_text(encoding="utf-8")
    unknown = outcomes["2024年度工作总结.pdf@NOPE"]
    assert (
        unknown.status == "rejected"
        and "不在产业知识产权协同保护与运营中心名册中" in unknown.receipt_path.read_text(encoding="utf-8")
    )
    assert {p.code for p in outcomes["总结.txt@FZ-01"].receipt.errors} == {"not_a_document"}
    assumed = outcomes["工作总结.pdf@FZ-01"]
    assert assumed.status == "accepted" and [p.code for p in assumed.receipt.warnings] == ["year_assumed"]
    assert {p.code for p in outcomes["2019年度工作总结.pdf@FZ-01"].receipt.errors} == {"bad_year"}
    assert {p.code for p in outcomes["loose.pdf@centres"].receipt.errors} == {"unknown_centre"}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        got = con.execute(
            "select centre_code, summary_year, outcome from raw.centre_summaries order by outcome, summary_year"
        ).fetchall()
    assert [r for r in got if r[2] == "accepted"] == [("FZ-01", 2024, "accepted"), ("FZ-01", 2025, "accepted")]
    assert len(got) == 6 and not any(settings.inbox.rglob("*.pdf"))
    resent = drop(settings, "FZ-01", "2024年度工作总结.pdf", PDF)
    dropped_at(resent, datetime(2026, 11, 20, 9, 1))  # a resend, not the same drop left behind by a crash
    (again,) = ingest(inbox_files(settings), settings, catalogue)
    assert again.status == "duplicate"


def test_a_summary_for_a_year_whose_returns_were_submitted_is_refused(settings: Settings, catalogue: Catalogue) -> None:
    import_registry(registry_rows_text([centre("FZ-01", "2023-05-10")]), "r.csv", settings, catalogue)
    mark_return_submitted(settings.warehouse, "2025")
    drop(settings, "FZ-01", "2025年度工作总结.pdf", PDF)
    drop(settings, "FZ-01", "2024年度工作总结.pdf", PDF + b" ")
    outcomes = {o.path.name: o for o in ingest(inbox_files(settings), settings, catalogue)}
    locked = outcomes["2025年度工作总结.pdf"]
    assert locked.status == "rejected" and {p.code for p in locked.receipt.errors} == {"period_locked"}
    assert "2025年的上报报表已报送" in locked.receipt_path.read_text(encoding="utf-8")
    assert outcomes["2024年度工作总结.pdf"].status == "accepted"
    # A receipt lost and written again from the recorded row still names the lock; the accepted
    # summary's receipt does not turn into a refusal when its year is locked later.
    mark_return_submitted(settings.warehouse, "2024")
    locked.receipt_path.unlink()
    outcomes["2024年度工作总结.pdf"].receipt_path.unlink()
    with duckdb.connect(str(settings.warehouse)) as con:
        rewritten = restore_summary_receipts(con, settings.receipts, settings.archive, catalogue)
    assert len(rewritten) == 2
    assert "2025年的上报报表已报送" in locked.receipt_path.read_text(encoding="utf-8")
    assert "已锁定" not in outcomes["2024年度工作总结.pdf"].receipt_path.read_text(encoding="utf-8")


# --- CLI --------------------------------------------------------------------------------------


def test_cli_designate_and_bad_arguments(ipwh_home: Path, tmp_path: Path) -> None:
    args = ["centres", "designate", "--code", "C-1", "--name", "示例", "--applicant", "某公司", "--kind", "企业"]
    args += ["--industry", "软件", "--region", "350102", "--date", "2024-03-01"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "已登记 1 条" in result.output
    bad = runner.invoke(app, [*args[:-2], "--date", "2024-13-01"])
    assert bad.exit_code == 1 and "不是日期" in bad.output
    missing = runner.invoke(app, ["centres", "import", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and "找不到文件" in missing.output
    review = runner.invoke(app, ["centres", "review", "NOPE", "--date", "2025-01-01"])
    assert review.exit_code == 1 and "不在名册中" in review.output


# --- marts --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> Path:
    """Four centres and their summaries through the real paths, then dbt as of 2026-11-21."""
    root = tmp_path_factory.mktemp("centres")
    s = Settings(home=root / "var", warehouse=root / "var" / "warehouse.duckdb", today_override=TODAY)
    s.ensure_dirs()
    rows = [
        centre("OLD", "2023-03-15"),  # re-review due 2026-03-15: 已逾期
        centre("SOON", "2023-12-20"),  # due 2026-12-20, within 90 days of 2026-11-21: 即将到期
        centre("NEW", "2025-09-10"),  # due 2028-09-10: 未到期
        centre("GONE", "2023-06-01"),
        {"centre_code": "GONE", "event": "revoked", "event_date": "2025-02-01"},
        centre("REV", "2023-01-10"),
        {"centre_code": "REV", "event": "re_reviewed", "event_date": "2026-01-05"},  # next due 2029-01-05
    ]
    assert import_registry(registry_rows_text(rows), "r.csv", s, catalogue, sample=True).recorded == 7
    for code, year, day in (("OLD", 2023, "2024-02-01"), ("OLD", 2024, "2025-04-15"), ("NEW", 2025, "2026-02-01")):
        path = drop(s, code, f"{year}年度工作总结.pdf", PDF + code.encode() + str(year).encode())
        stamp = datetime.fromisoformat(day + "T10:00:00").timestamp()
        os.utime(path, (stamp, stamp))
    assert {o.status for o in ingest(inbox_files(s), s, catalogue)} == {"accepted"}
    run_dbt(s.warehouse, root, as_of="2026-11-21", select="+path:models/marts/tasks")
    shutil.rmtree(root / "target", ignore_errors=True)
    return s.warehouse


@pytest.fixture(scope="module", autouse=True)
def _cautious_tests(request: pytest.FixtureRequest) -> None:
    mp = pytest.MonkeyPatch()
    mp.setenv("DBT_INDIRECT_SELECTION", "cautious")
    request.addfinalizer(mp.undo)


def test_centres_mart_columns_and_review_status(warehouse: Path) -> None:
    got = {r["centre_code"]: r for r in query(warehouse, "select * from marts.fct_industry_centres")}
    assert list(next(iter(got.values()))) == list(CENTRE_COLUMNS)  # the columns the returns read
    expect = {
        "OLD": (date(2026, 3, 15), "已逾期", "有效"),
        "SOON": (date(2026, 12, 20), "即将到期", "有效"),
        "NEW": (date(2028, 9, 10), "未到期", "有效"),
        "GONE": (None, "已撤销", "已撤销"),
        "REV": (date(2029, 1, 5), "未到期", "有效"),
    }
    assert {c: (r["next_review_due"], r["review_status"], r["status"]) for c, r in got.items()} == expect
    assert got["OLD"]["region_name"] == "鼓楼区" and got["OLD"]["is_sample"]
    assert "004_78bd677129a05c44.txt" in got["OLD"]["citation"] and "榕市监〔2023〕1号" in got["OLD"]["citation"]
    # Summaries due 31 Dec + 90 days: OLD owes 2023, 2024, 2025 (2026's is not due yet) and sent two.
    assert (got["OLD"]["summaries_expected"], got["OLD"]["summaries_received"], got["OLD"]["latest_summary_year"]) == (
        3,
        2,
        2024,
    )
    assert (got["NEW"]["summaries_expected"], got["NEW"]["summaries_received"]) == (1, 1)
    assert got["GONE"]["summaries_expected"] == 2  # 2023 and 2024: revoked during 2025, it owes no 2025 summary


def test_annual_summaries_on_time_and_missing(warehouse: Path) -> None:
    rows = {
        r["summary_year"]: r
        for r in query(warehouse, "select * from marts.fct_centre_annual_summaries where centre_code = 'OLD'")
    }
    assert sorted(rows) == [2023, 2024, 2025, 2026]
    assert (rows[2023]["due_on"], rows[2023]["on_time"]) == (date(2024, 3, 30), True)  # 2024 is a leap year
    assert (rows[2024]["due_on"], rows[2024]["on_time"], rows[2024]["is_missing"]) == (date(2025, 3, 31), False, False)
    assert rows[2025]["is_missing"] and rows[2025]["is_expected"]
    assert not rows[2026]["is_expected"] and not rows[2026]["is_missing"]


def test_summary_receipts_lost_to_a_crash_are_written_again_byte_for_byte(
    settings: Settings, catalogue: Catalogue
) -> None:
    import_registry(registry_rows_text([centre("FZ-01", "2023-05-10")]), "r.csv", settings, catalogue)
    drop(settings, "FZ-01", "2024年度工作总结.pdf", PDF)
    drop(settings, "FZ-01", "工作总结.pdf", PDF + b"  ")  # a warning on its receipt
    drop(settings, "NOPE", "2024年度工作总结.pdf", PDF + b" ")  # rejected
    ingest(inbox_files(settings), settings, catalogue)
    written = {p: p.read_bytes() for p in (settings.receipts / "centres").rglob("*.txt")}
    assert len(written) == 3
    for path in (settings.receipts / "centres").rglob("*"):
        if path.is_file():
            path.unlink()
    assert ingest([], settings, catalogue) == []  # the next intake, whatever it brings
    assert {p: p.read_bytes() for p in (settings.receipts / "centres").rglob("*.txt")} == written
