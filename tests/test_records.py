"""Patent-record extracts: loaded whole when sound, refused with counted examples when not."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from core.settings import Settings
from orchestration.cli import app
from sources.intake.records import COLUMNS, load_extract


def frame(n: int = 5) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "application_no": [f"CN2024100{i:05d}" for i in range(n)],
            "patent_type": ["invention", "utility", "design", "invention", "utility"][:n],
            "application_date": [date(2024, 1, 1 + i) for i in range(n)],
            "grant_date": [date(2025, 3, 1), None, date(2024, 6, 1), None, date(2024, 9, 9)][:n],
            "applicant_name": ["福州某某科技有限公司"] * n,
            "applicant_type": ["firm", "university", "firm", "individual", "firm"][:n],
            "is_hightech_firm": [True, False, False, False, True][:n],
            "is_service_invention": [True, True, True, False, True][:n],
            "agency_name": ["福州某专利代理事务所", None, "福州某专利代理事务所", None, "代理所"][:n],
            "region_code": ["350102", "350104", "350111", "350181", "350502"][:n],
            "legal_status": ["valid", "pending", "valid", "pending", "lapsed"][:n],
            "lapse_date": [None, None, None, None, date(2026, 1, 1)][:n],
            "ipc_main": ["G06F", "H01M", "F16K", "A61K", "B65D"][:n],
            "is_pct": [True, False, False, False, False][:n],
            "is_abroad": [False, False, False, False, True][:n],
            "is_high_value": [True, False, False, False, False][:n],
        }
    )


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    with duckdb.connect() as con:
        con.register("df", df)
        con.execute(f"copy df to '{path}' (format parquet)")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "var", warehouse=tmp_path / "var" / "w.duckdb", today_override=date(2026, 11, 21))


def test_parquet_extract_loads_and_twice_is_a_noop(settings, tmp_path):
    path = write_parquet(frame(), tmp_path / "extract.parquet")
    first = load_extract(path, date(2026, 10, 31), settings, sample=True)
    assert first.loaded and first.row_count == 5, first.problems
    assert load_extract(path, date(2026, 10, 31), settings).duplicate
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.patent_records").fetchone() == (5,)
        assert con.execute("select row_count, is_sample from raw.patent_extracts").fetchall() == [(5, True)]


def test_csv_extract_loads(settings, tmp_path):
    path = tmp_path / "extract.csv"
    frame().to_csv(path, index=False)
    outcome = load_extract(path, date(2026, 10, 31), settings)
    assert outcome.loaded, outcome.problems


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda df: df.drop(columns=["agency_name"]), "缺少列"),
        (lambda df: df.assign(patent_type=["invention", "发明", "design", "invention", "utility"]), "专利类型"),
        (lambda df: df.assign(region_code=["350102", "999999", "350111", "350181", "350502"]), "地区代码"),
        (lambda df: df.assign(application_no=["A", "A", "B", "C", "D"]), "申请号重复"),
        (lambda df: df.assign(application_date=[date(2027, 1, 1)] * 5), "晚于截止日"),
        (lambda df: df.assign(application_date=["not a date"] * 5), "数据类型不符"),
    ],
)
def test_bad_extracts_are_refused_whole(settings, tmp_path, change, words):
    path = tmp_path / "bad.csv"
    change(frame()).to_csv(path, index=False)
    outcome = load_extract(path, date(2026, 10, 31), settings)
    assert not outcome.loaded and any(words in p for p in outcome.problems), outcome.problems
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.patent_records").fetchone() == (0,)


def test_not_a_table(settings, tmp_path):
    path = tmp_path / "x.parquet"
    path.write_bytes(b"%PDF-1.4 not a table")
    assert not load_extract(path, date(2026, 10, 31), settings).loaded


def test_cli(ipwh_home, tmp_path):
    path = write_parquet(frame(), tmp_path / "extract.parquet")
    runner = CliRunner()
    bad = runner.invoke(app, ["records", str(path), "--as-of", "2026-31-10"])
    assert bad.exit_code == 2 and "--as-of" in bad.output
    ok = runner.invoke(app, ["records", str(path), "--as-of", "2026-10-31"])
    assert ok.exit_code == 0 and "5 条记录" in ok.output
    assert set(COLUMNS) <= set(frame().columns)
