"""The gate, submitting upward and corrections, the `ipwh returns` commands and the Dagster assets."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest
from dagster import AssetKey
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.return_assets import return_assets
from reports.build import GateClosed, build_period
from reports.registry import SubmitError, submit
from reports.sdmx import number as sdmx_number
from sources.periods import Period
from tests.test_returns_support import TODAY, close_gate, copy_of, open_gate, sample_warehouse

PERIOD = Period.parse("2026-10")
ONLY = ["r1_fz14_monitoring", "r6_submission_status"]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = sample_warehouse(tmp_path_factory)
    with duckdb.connect(str(warehouse)) as con:
        open_gate(con)
    return warehouse


@pytest.fixture
def home(base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private var/ with its own copy of the warehouse, for the CLI."""
    home = tmp_path / "var"
    copy_of(base, home)
    monkeypatch.setenv("IPWH_HOME", str(home))
    monkeypatch.delenv("IPWH_WAREHOUSE", raising=False)
    monkeypatch.setenv("IPWH_TODAY", TODAY.isoformat())
    return home


def test_closed_gate_refuses_and_writes_nothing(home: Path) -> None:
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        close_gate(con, "2026-10")
        with pytest.raises(GateClosed) as caught:
            build_period(con, home / "outbox", PERIOD)
    assert "counties_sum_to_city" in str(caught.value) and "质量关口未通过" in str(caught.value)
    assert not (home / "outbox").exists()
    result = CliRunner().invoke(app, ["returns", "build", "--period", "2026-10"])
    assert result.exit_code == 1
    assert "质量关口未通过" in result.output and "Traceback" not in result.output
    assert not (home / "outbox").exists()


