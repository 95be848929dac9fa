"""The record of returns submitted upward (schema `returns`, append-only) and the submit step.

Submitting version N of a period's returns: check the built files against their manifest, check the
gate again and that every input is still the latest accepted version, package the files and the
manifest into a zip in the outbox, signed with the installation's key (reports/signing.py), record
who and when, and lock the inputs (`locked` events) so intake refuses new versions for them. A later
correction is version N+1, built beside version N.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reports.signing import SIGNATURE, key_pair, signature_document
from sources.intake.raw_schema import ensure_raw_schema
from sources.intake.store import add_event
from sources.periods import Period

DDL = """
create schema if not exists returns;
create table if not exists returns.submissions (
    submission_no varchar primary key,   -- R<period>-v<N>
    period_code varchar not null,
    period_type varchar not null,
    version integer not null,
    submitted_by varchar not null,
    submitted_at timestamp not null,
    manifest_sha256 varchar not null,
    package_file varchar not null,       -- relative to the outbox
    package_sha256 varchar not null,
    input_count integer not null,
    is_sample boolean not null,
    note varchar
);
create table if not exists returns.submitted_files (
    submission_no varchar not null,
    return_code varchar not null,
    file_name varchar not null,
    sha256 varchar not null,
    bytes bigint not null
);
create table if not exists returns.submitted_inputs (
    submission_no varchar not null,
    submission_id varchar not null       -- raw.submissions: the version the return was built from
);
"""
MANIFEST = "manifest.json"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class SubmitError(Exception):
    """Submitting cannot go ahead; the message (Chinese) says why and what to do."""


@dataclass(frozen=True)
class Submitted:
    submission_no: str
    version: int
    package: Path
    package_sha256: str
    locked: int
    submitted_at: datetime


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def latest_submitted_version(con: duckdb.DuckDBPyConnection, period_code: str) -> int | None:
    ensure_schema(con)
    found = con.execute("select max(version) from returns.submissions where period_code = ?", [period_code]).fetchone()
    return found[0] if found and found[0] is not None else None


def read_manifest(folder: Path) -> tuple[dict[str, Any], str]:
    data = (folder / MANIFEST).read_bytes()
    return json.loads(data), hashlib.sha256(data).hexdigest()


def read_submitted_manifest(
    con: duckdb.DuckDBPyConnection, outbox: Path, period: Period, version: int
) -> dict[str, Any]:
    """The manifest of the submitted version, checked against the hash recorded at submission."""
    folder = outbox / period.code / f"v{version}"
    recorded = con.execute(
        "select manifest_sha256 from returns.submissions where period_code = ? and version = ?", [period.code, version]
    ).fetchone()
    try:
        manifest, digest = read_manifest(folder)
    except FileNotFoundError as exc:
        raise SubmitError(
            f"已报送的第 {version} 版清单 {folder / MANIFEST} 不见了：无法生成更正版的变化清单。"
        ) from exc
    if recorded and recorded[0] != digest:
        raise SubmitError(f"已报送的第 {version} 版清单 {folder / MANIFEST} 与报送时记录的 SHA-256 不符，可能被改动。")
    manifest["_sha256"] = digest
    return manifest


def latest_built_version(outbox: Path, period: Period) -> int | None:
    folder = outbox / period.code
    versions = [int(p.name[1:]) for p in folder.glob("v*") if p.name[1:].isdigit() and (p / MANIFEST).exists()]
    return max(versions) if versions else None


def submit(
    con: duckdb.DuckDBPyConnection,
    outbox: Path,
    period: Period,
    *,
    actor: str,
    at: datetime,
    note: str | None = None,
    keys: Path | None = None,
) -> Submitted:
    """Submit the latest built version; the package is signed with the installation's key
    (`keys`, by default `keys/` beside the outbox, i.e. under IPWH_HOME)."""
    ensure_schema(con)
    ensure_raw_schema(con)
    version = latest_built_version(outbox, period)
    if version is None:
        raise SubmitError(f"{period.label}的报表尚未生成：请先运行 ipwh returns build --period {period.code}")
    done = latest_submitted_version(con, period.code)
    if done is not None and done >= version:
        raise SubmitError(
            f"{period.label}的第 {done} 版已于此前报送。如需更正，先运行 ipwh returns build --period {period.code} "
            "生成新版本（附变化清单），再报送。"
        )
    folder = outbox / period.code / f"v{version}"
    manifest, manifest_sha = read_manifest(folder)
    _check_files(folder, manifest)
    if manifest.get("failed"):
        names = "、".join(f["code"] for f in manifest["failed"])
        raise SubmitError(f"第 {version} 版有报表未能生成（{names}），不能报送：补齐数据后重新生成。")
    from expectations.gate import gate_decision  # the gate is checked again: data may have moved since the build

    decision = gate_decision(con, period)
    if not decision.passed:
        raise SubmitError("质量关口当前未通过，不能报送：请运行 ipwh returns build 查看原因。")
    ids = [i["submission_id"] for i in manifest.get("inputs", [])]
    _check_inputs_current(con, ids)
    submission_no = f"R{period.code}-v{version}"
    package = outbox / period.code / f"returns_{period.code}_v{version}.zip"
    signing_key, _ = key_pair(keys or outbox.parent / "keys")
    signer = {"submission_no": submission_no, "submitted_by": actor, "submitted_at": at.isoformat()}
    package_sha = _package(folder, manifest, package, signing_key, signer)
    con.execute("begin transaction")
    try:
        con.execute(
            "insert into returns.submissions values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                submission_no,
                period.code,
                period.period_type,
                version,
                actor,
                at,
                manifest_sha,
                str(package.relative_to(outbox)),
                package_sha,
                len(ids),
                bool(manifest.get("sample")),
                note,
            ],
        )
        con.executemany(
            "insert into returns.submitted_files values (?, ?, ?, ?, ?)",
            [[submission_no, r["code"], r["file"], r["sha256"], r["bytes"]] for r in manifest["returns"]]
            + [
                [submission_no, code, name, sha, (folder / name).stat().st_size]
                for code, name, sha in exchange_files(manifest)
            ]
            + [[submission_no, "manifest", MANIFEST, manifest_sha, (folder / MANIFEST).stat().st_size]],
        )
        if ids:
            con.executemany("insert into returns.submitted_inputs values (?, ?)", [[submission_no, i] for i in ids])
            add_event(con, ids, "locked", actor, f"上报报表 {submission_no}", at)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        package.unlink(missing_ok=True)
        raise
    return Submitted(submission_no, version, package, package_sha, len(ids), at)


def _check_files(folder: Path, manifest: dict[str, Any]) -> None:
    for entry in manifest["returns"]:
        path = folder / entry["file"]
        if not path.exists():
            raise SubmitError(f"{path} 不见了：请重新运行 ipwh returns build。")
        if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            raise SubmitError(f"{path} 与清单中的 SHA-256 不符（生成后被改动？）：请重新运行 ipwh returns build。")
    for _, name, sha in exchange_files(manifest):
        path = folder / name
        if sha is None or not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            raise SubmitError(f"{path} 不见了或与清单中的 SHA-256 不符：请重新运行 ipwh returns build。")


def exchange_files(manifest: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """The SDMX files a manifest lists: (code, file name, SHA-256) — indicator and element datasets."""
    exchange = manifest.get("sdmx") or {}
    found = []
    for prefix, dataset in (("sdmx", exchange), ("sdmx_elements", exchange.get("elements") or {})):
        for key in ("data", "structure"):
            if key in dataset:
                found.append((f"{prefix}_{key}", dataset[key], dataset.get(f"{key}_sha256")))
    return found


def _check_inputs_current(con: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
    if not ids:
        return
    stale = con.execute(
        """
        select distinct submission_id from raw.submission_events
        where status = 'superseded' and list_contains(?, submission_id) order by 1
        """,
        [ids],
    ).fetchall()
    if stale:
        names = "、".join(s for (s,) in stale)
        raise SubmitError(f"生成报表后，这些报送已被新版本取代：{names}。请重新运行 ipwh returns build 后再报送。")


def _package(
    folder: Path, manifest: dict[str, Any], package: Path, key: Ed25519PrivateKey, signer: dict[str, Any]
) -> str:
    """A zip of the returns, the change list, the manifest and their signature; fixed timestamps."""
    names = [r["file"] for r in manifest["returns"]]
    if manifest.get("change_list"):
        names.append(manifest["change_list"])
    names += [name for _, name, _ in exchange_files(manifest)]
    names.append(MANIFEST)
    files = {f"{folder.name}/{name}": (folder / name).read_bytes() for name in names}
    files[f"{folder.name}/{SIGNATURE}"] = signature_document(files, key, signer)
    tmp = package.with_name(f".{package.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    tmp.replace(package)
    return hashlib.sha256(package.read_bytes()).hexdigest()


def list_submissions(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    ensure_schema(con)
    return con.execute(
        """
        select submission_no, period_code, version, submitted_by, submitted_at, input_count, is_sample, package_file
        from returns.submissions order by submitted_at, submission_no
        """
    ).fetchall()
