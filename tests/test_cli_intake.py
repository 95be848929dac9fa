"""The submission commands as an analyst uses them, including every way to get the arguments wrong."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from sources.forms import layout
from tests.form_files import CREATION_VALUES, fill

runner = CliRunner()


@pytest.fixture
def home(ipwh_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IPWH_TODAY", "2026-11-21")
    return ipwh_home


def make_template(home: Path, period: str = "2026-10") -> Path:
    result = runner.invoke(app, ["template", "ip_creation_monthly", "--region", "350102", "--period", period])
    assert result.exit_code == 0, result.output
    path = home / "templates" / "350102.amr" / f"ip_creation_monthly_{period}.xlsx"
    assert path.exists() and "2026-11-10" in result.output
    return path


def test_template_ingest_submissions_approve_receipt(home: Path, tmp_path: Path) -> None:
    blank = make_template(home)
    inbox = home / "inbox" / "350102.amr"
    fill(blank, inbox / "鼓楼_2026-10.xlsx", CREATION_VALUES)
    result = runner.invoke(app, ["ingest", "--inbox"])
    assert result.exit_code == 0, result.output
    assert "已接收，为第 1 版" in result.output and "接收 1，退回 0" in result.output
    listing = runner.invoke(app, ["submissions", "--period", "2026-10"])
    assert listing.exit_code == 0 and "已接收" in listing.output and "350102.amr" in listing.output
    sid = next(w for w in result.output.split() if w.startswith("回执编号："))[len("回执编号：") :]
    approved = runner.invoke(app, ["approve", sid, "--by", "张三"])
    assert approved.exit_code == 0 and "已审核 1 份" in approved.output
    again = runner.invoke(app, ["approve", sid])
    assert again.exit_code == 1 and "已审核" in again.output
    assert "已审核" in runner.invoke(app, ["submissions", "--period", "2026-10"]).output
    shown = runner.invoke(app, ["receipt", sid])
    assert shown.exit_code == 0 and sid in shown.output


def test_rejected_file_prints_its_receipt_and_exits_1(home: Path, tmp_path: Path) -> None:
    blank = make_template(home)
    bad = fill(blank, tmp_path / "bad.xlsx", dict(CREATION_VALUES, madrid_registrations="约40"))
    result = runner.invoke(app, ["ingest", str(bad), "--department", "350102.amr"])
    assert result.exit_code == 1
    assert "未接收（退回）" in result.output and "约40" in result.output and "修改方法" in result.output
    assert f"{layout.DATA_SHEET}!D" in result.output


def test_csv_template(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "form.csv"
    result = runner.invoke(
        app, ["template", "court_quarterly", "-r", "350100", "-p", "2026Q3", "--format", "csv", "--out", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["template", "no_such_form", "-r", "350102", "-p", "2026-10"], 1, "未知的报表"),
        (["template", "ip_creation_monthly", "-r", "999999", "-p", "2026-10"], 1, "未知的地区代码"),
        (["template", "ip_creation_monthly", "-r", "350102", "-p", "2026-13"], 2, "报告期"),
        (["template", "court_quarterly", "-r", "350100", "-p", "2026-09"], 2, "2026Q3"),
        (["template", "customs_quarterly", "-r", "350100", "-p", "2026Q3"], 1, "--department"),
        (["template", "ip_creation_monthly", "-r", "350102", "-p", "2026-10", "-f", "pdf"], 2, "xlsx 或 csv"),
        (["ingest"], 2, "--inbox"),
        (["ingest", "/no/such/file.xlsx"], 2, "找不到"),
        (["submissions", "--period", "26-10"], 2, "报告期"),
        (["approve"], 2, "回执编号"),
        (["receipt", "../../etc/passwd"], 2, "回执编号"),
        (["receipt", "S123"], 2, "找不到回执"),
    ],
)
def test_bad_arguments_get_one_clear_line(home: Path, args: list[str], code: int, words: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert words in result.output
    assert "Traceback" not in result.output


def test_submissions_before_anything_arrived(home: Path) -> None:
    result = runner.invoke(app, ["submissions"])
    assert result.exit_code == 1 and "ipwh run" in result.output


def test_template_folder_as_out(home: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["template", "ip_creation_monthly", "-r", "350102", "-p", "2026-10", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "文件夹" in result.output


def test_filled_template_opens_in_openpyxl(home: Path) -> None:
    book = openpyxl.load_workbook(make_template(home))
    assert book[layout.META_SHEET].sheet_state == "veryHidden"


def test_docs_before_any_build_says_what_to_do(home: Path) -> None:
    result = runner.invoke(app, ["docs"])
    assert result.exit_code == 1 and "make run" in result.output