def test_no_check_run_means_no_return(tmp_path: Path, base: Path) -> None:
    warehouse = copy_of(base, tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from quality.check_results")
        con.execute("delete from quality.check_runs")
        with pytest.raises(GateClosed, match="质量检查尚未运行"):
            build_period(con, tmp_path / "outbox", PERIOD, only=ONLY)


def test_cli_errors_are_clear(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["returns", "build", "--period", "2026-13"])
    assert bad.exit_code == 2 and "无法识别" in bad.output
    unknown = runner.invoke(app, ["returns", "build", "--period", "2026-10", "--return", "nope"])
    assert unknown.exit_code == 2 and "没有这些报表" in unknown.output
    future = runner.invoke(app, ["returns", "build", "--period", "2026-11"])
    assert future.exit_code == 2 and "尚未结束" in future.output
    no_by = runner.invoke(app, ["returns", "submit", "--period", "2026-10"])
    assert no_by.exit_code == 2 and "--by" in no_by.output
    nothing = runner.invoke(app, ["returns", "submit", "--period", "2026-10", "--by", "张三"])
    assert nothing.exit_code == 1 and "尚未生成" in nothing.output
    monkeypatch.setenv("IPWH_WAREHOUSE", str(home / "missing.duckdb"))
    missing = runner.invoke(app, ["returns", "build", "--period", "2026-10"])
    assert missing.exit_code == 1 and "尚不存在" in missing.output
    assert not (home / "missing.duckdb").exists()
    for result in (bad, unknown, future, no_by, nothing, missing):
        assert "Traceback" not in result.output


def test_submit_locks_inputs_and_a_correction_is_a_new_version(home: Path) -> None:
    runner = CliRunner()
    built = runner.invoke(app, ["returns", "build", "--period", "2026-10", "-r", ONLY[0], "-r", ONLY[1]])
    assert built.exit_code == 0, built.output
    v1 = home / "outbox" / "2026-10" / "v1"
    v1_bytes = {p.name: p.read_bytes() for p in v1.iterdir()}
    done = runner.invoke(app, ["returns", "submit", "--period", "2026-10", "--by", "张三"])
    assert done.exit_code == 0, done.output
    manifest = json.loads((v1 / "manifest.json").read_bytes())
    ids = sorted(i["submission_id"] for i in manifest["inputs"])
    warehouse = home / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        record = con.execute(
            "select submission_no, version, submitted_by, manifest_sha256, input_count from returns.submissions"
        ).fetchall()
        locked = sorted(
            s
            for (s,) in con.execute(
                "select submission_id from raw.submission_events where status = 'locked' and actor = '张三'"
            ).fetchall()
        )
        files = con.execute("select file_name, sha256 from returns.submitted_files order by 1").fetchall()
    assert record == [("R2026-10-v1", 1, "张三", hashlib.sha256(v1_bytes["manifest.json"]).hexdigest(), len(ids))]
    assert locked == ids
    assert {name for name, _ in files} == set(v1_bytes)
    package = home / "outbox" / "2026-10" / "returns_2026-10_v1.zip"
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == sorted([f"v1/{n}" for n in v1_bytes] + ["v1/signature.json"])
        assert archive.read("v1/manifest.json") == v1_bytes["manifest.json"]
    again = runner.invoke(app, ["returns", "submit", "--period", "2026-10", "--by", "张三"])
    assert again.exit_code == 1 and "已于此前报送" in again.output
    same = runner.invoke(app, ["returns", "build", "--period", "2026-10", "-r", ONLY[0], "-r", ONLY[1]])
    assert same.exit_code == 0 and "未生成新版本" in same.output
    assert not (home / "outbox" / "2026-10" / "v2").exists()

    # A figure changes after submission (a corrected mart): the next build is version 2 with a change list.
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update marts.fct_indicator_values set value = value + 100 where indicator_code = "
            "'valid_invention_patents' and region_code = '350100' and period_code = '2026-10'"
        )
    fixed = runner.invoke(
        app,
        [
            "returns",
            "build",
            "--period",
            "2026-10",
            "-r",
            ONLY[0],
            "-r",
            ONLY[1],
            "--reason",
            "市局更正10月有效发明专利数",
        ],
    )
    assert fixed.exit_code == 0, fixed.output
    v2 = home / "outbox" / "2026-10" / "v2"
    assert {p.name: p.read_bytes() for p in v1.iterdir()} == v1_bytes  # the submitted version is untouched
    rows = list(csv.reader(io.StringIO((v2 / "change_list.csv").read_bytes().decode("utf-8-sig"))))
    assert rows[0] == ["报表", "项目", "栏次", "原报数值", "更正后数值", "增减", "原因"]
    change = next(r for r in rows[1:] if r[2].startswith("3 "))
    assert change[0] == "r1_fz14_monitoring" and change[1].startswith("2.") and change[5] == "+100"
    assert "市局更正10月有效发明专利数" in change[6]
    manifest2 = json.loads((v2 / "manifest.json").read_bytes())
    assert manifest2["version"] == 2 and manifest2["corrects"]["version"] == 1
    wb = openpyxl.load_workbook(v2 / "r1_fz14_monitoring_2026-10.xlsx")
    assert "更正说明" in wb.sheetnames
    values = [c.value for row in wb["更正说明"].iter_rows() for c in row]
    assert "+100" in values
    # An input superseded after the build: submitting v2 is refused until it is rebuilt.
    with duckdb.connect(str(warehouse)) as con, pytest.raises(SubmitError, match="已被新版本取代"):
        con.execute("insert into raw.submission_events values (?, 'superseded', now()::timestamp, 't', null)", [ids[0]])
        submit(con, home / "outbox", PERIOD, actor="王五", at=datetime(2026, 11, 22))


