"""Whether the warehouse already holds the catalogue as it is in dbt_project/seeds/.

The seeds are the catalogue: they change with a release, not with a submission. Loading them and
running their 160-odd data tests is a third of a build's dbt time, so `ipwh run` leaves them out
when the warehouse's copy was loaded from the very same files (a fingerprint of their bytes and of
the project settings that shape them, recorded in the warehouse after a successful build that loaded
them all). Anything else (first build, a changed or added file, a missing table) loads them all and
runs every test again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import duckdb

from core.build_state import SCHEMA
from core.settings import DBT_PROJECT_DIR

TABLE = f"{SCHEMA}.catalogue_load"
CATALOGUE_SCHEMA = "catalogue"


def seed_files() -> list[Path]:
    seeds = DBT_PROJECT_DIR / "seeds"
    return sorted(p for p in seeds.rglob("*") if p.is_file())


def seeds_fingerprint() -> str:
    """SHA-256 of every file under seeds/ (data and their YAML), dbt_project.yml and dbt's version."""
    digest = hashlib.sha256(json.dumps(["ipwh-seeds/1", version("dbt-core"), version("dbt-duckdb")]).encode())
    for path in [DBT_PROJECT_DIR / "dbt_project.yml", *seed_files()]:
        digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def seeds_current(con: duckdb.DuckDBPyConnection, fingerprint: str, seed_tables: Iterable[str]) -> bool:
    """The recorded load is of these very files, and every seed table is there."""
    try:
        found = con.execute(f"select fingerprint from {TABLE}").fetchone()
        tables = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = ?", [CATALOGUE_SCHEMA]
            ).fetchall()
        }
    except duckdb.Error:
        return False
    return found is not None and found[0] == fingerprint and set(seed_tables) <= tables


def loaded_seeds(con: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint of the seed files the warehouse's catalogue was last loaded from, if recorded."""
    try:
        found = con.execute(f"select fingerprint from {TABLE}").fetchone()
    except duckdb.Error:
        return None
    return found[0] if found else None


def record_seeds_loaded(con: duckdb.DuckDBPyConnection, fingerprint: str, at: datetime) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
    sql = f"create or replace table {TABLE} as select ?::varchar as fingerprint, ?::timestamp as loaded_at"
    con.execute(sql, [fingerprint, at])


def forget_seeds_loaded(con: duckdb.DuckDBPyConnection) -> None:
    """Before a build that loads the seeds: should it fail half-way, the next one loads them again."""
    con.execute(f"drop table if exists {TABLE}")
