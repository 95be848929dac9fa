"""Two installations in one test: the city (350100) builds and submits 2025's returns, the province
(350000) loads the signed package and its marts show Fuzhou's figures as the city reported them."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.settings import Settings
from reports.build import build_period
from reports.registry import submit
from reports.signing import SIGNATURE, key_pair, signature_document
from reports.upstream import ingest_package
from reports.upstream_keys import register
from sources.periods import Period
from tests.sample_cache import AS_OF, built_sample, copy_sample
from tests.test_returns_support import open_gate
from tests.warehouse_fixtures import run_dbt

YEAR = Period.parse("2025")
ONLY = ["r6_submission_status"]  # the returns themselves do not matter here: the package's SDMX does


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    """The city's installation after building and submitting 2025's returns: (settings, package)."""
    settings = copy_sample(built_sample(tmp_path_factory), tmp_path_factory.mktemp("city") / "var")
    with duckdb.connect(str(settings.warehouse)) as con:
        open_gate(con)
        build_period(con, settings.outbox, YEAR, only=ONLY)
        done = submit(con, settings.outbox, YEAR, actor="张三", at=datetime(2026, 11, 21, 10, 0), keys=settings.keys)
    return settings, done.package


def _province(root: Path) -> Settings:
    home = root / "province"
    return Settings(home=home, warehouse=home / "warehouse.duckdb", today_override=AS_OF, region_override="350000")


def _observations(package: Path, prefix: str) -> dict[tuple[str, str], str]:
    with zipfile.ZipFile(package) as archive:
        name = next(n for n in archive.namelist() if n.split("/")[-1].startswith(prefix))
        rows = list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))
    code = "INDICATOR" if prefix == "data_" else "DATA_ELEMENT"
    return {(r["REF_AREA"], r[code]): r["OBS_VALUE"] for r in rows if r["OBS_VALUE"]}


def _resigned(package: Path, target: Path, key: Ed25519PrivateKey, change: bytes | None = None) -> Path:
    """The package's files (one figure changed when `change` is given) signed by `key`."""
    with zipfile.ZipFile(package) as source:
        files = {n: source.read(n) for n in source.namelist() if not n.endswith(SIGNATURE)}
        signer = {"submission_no": "R2025-v1", "submitted_by": "冒名者", "submitted_at": "2026-11-21T10:00:00"}
    folder = next(iter(files)).split("/")[0]
    files[f"{folder}/{SIGNATURE}"] = signature_document(files, key, signer)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return target


def test_province_marts_show_the_citys_returns_to_the_last_digit_and_refuse_forged_packages(
    city: tuple[Settings, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    city_settings, package = city
    province = _province(tmp_path)
    _, city_key = key_pair(city_settings.keys)
    register(province.keys, "350100", city_key)

    # A package signed by another key, then one changed after signing: refused whole, with receipts.
    forged = _resigned(package, tmp_path / "forged.zip", Ed25519PrivateKey.generate())
    refused = ingest_package(forged, province, actor="李四")
    assert refused.receipt.outcome == "rejected" and refused.values == 0
    assert "不是所登记的发送方密钥" in refused.receipt.problems[0].message
    assert refused.receipt_path is not None and "未接收" in refused.receipt_path.read_text(encoding="utf-8")
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith(".sdmx.csv") and "elements_" in info.filename:
                data = data.replace(b",350100,2025,", b",350100,2025,", 1).replace(b",A,", b",P,", 1)
                data = data.replace(b"\r\n", b"\r\n", 1) + b""
                lines = data.split(b"\r\n")
                cells = lines[1].split(b",")
                cells[6] = str(int(float(cells[6])) + 1).encode()
                lines[1] = b",".join(cells)
                data = b"\r\n".join(lines)
            target.writestr(info, data)
    changed = ingest_package(tampered, province, actor="李四")
    assert changed.receipt.outcome == "rejected"
    assert "SHA-256 与签名清单不符" in changed.receipt.problems[0].message

    # The genuine package: accepted as 福州市's submission, version 1.
    loaded = ingest_package(package, province, actor="李四")
    assert loaded.accepted, loaded.receipt.problems
    assert loaded.receipt.version == 1 and "福州市市场监督管理局" in (loaded.receipt.department_label or "")
    assert ingest_package(package, province, actor="李四").receipt.outcome == "duplicate"
    # The province's models up to the indicators, with the tests whose every parent is among them.
    monkeypatch.setenv("DBT_INDIRECT_SELECTION", "cautious")
    run_dbt(province.warehouse, tmp_path / "dbt", as_of=AS_OF.isoformat(), select="+fct_indicator_values")

    city_indicators = _observations(package, "data_")
    with duckdb.connect(str(province.warehouse), read_only=True) as con:
        province_indicators = {
            (region, code): value
            for region, code, value in con.execute(
                "select region_code, indicator_code, value from marts.fct_indicator_values "
                "where period_code = '2025' and region_code = '350100' and value is not null"
            ).fetchall()
        }
        sources = {
            s
            for (s,) in con.execute(
                "select distinct value_source from intermediate.int_element_values__rolled_up "
                "where region_code = '350100' and period_code = '2025' and value is not null"
            ).fetchall()
        }
    fuzhou = {k: v for k, v in city_indicators.items() if k[0] == "350100"}
    assert len(fuzhou) > 20
    from reports.sdmx import number

    assert {k: number(v) for k, v in province_indicators.items()} == fuzhou
    assert sources == {"upstream"}


def test_city_delivers_its_package_to_a_transfer_folder_atomically_and_never_overwrites(
    city: tuple[Settings, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from orchestration.cli import app

    settings, package = city
    monkeypatch.setenv("IPWH_HOME", str(settings.home))
    monkeypatch.delenv("IPWH_WAREHOUSE", raising=False)
    monkeypatch.setenv("IPWH_TODAY", AS_OF.isoformat())
    transfer = tmp_path / "传送"
    transfer.mkdir()
    runner = CliRunner()
    sent = runner.invoke(app, ["returns", "send", "--period", "2025", "--to", str(transfer)])
    assert sent.exit_code == 0, sent.output
    assert [p.name for p in transfer.iterdir()] == [package.name]  # no temporary left behind
    assert (transfer / package.name).read_bytes() == package.read_bytes()
    assert runner.invoke(app, ["returns", "send", "-p", "2025", "--to", str(transfer)]).exit_code == 0  # same bytes
    (transfer / package.name).write_bytes(b"another file")
    clash = runner.invoke(app, ["returns", "send", "-p", "2025", "--to", str(transfer)])
    assert clash.exit_code == 1 and "不覆盖" in clash.output
    assert (transfer / package.name).read_bytes() == b"another file"
    missing = runner.invoke(app, ["returns", "send", "-p", "2025", "--to", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "不存在" in missing.output and "Traceback" not in missing.output
    unsent = runner.invoke(app, ["returns", "send", "-p", "2024", "--to", str(transfer)])
    assert unsent.exit_code == 2 and "尚未报送" in unsent.output
