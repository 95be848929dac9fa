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

from core.build_state import MODEL_INPUTS_TABLE as TABLE
from core.build_state import SCHEMA, built_models_fingerprint


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
    return built_models_fingerprint(con) == fingerprint


def warehouse_state(con: duckdb.DuckDBPyConnection) -> str | None:
    """What the quality rules read, as far as the warehouse goes: the models as last built and the raw
    tables as they are now (the staging views read them live, so a submission received since the
    build counts). None when the models' inputs are not recorded: the checks then evaluate every rule."""
    built = built_models_fingerprint(con)
    return None if built is None else f"{built}:{raw_fingerprint(con)}"


def record_models_built(con: duckdb.DuckDBPyConnection, fingerprint: str, at: datetime) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
    sql = f"create or replace table {TABLE} as select ?::varchar as fingerprint, ?::timestamp as built_at"
    con.execute(sql, [fingerprint, at])


def forget_models_built(con: duckdb.DuckDBPyConnection) -> None:
    """Before any build: a build that fails half-way leaves models of mixed inputs behind."""
    con.execute(f"drop table if exists {TABLE}")


# dbt's unit tests check the models' SQL on fixed inputs: their outcome depends on the project
# alone, never on the data. A refresh after a submission therefore skips them while the project is
# the one they last passed on; any change to a model, macro or test (or a full build) runs them.
UNIT_TESTS_TABLE = f"{SCHEMA}.unit_tests_passed"


def unit_tests_passed(con: duckdb.DuckDBPyConnection, project: str) -> bool:
    try:
        found = con.execute(f"select project from {UNIT_TESTS_TABLE}").fetchone()
    except duckdb.Error:
        return False
    return found is not None and found[0] == project


def record_unit_tests_passed(con: duckdb.DuckDBPyConnection, project: str | None) -> None:
    """`project`: the project they all passed on; None: forget (the next build runs them)."""
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(f"create or replace table {UNIT_TESTS_TABLE} (project varchar)")
    if project is not None:
        con.execute(f"insert into {UNIT_TESTS_TABLE} values (?)", [project])