def test_submitted_package_verifies_and_a_tampered_or_foreign_package_is_refused(home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["returns", "build", "-p", "2026-10", "-r", ONLY[1]]).exit_code == 0
    assert runner.invoke(app, ["returns", "submit", "-p", "2026-10", "--by", "张三"]).exit_code == 0
    key = runner.invoke(app, ["returns", "key"])
    assert key.exit_code == 0, key.output
    public = key.output.splitlines()[0].strip()
    assert (home / "keys" / "returns_ed25519.pub").exists()
    assert runner.invoke(app, ["returns", "key"]).output.splitlines()[0].strip() == public  # made once
    package = home / "outbox" / "2026-10" / "returns_2026-10_v1.zip"
    ok = runner.invoke(app, ["returns", "verify", str(package), "--key", public])
    assert ok.exit_code == 0, ok.output
    assert "核验通过" in ok.output and "R2026-10-v1" in ok.output and "张三" in ok.output
    assert "r6_submission_status_2026-10.xlsx" in ok.output
    assert "SDMX-CSV 数据 data_2026-10.sdmx.csv" in ok.output
    with zipfile.ZipFile(package) as archive:
        figures = archive.read("v1/data_2026-10.sdmx.csv").decode("utf-8").splitlines()
        dsd = json.loads(archive.read("v1/structure.json"))
    assert (
        figures[0] == "STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,TIME_PERIOD,INDICATOR,OBS_VALUE,"
        "UNIT_MEASURE,UNIT_MULT,OBS_STATUS,SOURCE,SAMPLE_FLAG"
    )
    assert len(figures) > 1 and all(
        line.startswith("datastructure,IPWH:DSD_IP_INDICATORS(1.0),I,") for line in figures[1:]
    )
    assert "350100" in dsd["dimensions"][0]["codelist"]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        expected = con.execute(
            "select region_code, indicator_code, value from marts.fct_indicator_values "
            "where period_code = '2026-10' and value is not null"
        ).fetchall()
    observed = {(r[3], r[5]): r[6] for r in csv.reader(figures[1:]) if r[6]}
    assert observed == {(region, indicator): sdmx_number(value) for region, indicator, value in expected}
    pub_file = runner.invoke(
        app, ["returns", "verify", str(package), "--key", str(home / "keys" / "returns_ed25519.pub")]
    )
    assert pub_file.exit_code == 0, pub_file.output

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, data + b"x" if info.filename.endswith(".xlsx") else data)
    bad = runner.invoke(app, ["returns", "verify", str(tampered), "--key", public])
    assert bad.exit_code == 1 and "核验未通过" in bad.output and "SHA-256 与签名清单不符" in bad.output

    other_home = tmp_path / "other"
    other = runner.invoke(app, ["returns", "key"], env={"IPWH_HOME": str(other_home)})
    other_public = other.output.splitlines()[0].strip()
    assert other_public != public
    foreign = runner.invoke(app, ["returns", "verify", str(package), "--key", other_public])
    assert foreign.exit_code == 1 and "不是所登记的发送方密钥" in foreign.output


def test_submit_refuses_a_tampered_file(home: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["returns", "build", "-p", "2026-10", "-r", ONLY[1]]).exit_code == 0
    target = home / "outbox" / "2026-10" / "v1" / "r6_submission_status_2026-10.xlsx"
    target.write_bytes(target.read_bytes() + b"x")
    result = runner.invoke(app, ["returns", "submit", "-p", "2026-10", "--by", "张三"])
    assert result.exit_code == 1 and "SHA-256 不符" in result.output


def test_list_shows_definitions_and_versions(home: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["returns", "build", "-p", "2026-10", "-r", ONLY[1]]).exit_code == 0
    listed = runner.invoke(app, ["returns", "list"])
    assert listed.exit_code == 0
    assert "榕知监1表" in listed.output and "2026-10" in listed.output and "未报送" in listed.output


def test_return_assets_one_per_period_type_after_the_gate() -> None:
    assets = return_assets()
    keys = [a.key for a in assets]
    assert keys == [AssetKey(["returns", t]) for t in ("month", "quarter", "year")]
    for a, t in zip(assets, ("month", "quarter", "year"), strict=True):
        assert a.group_names_by_key[a.key] == "returns"
        assert AssetKey(["gate", t]) in a.dependency_keys
        assert a.partitions_def is not None


def test_libreoffice_renders_a_return(base: Path, tmp_path: Path) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed")
    from reports.render_pdf import render_pdf

    with duckdb.connect(str(base)) as con:
        o = build_period(con, tmp_path / "outbox", PERIOD, only=["r1_fz14_monitoring"])
    made = render_pdf(o.folder / "r1_fz14_monitoring_2026-10.xlsx", tmp_path / "pdf", png=False)
    assert made[0].read_bytes().startswith(b"%PDF") and made[0].stat().st_size > 10_000
