"""What the dbt models were last built from, so a run with nothing new does not rebuild them.

dbt's models are a function of the raw tables, the catalogue (seeds), the project's files and the
as-of day. After a build that rebuilt every model, a fingerprint of those four is recorded in the
warehouse (`build_state.model_inputs`). `ipwh run` compares it with the present before it starts: when
they agree and the inbox holds nothing to receive, the marts already are what a rebuild would give, so
the run re-runs the quality checks on them (explanations may have changed) and builds the returns,
without dbt. Any difference (a new submission, a changed model or seed, another day) rebuilds.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb

from orchestration.seed_state import SCHEMA

TABLE = f"{SCHEMA}.model_inputs"


def raw_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """Every raw table's row count and an order-free sum of its rows' hashes."""
    tables = [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' order by table_name"
        ).fetchall()
    ]
    digest = hashlib.sha256()
    for table in tables:
        count, total = con.execute(f'select count(*), sum(hash(t)::hugeint) from raw."{table}" as t').fetchone()
        digest.update(f"{table}\0{count}\0{total}\n".encode())
    return digest.hexdigest()


def model_inputs(con: duckdb.DuckDBPyConnection, seeds: str, project: str) -> str:
    return hashlib.sha256(f"{seeds}\0{project}\0{raw_fingerprint(con)}".encode()).hexdigest()


def models_current(con: duckdb.DuckDBPyConnection, fingerprint: str) -> bool:
    try:
        found = con.execute(f"select fingerprint from {TABLE}").fetchone()
    except duckdb.Error:
        return False
    return found is not None and found[0] == fingerprint


def record_models_built(con: duckdb.DuckDBPyConnection, fingerprint: str, at: datetime) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
    sql = f"create or replace table {TABLE} as select ?::varchar as fingerprint, ?::timestamp as built_at"
    con.execute(sql, [fingerprint, at])


def forget_models_built(con: duckdb.DuckDBPyConnection) -> None:
    """Before any build: a build that fails half-way leaves models of mixed inputs behind."""
    con.execute(f"drop table if exists {TABLE}")
