"""The analysts' read-only snapshot of the marts, published after every successful build.

`<IPWH_HOME>/snapshot/warehouse.duckdb` holds copies of the `marts`, `catalogue` and `quality` (check
results, for the monitoring site's gate state) schemas plus
`meta.snapshot` (when and from which run it was published); `snapshot/parquet/<schema>.<table>.parquet`
holds the same tables as Parquet. Both are written under temporary names and renamed into place,
so a reader sees either the previous snapshot or the new one, never half of one, and an analyst's
open connection (which keeps reading the old file) never blocks the next scheduled run.

Only duckdb is imported here: `ipwh query` stays fast.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.faults import fault_point
from core.settings import Settings, local_now
from core.warehouse import WarehouseUnavailable

SNAPSHOT_SCHEMAS = ("marts", "catalogue", "quality")
# Written by `ipwh run` beside a snapshot it published: the key of what the snapshot shows
# (monitoring_site/build_key.py). Every publication removes it first, so it never outlives its snapshot.
INPUTS_KEY_FILE = ".inputs-key"


@dataclass
class SnapshotResult:
    database: Path
    parquet_dir: Path
    tables: list[str]
    seconds: float


def _sql_text(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish_snapshot(
    settings: Settings, run_id: str | None = None, attempts: int = 10, wait: float = 3.0
) -> SnapshotResult:
    """Copy the marts and catalogue from the warehouse into the snapshot folder, atomically per file."""
    started = time.monotonic()
    if not settings.warehouse.exists():
        raise WarehouseUnavailable(f"仓库文件 {settings.warehouse} 尚不存在，无法发布快照。")
    folder = settings.snapshot
    parquet = folder / "parquet"
    parquet.mkdir(parents=True, exist_ok=True)
    (folder / INPUTS_KEY_FILE).unlink(missing_ok=True)
    temp_db = folder / f".warehouse.{os.getpid()}.duckdb.tmp"
    temp_db.unlink(missing_ok=True)
    con = duckdb.connect(str(temp_db))
    try:
        _attach_source(con, settings.warehouse, attempts, wait)
        tables = [
            (schema, name)
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = 'src' and list_contains(?, table_schema) order by 1, 2",
                [list(SNAPSHOT_SCHEMAS)],
            ).fetchall()
        ]
        if not tables:
            raise WarehouseUnavailable("仓库中还没有数据集市，无法发布快照：请先完成一次构建（ipwh run）。")
        written: set[str] = set()
        for schema in SNAPSHOT_SCHEMAS:
            con.execute(f"create schema if not exists {_ident(schema)}")
        for schema, name in tables:
            qualified = f"{_ident(schema)}.{_ident(name)}"
            con.execute(f"create table {qualified} as select * from src.{qualified}")
            file_name = f"{schema}.{name}.parquet"
            temp_file = parquet / f".{file_name}.tmp"
            con.execute(f"copy {qualified} to {_sql_text(temp_file)} (format parquet, compression zstd)")
            os.replace(temp_file, parquet / file_name)
            written.add(file_name)
            fault_point("snapshot_mid_publish")
        con.execute("create schema meta")
        con.execute(
            "create table meta.snapshot as select ? as published_at, ? as run_id, ? as source_warehouse, ? as tables",
            [local_now().replace(microsecond=0), run_id, str(settings.warehouse), len(tables)],
        )
        con.execute("detach src")
        con.execute("checkpoint")
    except BaseException:
        con.close()
        temp_db.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(temp_db, settings.snapshot_db)
    for stale in parquet.glob("*.parquet"):
        if stale.name not in written:
            stale.unlink(missing_ok=True)
    return SnapshotResult(
        settings.snapshot_db, parquet, [f"{s}.{n}" for s, n in tables], round(time.monotonic() - started, 2)
    )


def _attach_source(con: duckdb.DuckDBPyConnection, warehouse: Path, attempts: int, wait: float) -> None:
    for attempt in range(1, attempts + 1):
        try:
            con.execute(f"attach {_sql_text(warehouse)} as src (read_only)")
            return
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or attempt == attempts:
                raise WarehouseUnavailable(f"发布快照时无法读取仓库 {warehouse}：{exc}") from exc
            time.sleep(wait)


def open_snapshot(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the snapshot (never to the warehouse itself)."""
    path = settings.snapshot_db
    if not path.exists():
        raise WarehouseUnavailable(f"分析快照 {path} 尚不存在：请先运行 `ipwh run`（每次构建成功后自动发布）。")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseUnavailable(f"无法打开分析快照 {path}：{exc}") from exc
