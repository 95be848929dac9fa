"""Small signed return packages made by hand (no warehouse build), for the upstream-ingest tests:
the same layout, manifest, SDMX datasets and signature as reports/registry.py writes."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import duckdb
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.settings import SEEDS_DIR, Settings
from reports import sdmx
from reports.signing import SIGNATURE, signature_document
from sources.periods import Period

ROWS = (
    ("350100", "patent_grants", "12345"),
    ("350102", "patent_grants", "2345"),
    ("350100", "ip_special_fund", "88.5"),
)


def catalogue_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding the catalogue tables the SDMX structures are made from."""
    con = duckdb.connect()
    con.execute("create schema catalogue")
    for table in ("regions", "indicators", "units", "data_elements"):
        path = (SEEDS_DIR / f"{table}.csv").as_posix()
        con.execute(f"create table catalogue.{table} as select * from read_csv('{path}', all_varchar = true)")
    return con


def element_rows(rows: tuple[tuple[str, str, str], ...], period: Period, action: str = "I") -> bytes:
    units = {
        r[0]: r[1]
        for r in catalogue_connection()
        .execute("select element_code, unit_code from catalogue.data_elements")
        .fetchall()
    }
    lines = [",".join(sdmx.ELEMENT_COLUMNS)]
    for region, element, value in rows:
        lines.append(
            ",".join(
                [
                    "datastructure",
                    sdmx.ELEMENT_STRUCTURE_ID,
                    action,
                    region,
                    sdmx.sdmx_period(period),
                    element,
                    value,
                    units.get(element, "item"),
                    "0",
                    "A",
                    "reported",
                    "0",
                ]
            )
        )
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def make_package(
    target: Path,
    key: Ed25519PrivateKey,
    *,
    region: str = "350100",
    period: str = "2025",
    version: int = 1,
    rows: tuple[tuple[str, str, str], ...] = ROWS,
    elements: bytes | None = None,
) -> Path:
    """A signed package `returns_<period>_v<version>.zip` in `target` (a folder)."""
    p = Period.parse(period)
    con = catalogue_connection()
    data = elements if elements is not None else element_rows(rows, p, "I" if version == 1 else "R")
    dsd = sdmx.element_structure(con)
    indicators = ("\r\n".join([",".join(sdmx.COLUMNS)]) + "\r\n").encode()
    indicator_dsd = sdmx.structure(con)
    files = {
        sdmx.data_file(p): indicators,
        sdmx.STRUCTURE_FILE: indicator_dsd,
        sdmx.element_file(p): data,
        sdmx.ELEMENT_STRUCTURE_FILE: dsd,
    }
    sha = {name: hashlib.sha256(b).hexdigest() for name, b in files.items()}
    manifest = {
        "format": "ipwh-returns-manifest/1",
        "period": p.code,
        "period_type": p.period_type,
        "period_label": p.label,
        "version": version,
        "sample": False,
        "returns": [],
        "failed": [],
        "sdmx": {
            "region_code": region,
            "region_name": "",
            "data": sdmx.data_file(p),
            "data_sha256": sha[sdmx.data_file(p)],
            "structure": sdmx.STRUCTURE_FILE,
            "structure_sha256": sha[sdmx.STRUCTURE_FILE],
            "structure_id": sdmx.STRUCTURE_ID,
            "elements": {
                "data": sdmx.element_file(p),
                "data_sha256": sha[sdmx.element_file(p)],
                "structure": sdmx.ELEMENT_STRUCTURE_FILE,
                "structure_sha256": sha[sdmx.ELEMENT_STRUCTURE_FILE],
                "structure_id": sdmx.ELEMENT_STRUCTURE_ID,
            },
        },
    }
    files["manifest.json"] = json.dumps(manifest, ensure_ascii=False).encode("utf-8")
    inside = {f"v{version}/{name}": b for name, b in files.items()}
    signer = {"submission_no": f"R{p.code}-v{version}", "submitted_by": "张三", "submitted_at": "2026-11-21T10:00:00"}
    inside[f"v{version}/{SIGNATURE}"] = signature_document(inside, key, signer)
    path = target / f"returns_{p.code}_v{version}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, b in inside.items():
            archive.writestr(name, b)
    return path


def province(root: Path) -> Settings:
    from tests.sample_cache import AS_OF

    home = root / "province"
    return Settings(home=home, warehouse=home / "warehouse.duckdb", today_override=AS_OF, region_override="350000")
