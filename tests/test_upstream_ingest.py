"""`ipwh upstream ingest` on a provincial installation: what it accepts, and every way a package is
refused whole with a receipt (hand-made packages; the two-installation test is test_upstream_exchange)."""

from __future__ import annotations

import stat
import zipfile
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from orchestration.cli import app
from reports import signing
from reports.registry import ensure_schema
from reports.signing import PublicKey, key_pair
from reports.upstream import FORM_CODE, ingest_package
from reports.upstream_keys import register
from sources.catalogue import load
from sources.intake.receipt_rows import receipt_from_rows
from sources.periods import Period
from tests.upstream_support import element_rows, make_package, province


@pytest.fixture
def city_key(tmp_path: Path) -> Ed25519PrivateKey:
    key, _ = key_pair(tmp_path / "city-keys")
    return key


@pytest.fixture
def prov(tmp_path: Path, city_key: Ed25519PrivateKey):  # type: ignore[no-untyped-def]
    settings = province(tmp_path)
    register(settings.keys, "350100", _public(city_key))
    return settings


def _public(key: Ed25519PrivateKey) -> PublicKey:
    from cryptography.hazmat.primitives import serialization

    return PublicKey(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def _values(settings) -> list[tuple]:  # type: ignore[no-untyped-def]
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(
            "select region_code, element_code, value, version from raw.submission_values order by all"
        ).fetchall()


def _refused(settings, package: Path, words: str) -> None:  # type: ignore[no-untyped-def]
    outcome = ingest_package(package, settings, actor="李四")
    assert outcome.receipt.outcome == "rejected", outcome.receipt
    message = " ".join(p.message for p in outcome.receipt.problems)
    assert words in message, message
    assert outcome.receipt_path is not None and outcome.receipt_path.exists()
    assert "未接收" in outcome.receipt_path.read_text(encoding="utf-8")


def test_a_signed_package_becomes_the_citys_versioned_submission(prov, city_key, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = ingest_package(make_package(tmp_path, city_key), prov, actor="李四")
    assert first.accepted and first.values == 3 and first.receipt.version == 1
    assert "350100.amr" in (first.receipt.department_label or "") and first.receipt.period_label == "2025年"
    assert (prov.archive / first.receipt.file_sha256[:2] / f"{first.receipt.file_sha256}.zip").exists()
    assert ("350100", "patent_grants", 12345, 1) in [(r, e, int(v), n) for r, e, v, n in _values(prov)]
    rows = (("350100", "patent_grants", "12346"),)
    second = ingest_package(make_package(tmp_path, city_key, version=2, rows=rows), prov, actor="李四")
    assert second.accepted and second.receipt.version == 2 and second.receipt.superseded == first.receipt.submission_id
    # The receipt written from the committed rows (after a crash) says the same as the one written at once.
    with duckdb.connect(str(prov.warehouse), read_only=True) as con:
        again = receipt_from_rows(con, load(), second.receipt.submission_id or "")
        form = con.execute("select distinct form_code from raw.submissions where outcome = 'accepted'").fetchall()
    assert again is not None and again.form_label == second.receipt.form_label
    assert again.department_label == second.receipt.department_label and form == [(FORM_CODE,)]
    # An older version arriving late never replaces the newer one.
    older = tmp_path / "older"
    older.mkdir()
    _refused(prov, make_package(older, city_key, rows=(("350100", "patent_grants", "1"),)), "不能取代较新的版本")


def test_unregistered_or_other_key_is_refused_and_a_refusal_is_judged_anew(tmp_path, city_key) -> None:  # type: ignore[no-untyped-def]
    settings = province(tmp_path)
    package = make_package(tmp_path, city_key)
    _refused(settings, package, "尚未登记")
    # Once the key is registered, the same bytes are judged anew: a refusal is not a duplicate.
    register(settings.keys, "350100", _public(city_key))
    assert ingest_package(package, settings, actor="李四").accepted
    register(settings.keys, "350100", _public(Ed25519PrivateKey.generate()))  # the province replaces the key
    again = tmp_path / "again"
    again.mkdir()
    forged = make_package(again, city_key, version=2, rows=(("350100", "patent_grants", "7"),))
    _refused(settings, forged, "不是所登记的发送方密钥")
    assert [(r, e, int(v)) for r, e, v, _ in _values(settings) if e == "patent_grants"] == [
        ("350100", "patent_grants", 12345),
        ("350102", "patent_grants", 2345),
    ]


@pytest.mark.parametrize(
    ("region", "rows", "words"),
    [
        ("350000", (("350000", "patent_grants", "1"),), "不是本级"),  # the province itself
        ("110000", (("350100", "patent_grants", "1"),), "不是本级"),  # not in the catalogue
        ("350100", (("350502", "patent_grants", "1"),), "不属于报送单位"),  # 鲤城区 is 泉州's, not 福州's
    ],
)
def test_a_region_not_below_the_province_is_refused(tmp_path, city_key, region, rows, words) -> None:  # type: ignore[no-untyped-def]
    settings = province(tmp_path)
    register(settings.keys, region if region.startswith("35") else "350100", _public(city_key))
    _refused(settings, make_package(tmp_path, city_key, region=region, rows=rows), words)


def test_a_period_the_province_has_locked_is_refused(prov, city_key, tmp_path) -> None:  # type: ignore[no-untyped-def]
    prov.ensure_dirs()
    with duckdb.connect(str(prov.warehouse)) as con:
        ensure_schema(con)
        con.execute(
            "insert into returns.submissions "
            "values ('R2025-v1', '2025', 'year', 1, '王五', ?, 'x', 'p', 'x', 0, false, null)",
            [datetime(2026, 11, 20)],
        )
    _refused(prov, make_package(tmp_path, city_key), "已锁定")


def test_a_period_not_yet_ended_is_refused(prov, city_key, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _refused(prov, make_package(tmp_path, city_key, period="2026"), "尚未结束")


@pytest.mark.parametrize(
    ("rows", "elements", "words"),
    [
        ((("350100", "no_such_element", "1"),), None, "不在代码表中"),
        ((("350100", "patent_grants", "-5"),), None, "超出目录允许的范围"),
        ((), None, "没有任何观测值"),
        ((), b"STRUCTURE,oops\r\n", "表头"),
        ((), "datastructure,IPWH:DSD_IP_ELEMENTS(1.0),I,350100,2025,patent_grants,1,万件,0,A,reported,0\r\n", "单位"),
    ],
)
def test_malformed_sdmx_is_refused(prov, city_key, tmp_path, rows, elements, words) -> None:  # type: ignore[no-untyped-def]
    if isinstance(elements, str):  # a row with another unit than the catalogue's: header + that row
        elements = (
            element_rows((), Period.parse("2025"))[:-2]
            + b"\r\n"
            + elements.replace("万件", "ten_thousand_items").encode()
        )
        words = "计量单位"
    _refused(prov, make_package(tmp_path, city_key, rows=rows, elements=elements), words)


def _hostile(tmp_path: Path, members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    path = tmp_path / "hostile.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in members:
            archive.writestr(info, data)
    return path


def test_hostile_zips_are_refused_whole(prov, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _refused(prov, _hostile(tmp_path, [("../../etc/evil.txt", b"x")]), "不安全的路径")
    link = zipfile.ZipInfo("v1/manifest.json")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    (tmp_path / "a").mkdir()
    _refused(prov, _hostile(tmp_path / "a", [(link, b"/etc/passwd")]), "符号链接")
    (tmp_path / "b").mkdir()
    with pytest.warns(UserWarning, match="Duplicate name"):
        twice = _hostile(tmp_path / "b", [("v1/manifest.json", b"{}"), ("v1/manifest.json", b"{ }")])
    _refused(prov, twice, "出现两次")
    (tmp_path / "c").mkdir()
    not_zip = tmp_path / "c" / "returns.zip"
    not_zip.write_bytes(b"%PDF-1.7 not a package")
    _refused(prov, not_zip, "不是完整的 zip")
    # A bomb: far more bytes unpacked than a package may hold (the limit lowered to keep the test small).
    monkeypatch.setattr(signing, "_MAX_PACKAGE_BYTES", 1024 * 1024)
    (tmp_path / "d").mkdir()
    path = tmp_path / "d" / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("v1/zeros.bin", bytes(4 * 1024 * 1024))
    assert path.stat().st_size < 20_000
    _refused(prov, path, "压缩炸弹")
    with duckdb.connect(str(prov.warehouse), read_only=True) as con:
        kept = con.execute("select count(*), count(distinct archive_path) from raw.submissions").fetchone()
    assert kept == (5, 5)  # each refused file is archived and recorded, none loaded


def test_cli_registers_the_key_and_ingests_or_refuses_with_exit_status(tmp_path, city_key, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "var"
    monkeypatch.setenv("IPWH_HOME", str(home))
    monkeypatch.delenv("IPWH_WAREHOUSE", raising=False)
    monkeypatch.setenv("IPWH_TODAY", "2026-11-21")
    monkeypatch.setenv("IPWH_REGION", "350000")
    runner = CliRunner()
    package = make_package(tmp_path, city_key)
    refused = runner.invoke(app, ["upstream", "ingest", str(package)])
    assert refused.exit_code == 1 and "尚未登记" in refused.output and "Traceback" not in refused.output
    bad = runner.invoke(app, ["upstream", "register-key", "350100", "not-a-key"])
    assert bad.exit_code == 2 and "公钥" in bad.output
    ok = runner.invoke(app, ["upstream", "register-key", "350100", _public(city_key).text])
    assert ok.exit_code == 0 and "福州市" in ok.output
    assert _public(city_key).key_id in runner.invoke(app, ["upstream", "keys"]).output
    again = tmp_path / "again"
    again.mkdir()
    loaded = runner.invoke(
        app,
        [
            "upstream",
            "ingest",
            str(make_package(again, city_key, rows=(("350100", "patent_grants", "5"),))),
            "--by",
            "李四",
        ],
    )
    assert loaded.exit_code == 0, loaded.output
    assert "已接收，为第 1 版" in loaded.output and "已载入 1 个数据" in loaded.output


def test_installation_region_defaults_to_the_office_issuing_the_forms() -> None:
    from reports.upstream import Refused, own_region

    assert own_region(load(), None) == "350100"  # 福州市市场监督管理局（知识产权局） issues the forms
    assert own_region(load(), "350000") == "350000"
    with pytest.raises(Refused, match="不在目录的区划表中"):
        own_region(load(), "990000")
