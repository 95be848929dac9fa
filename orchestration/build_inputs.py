"""What the dbt models were last built from, so a run rebuilds only what its new data reaches.

dbt's models are a function of the raw tables, the catalogue (seeds), the project's files and the
as-of day. After a build that left every model consistent, the warehouse records a fingerprint of
those four (`build_state.model_inputs`, which returns and the site key on) and each raw table's own
fingerprint (`build_state.raw_inputs`). `ipwh run` compares them with the present before it starts:

- nothing changed and nothing in the inbox: the marts already are what a rebuild would give, so the
  run re-runs the quality checks (explanations may have changed) and the returns, without dbt;
- the same catalogue, project and as-of day, some raw tables changed (or the inbox holds files for
  intake's tables): only the models downstream of those tables are rebuilt, with their tests; the
  others read nothing that changed;
- anything else (first build, a changed model or seed, another day): every model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb

from core.build_state import MODEL_INPUTS_TABLE as TABLE
from core.build_state import SCHEMA, built_models_fingerprint, table_exists

if TYPE_CHECKING:
    from dagster import AssetKey

RAW_INPUTS_TABLE = f"{SCHEMA}.raw_inputs"  # each raw table's fingerprint as the last complete build read it


def raw_table_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each raw table's row count and an order-free sum of its rows' hashes."""
    tables = [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' order by table_name"
        ).fetchall()
    ]
    found = {}
    for table in tables:
        count, total = con.execute(f'select count(*), sum(hash(t)::hugeint) from raw."{table}" as t').fetchone()
        found[table] = f"{count}\0{total}"
    return found


def _combined(tables: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for table, fingerprint in sorted(tables.items()):
        digest.update(f"{table}\0{fingerprint}\n".encode())
    return digest.hexdigest()


def raw_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """Every raw table's row count and an order-free sum of its rows' hashes."""
    return _combined(raw_table_fingerprints(con))


def _context(seeds: str, project: str) -> str:
    return hashlib.sha256(f"{seeds}\0{project}".encode()).hexdigest()


def warehouse_state(con: duckdb.DuckDBPyConnection) -> str | None:
    """What the quality rules read, as far as the warehouse goes: the models as last built and the raw
    tables as they are now (the staging views read them live, so a submission received since the
    build counts). None when the models' inputs are not recorded: the checks then evaluate every rule."""
    built = built_models_fingerprint(con)
    return None if built is None else f"{built}:{raw_fingerprint(con)}"


def changed_raw_tables(con: duckdb.DuckDBPyConnection, seeds: str, project: str) -> set[str] | None:
    """The raw tables that differ from what the last complete build read, or None when that build is
    not comparable (none on record, or another catalogue, project or as-of day): then every model
    must be built. The models downstream of the tables named are all a rebuild needs."""
    if built_models_fingerprint(con) is None or not table_exists(con, RAW_INPUTS_TABLE):
        return None
    rows = con.execute(f"select context, table_name, fingerprint from {RAW_INPUTS_TABLE}").fetchall()
    if not rows or any(context != _context(seeds, project) for context, _, _ in rows):
        return None
    before = {table: fingerprint for _, table, fingerprint in rows}
    now = raw_table_fingerprints(con)
    return {t for t in before.keys() | now.keys() if before.get(t) != now.get(t)}


def record_models_built(
    con: duckdb.DuckDBPyConnection, seeds: str, project: str, tables: dict[str, str], at: datetime
) -> None:
    """After a build that left every model consistent with the raw tables as `tables` (raw_table_fingerprints,
    taken when the build started) found them."""
    fingerprint = hashlib.sha256(f"{seeds}\0{project}\0{_combined(tables)}".encode()).hexdigest()
    con.execute(f"create schema if not exists {SCHEMA}")
    sql = f"create or replace table {TABLE} as select ?::varchar as fingerprint, ?::timestamp as built_at"
    con.execute(sql, [fingerprint, at])
    context = _context(seeds, project)
    con.execute(
        f"create or replace table {RAW_INPUTS_TABLE} (context varchar, table_name varchar, fingerprint varchar)"
    )
    con.executemany(f"insert into {RAW_INPUTS_TABLE} values (?, ?, ?)", [[context, t, f] for t, f in tables.items()])


def forget_models_built(con: duckdb.DuckDBPyConnection) -> None:
    """Before any build: a build that fails half-way leaves models of mixed inputs behind."""
    con.execute(f"drop table if exists {TABLE}")
    con.execute(f"drop table if exists {RAW_INPUTS_TABLE}")


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


def downstream_of_raw(asset_deps: Mapping[AssetKey, AbstractSet[AssetKey]], changed: set[str]) -> set[AssetKey]:
    """The keys of `asset_deps` (key -> the keys it reads) that read, directly or through one another,
    a raw table named in `changed` (keys raw/<table>)."""
    reached = {key for key in asset_deps if any(d.path[0] == "raw" and d.path[-1] in changed for d in asset_deps[key])}
    grew = True
    while grew:
        more = {key for key, deps in asset_deps.items() if key not in reached and deps & reached}
        reached |= more
        grew = bool(more)
    return reached
