"""Return packages signed with the installation's key: every way a package can be changed is caught."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from reports import sdmx
from reports.registry import _package
from reports.signing import PublicKey, SigningKeyError, VerifyError, key_pair, verify_package

SIGNER = {"submission_no": "R2025-v1", "submitted_by": "张三", "submitted_at": "2026-01-10T09:00:00"}


def _built(folder: Path) -> dict:
    """A built version folder as reports.build leaves it: two returns and their manifest."""
    folder.mkdir(parents=True)
    returns = []
    for code, data in (("r1", b"first return"), ("r2", "第二张表".encode())):
        (folder / f"{code}_2025.xlsx").write_bytes(data)
        returns.append({"code": code, "file": f"{code}_2025.xlsx", "sha256": hashlib.sha256(data).hexdigest()})
    manifest = {"period": "2025", "period_label": "2025年", "version": 1, "returns": returns}
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return manifest


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Path, PublicKey]:
    key, public = key_pair(tmp_path / "keys")
    folder = tmp_path / "outbox" / "2025" / "v1"
    package = tmp_path / "returns_2025_v1.zip"
    _package(folder, _built(folder), package, key, SIGNER)
    return package, public


def _rewrite(package: Path, target: Path, change) -> Path:  # type: ignore[no-untyped-def]
    """Copy the package, letting `change(name, data)` return new bytes or None to drop the member."""
    with zipfile.ZipFile(package) as source:
        members = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, data in members:
            new = change(name, data)
            if new is not None:
                out.writestr(name, new)
    target.write_bytes(buffer.getvalue())
    return target


def test_signed_package_verifies_and_lists_every_file(signed):
    package, public = signed
    done = verify_package(package, public)
    assert {f["name"] for f in done.files} == {"v1/r1_2025.xlsx", "v1/r2_2025.xlsx", "v1/manifest.json"}
    assert done.signer == SIGNER and done.key_id == public.key_id and done.manifest["version"] == 1


def test_key_pair_is_made_once_and_kept_private(tmp_path):
    _, first = key_pair(tmp_path / "keys")
    _, again = key_pair(tmp_path / "keys")
    assert first == again
    assert os.stat(tmp_path / "keys" / "returns_ed25519.pem").st_mode & 0o077 == 0
    assert PublicKey.parse((tmp_path / "keys" / "returns_ed25519.pub").read_text()) == first
    assert PublicKey.parse(first.text) == first


def test_damaged_private_key_is_named_not_replaced(tmp_path):
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "returns_ed25519.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\njunk\n")
    with pytest.raises(SigningKeyError, match="无法读取或已损坏"):
        key_pair(tmp_path / "keys")
    assert (tmp_path / "keys" / "returns_ed25519.pem").read_bytes().endswith(b"junk\n")


def test_package_signed_by_another_key_is_refused(signed, tmp_path):
    package, _ = signed
    _, stranger = key_pair(tmp_path / "stranger")
    with pytest.raises(VerifyError, match="不是所登记的发送方密钥"):
        verify_package(package, stranger)


def test_changed_return_is_refused(signed, tmp_path):
    package, public = signed
    changed = _rewrite(package, tmp_path / "t.zip", lambda n, d: d + b"!" if n.endswith("r1_2025.xlsx") else d)
    with pytest.raises(VerifyError, match=re.escape("r1_2025.xlsx 的 SHA-256 与签名清单不符")):
        verify_package(changed, public)


def test_file_list_rewritten_to_match_a_changed_file_breaks_the_signature(signed, tmp_path):
    package, public = signed

    def forge(name: str, data: bytes) -> bytes:
        if name.endswith("r1_2025.xlsx"):
            return b"forged"
        if name.endswith("signature.json"):
            doc = json.loads(data)
            doc["files"] = [
                dict(f, sha256=hashlib.sha256(b"forged").hexdigest(), bytes=6)
                if f["name"].endswith("r1_2025.xlsx")
                else f
                for f in doc["files"]
            ]
            return json.dumps(doc).encode()
        return data

    with pytest.raises(VerifyError, match="签名验证失败"):
        verify_package(_rewrite(package, tmp_path / "t.zip", forge), public)


def test_public_key_swapped_in_the_package_is_refused(signed, tmp_path):
    package, public = signed
    _, mallory = key_pair(tmp_path / "mallory")

    def swap(name: str, data: bytes) -> bytes:
        if name.endswith("signature.json"):
            return json.dumps(dict(json.loads(data), public_key=mallory.text)).encode()
        return data

    with pytest.raises(VerifyError, match="不是所登记的发送方密钥"):
        verify_package(_rewrite(package, tmp_path / "t.zip", swap), public)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda n, d: None if n.endswith("r2_2025.xlsx") else d, "缺少 v1/r2_2025.xlsx"),
        (lambda n, d: None if n.endswith("signature.json") else d, "没有签名文件"),
        (lambda n, d: b"{not json" if n.endswith("signature.json") else d, "signature.json 格式有误"),
    ],
)
def test_missing_files_and_broken_signature_file_are_refused(signed, tmp_path, change, expected):
    package, public = signed
    with pytest.raises(VerifyError, match=re.escape(expected)):
        verify_package(_rewrite(package, tmp_path / "t.zip", change), public)


def test_extra_file_slipped_into_the_package_is_refused(signed, tmp_path):
    package, public = signed
    with zipfile.ZipFile(package, "a") as archive:
        archive.writestr("v1/readme.txt", "extra")
    with pytest.raises(VerifyError, match=re.escape("多出 v1/readme.txt")):
        verify_package(package, public)


def test_path_escaping_the_package_is_refused(signed, tmp_path):
    package, public = signed
    with zipfile.ZipFile(package, "a") as archive:
        archive.writestr("../../etc/evil", "x")
    with pytest.raises(VerifyError, match="不安全的路径"):
        verify_package(package, public)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", b"%PDF-1.7 not a zip"])
def test_file_that_is_not_a_package_is_refused(tmp_path, content):
    path = tmp_path / "p.zip"
    path.write_bytes(content)
    with pytest.raises(VerifyError, match="报送包已损坏"):
        verify_package(path, PublicKey(bytes(32)))


@pytest.mark.parametrize("text", ["not base64!", base64.b64encode(b"short").decode(), "-----BEGIN PUBLIC KEY-----\nx"])
def test_malformed_public_key_is_named(text):
    with pytest.raises(VerifyError, match="公钥"):
        PublicKey.parse(text)


# --- the SDMX-CSV figures are checked against their structure ------------------------------------

_DSD = {
    "id": "DSD_IP_INDICATORS",
    "agency": "IPWH",
    "version": "1.0",
    "dimensions": [
        {"id": "REF_AREA", "codelist": {"350100": "福州市"}},
        {"id": "TIME_PERIOD"},
        {"id": "INDICATOR", "codelist": {"patent_grants": {}}},
    ],
    "attributes": [
        {"id": "UNIT_MEASURE", "codelist": {"item": "件"}},
        {"id": "UNIT_MULT"},
        {"id": "OBS_STATUS", "codelist": {"A": "", "P": "", "M": ""}},
        {"id": "SOURCE", "codelist": {"computed": "", "reported": ""}},
        {"id": "SAMPLE_FLAG", "codelist": {"0": "", "1": ""}},
    ],
    "columns": list(sdmx.COLUMNS),
}
_GOOD_ROW = "datastructure,IPWH:DSD_IP_INDICATORS(1.0),I,350100,2025,patent_grants,6100,item,0,A,computed,0"


def _sdmx_package(tmp_path: Path, rows: list[str]) -> tuple[Path, PublicKey]:
    key, public = key_pair(tmp_path / "keys")
    folder = tmp_path / "outbox" / "2025" / "v1"
    manifest = _built(folder)
    figures = ("\r\n".join([",".join(sdmx.COLUMNS), *rows]) + "\r\n").encode()
    (folder / "data_2025.sdmx.csv").write_bytes(figures)
    (folder / "structure.json").write_text(json.dumps(_DSD), encoding="utf-8")
    manifest["sdmx"] = {"data": "data_2025.sdmx.csv", "structure": "structure.json"}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    package = tmp_path / "p.zip"
    _package(folder, manifest, package, key, SIGNER)
    return package, public


def test_sdmx_figures_following_their_structure_verify(tmp_path):
    package, public = _sdmx_package(tmp_path, [_GOOD_ROW, _GOOD_ROW.replace(",2025,", ",2024,")])
    assert verify_package(package, public).manifest["sdmx"]["checked_observations"] == 2


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (_GOOD_ROW.replace("350100", "999999"), "REF_AREA 的代码 '999999' 不在代码表中"),
        (_GOOD_ROW.replace("6100", "六千"), "OBS_VALUE '六千' 不是数值"),
        (_GOOD_ROW.replace(",6100,", ",NaN,"), "不是数值"),
        (_GOOD_ROW.replace("DSD_IP_INDICATORS(1.0)", "OTHER(2.0)"), "STRUCTURE_ID"),
        (_GOOD_ROW + ",extra", "有 13 列，应为 12 列"),
        (_GOOD_ROW.replace(",A,", ",X,"), "OBS_STATUS"),
        (_GOOD_ROW.replace(",computed,", ",guessed,"), "SOURCE"),
    ],
)
def test_sdmx_figures_breaking_their_structure_are_refused(tmp_path, row, expected):
    package, public = _sdmx_package(tmp_path, [row])
    with pytest.raises(VerifyError, match=re.escape(expected)):
        verify_package(package, public)


def test_duplicate_sdmx_observation_is_refused():
    figures = ("\r\n".join([",".join(sdmx.COLUMNS), _GOOD_ROW, _GOOD_ROW]) + "\r\n").encode()
    with pytest.raises(sdmx.SdmxError, match="重复"):
        sdmx.check(figures, json.dumps(_DSD).encode())


def test_sdmx_period_and_multiplier_follow_the_spec():
    from sources.periods import Period

    assert [sdmx.sdmx_period(Period.parse(p)) for p in ("2025", "2026Q3", "2026-10")] == ["2025", "2026-Q3", "2026-10"]
    assert [sdmx._multiplier(f) for f in (1, 10000, 100000000, None)] == ["0", "4", "8", "0"]
    assert sdmx.number(Decimal("734.00")) == "734" and sdmx.number(Decimal("0.50")) == "0.5"
