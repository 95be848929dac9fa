"""Where the monitoring site and the returns read the marts: the DuckDB file, or Parquet another engine wrote.

`open_marts(settings, database)` gives one DuckDB connection in which the `marts` and `catalogue`
schemas (and every other schema the reader uses: raw, quality, returns, meta) answer under their usual
names, so the readers' SQL does not change with the engine that built the marts:

- IPWH_MARTS_SOURCE unset or `duckdb` (the default): `database` itself, opened read-only — the very
  connection these readers opened before (`open_snapshot` for the snapshot).
- IPWH_MARTS_SOURCE=parquet:<folder>: an in-memory database in which each table found in the folder
  (`<schema>.<table>.parquet` as core/snapshot.py publishes, or `<schema>[.db]/<table>/` folders of part
  files as Spark writes them: see parquet_tables) is a view over its files, and every other schema
  of `database` (attached read-only) is a view over its tables. A schema comes whole from one side:
  a mart missing from the folder is missing, never read stale from the DuckDB file.

In the Parquet case the DuckDB file is attached as another catalogue, so a reader that lists tables
through information_schema filters on `table_catalog = current_database()` (the same tables as before
on the DuckDB file, which is the only catalogue there).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from core.settings import MARTS_SOURCE_SETTING, Settings
from core.snapshot import open_snapshot
from core.warehouse import WarehouseUnavailable, connect_read_only

REQUIRED_SCHEMAS = ("marts", "catalogue")
# What the DuckDB build recorded about itself (core/build_state.py) says nothing about marts built
# elsewhere: left out, so a draft return or the site is never reused on the strength of it.
_NOT_FROM_SOURCE = frozenset({"build_state"})
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_FILE = re.compile(r"^([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\.parquet$")
_SOURCE = "ipwh_source"  # the catalogue name the DuckDB file is attached under


def _sql_text(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def open_marts(settings: Settings, database: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection with the marts from IPWH_MARTS_SOURCE and everything else from `database`."""
    if settings.marts_parquet is None:
        if database == settings.snapshot_db:
            return open_snapshot(settings)
        return connect_read_only(database)
    return parquet_marts(settings.marts_parquet, database)


def parquet_tables(folder: Path) -> list[tuple[str, str, str]]:
    """(schema, table, what read_parquet reads) for each table in the folder, in either layout:

    - `<schema>.<table>.parquet`, one file per table (what core/snapshot.py publishes);
    - `<schema>/<table>/*.parquet` or `<schema>.db/<table>/*.parquet`, a folder of part files per
      table (what Spark writes: with dbt-spark's `location_root`, or as managed tables in its
      warehouse folder). Hidden files and writers' markers (`.x`, `_SUCCESS`) are not data."""
    found: dict[tuple[str, str], str] = {}

    def add(schema: str, table: str, source: str) -> None:
        if (schema, table) in found:
            raise WarehouseUnavailable(f"{folder} 中 {schema}.{table} 出现了两次（单个文件与文件夹），请只保留一种。")
        found[(schema, table)] = source

    for path in sorted(folder.iterdir()):
        match = _FILE.match(path.name)
        if match and path.is_file():
            add(match.group(1), match.group(2), str(path))
        elif _NAME.match(path.name.removesuffix(".db")) and path.is_dir():
            for table in sorted(path.iterdir()):
                if _NAME.match(table.name) and table.is_dir() and any(table.glob("[!._]*.parquet")):
                    add(path.name.removesuffix(".db"), table.name, str(table / "[!._]*.parquet"))
    return [(schema, table, source) for (schema, table), source in sorted(found.items())]


def parquet_marts(folder: Path, database: Path | None) -> duckdb.DuckDBPyConnection:
    """The marts from Parquet files in `folder`; the other schemas of `database` (if it exists) beside them."""
    if not folder.is_dir():
        raise WarehouseUnavailable(
            f"{MARTS_SOURCE_SETTING} 指向的文件夹 {folder} 不存在：请先在该引擎上完成一次构建，"
            "或改回 duckdb（删除该设置）。"
        )
    tables = parquet_tables(folder)
    schemas = {schema for schema, _, _ in tables}
    missing = [s for s in REQUIRED_SCHEMAS if s not in schemas]
    if missing:
        named = "、".join(f"{s}.<表>.parquet" for s in missing)
        raise WarehouseUnavailable(
            f"{MARTS_SOURCE_SETTING} 指向的文件夹 {folder} 中没有 {named} 文件：数据集市尚未写出。"
        )
    con = duckdb.connect()
    try:
        for schema in sorted(schemas):
            con.execute(f"create schema {_ident(schema)}")
        for schema, table, source in tables:
            con.execute(
                f"create view {_ident(schema)}.{_ident(table)} as select * from read_parquet({_sql_text(source)})"
            )
        if database is not None and database.exists():
            con.execute(f"attach {_sql_text(database)} as {_SOURCE} (read_only)")
            _views_over_source(con, schemas)
    except duckdb.Error as exc:
        con.close()
        raise WarehouseUnavailable(f"无法读取数据集市（{folder}、{database}）：{exc}") from exc
    return con


def _views_over_source(con: duckdb.DuckDBPyConnection, taken: set[str]) -> None:
    rows = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ? "
        "union all select schema_name, view_name from duckdb_views() where database_name = ? and not internal "
        "order by 1, 2",
        [_SOURCE, _SOURCE],
    ).fetchall()
    for schema, table in rows:
        if schema in taken or schema in _NOT_FROM_SOURCE:
            continue
        con.execute(f"create schema if not exists {_ident(schema)}")
        qualified = f"{_ident(schema)}.{_ident(table)}"
        con.execute(f"create view {qualified} as select * from {_SOURCE}.{qualified}")
