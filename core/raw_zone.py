"""The raw zone: the warehouse's raw tables as Parquet files that another engine reads.

Layout `<folder>/<table>/part-0.parquet`, one folder per raw table. Spark (or any engine reading
Parquet) registers them with the dbt macro register_raw_zone:
    dbt run-operation register_raw_zone --target spark --args '{location: <folder>}'

With IPWH_RAW_ZONE set, every intake (forms, portal submissions, patent extracts) publishes the raw
tables it changed, under the writer lock right after its commit. Each file is written under a hidden
temporary name (Spark and Hadoop skip names starting with '.') and renamed into place, so a reader
sees the previous file or the new one, never half of one (one table at a time: a build that starts
mid-publication may see the new submissions with the old values, and sees the rest at its next run).

The DuckDB raw tables stay the record; the zone is a copy that can always be rewritten from them. So a
zone that cannot be written never costs a submission: the intake is committed and receipted, then the
failure is raised (RawZoneUnavailable). The tables an intake is about to change are noted in
`<IPWH_HOME>/raw_zone.pending` before it commits and cleared once published; each publication also
rewrites every table whose file is missing or whose row count differs from the warehouse's (raw
tables only grow: approvals and locks append events), so the next intake catches up whatever a crash,
an unwritable folder or another writer left behind.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from core.settings import Settings
from core.warehouse import WarehouseUnavailable

PART = "part-0.parquet"
PENDING = "raw_zone.pending"


class RawZoneUnavailable(WarehouseUnavailable):
    """The raw zone could not be written; what the intake recorded in the warehouse stands.

    `outcomes` carries what the intake recorded (its receipts), for a caller that shows them."""

    def __init__(self, message: str, outcomes: list[Any] | None = None) -> None:
        super().__init__(message)
        self.outcomes: list[Any] = outcomes or []


def _sql_text(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    query = "select table_name from duckdb_tables() where schema_name = 'raw' order by 1"
    return [row[0] for row in con.execute(query).fetchall()]


def mark_pending(settings: Settings, tables: Iterable[str]) -> None:
    """Note (before a commit) the tables about to change, so a publication that never happens is made up."""
    if settings.raw_zone is None:
        return
    wanted = sorted(set(tables) | _pending(settings))
    if not wanted:
        return
    path = settings.home / PENDING
    temp = path.with_name(f".{PENDING}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(wanted), encoding="utf-8")
    os.replace(temp, path)


def _pending(settings: Settings) -> set[str]:
    try:
        found = json.loads((settings.home / PENDING).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {str(t) for t in found} if isinstance(found, list) else set()


def publish(con: duckdb.DuckDBPyConnection, settings: Settings, changed: Iterable[str]) -> list[str]:
    """Write the changed tables (and any the zone lacks or is behind on) to IPWH_RAW_ZONE; returns them.

    A no-op when the setting is off. Call after the commit, on the writing connection."""
    folder = settings.raw_zone
    if folder is None:
        return []
    tables = raw_tables(con)
    wanted = set(changed) | _pending(settings)
    chosen = [t for t in tables if t in wanted or _behind(con, folder, t)]
    try:
        for table in chosen:
            _write_table(con, table, folder)
    except (OSError, duckdb.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise RawZoneUnavailable(
            f"原始区 {folder} 无法写入（{reason}）：本次接收的数据已存入仓库，没有丢失；"
            f"请检查该文件夹（IPWH_RAW_ZONE）是否存在、可写、空间是否充足，下一次接收会补写未写入的表。"
        ) from exc
    (settings.home / PENDING).unlink(missing_ok=True)
    return chosen


def _behind(con: duckdb.DuckDBPyConnection, folder: Path, table: str) -> bool:
    """Whether the zone's file for `table` is missing, unreadable or holds another number of rows."""
    path = folder / table / PART
    if not path.is_file():
        return True
    try:
        found = con.execute(f"select num_rows from parquet_file_metadata({_sql_text(path)})").fetchone()
    except duckdb.Error:
        return True
    rows = con.execute(f'select count(*) from raw."{table}"').fetchone()
    return found is None or rows is None or int(found[0] or 0) != int(rows[0])


def _write_table(con: duckdb.DuckDBPyConnection, table: str, folder: Path) -> None:
    target = folder / table
    target.mkdir(parents=True, exist_ok=True)
    temp = target / f".{PART}.{os.getpid()}.tmp"
    try:
        con.execute(f'copy raw."{table}" to {_sql_text(temp)} (format parquet)')
        os.replace(temp, target / PART)
    finally:
        temp.unlink(missing_ok=True)


def export_raw_zone(warehouse: Path, folder: Path) -> list[str]:
    """Write every table of the warehouse's raw schema to folder/<table>/part-0.parquet; returns the tables."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = raw_tables(con)
        for table in tables:
            _write_table(con, table, folder)
    return tables
