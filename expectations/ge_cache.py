"""Great Expectations results kept by what they were computed from, so unchanged data is not validated again.

A suite's answer depends only on the frame it validates and on the suite, which the catalogue and the
code define. Each validation is therefore keyed by the SHA-256 of the frame's content (columns, types,
every row in order), the suite's name, the catalogue files, the suites' source and the GE version; the
failures found are kept in the warehouse (`build_state.ge_results`). A refresh after one corrected form
re-validates that form's suite only, and a run with nothing new imports no GE at all (about 2.5 s).
Any change to the data, the catalogue or the suites gives another key, hence a fresh validation.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import pickle
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

SCHEMA = "build_state"
TABLE = f"{SCHEMA}.ge_results"
FORMAT = "ipwh-ge-results/1"

Validate = Callable[[], tuple[int, list[Any]]]


def frame_digest(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256(json.dumps([list(map(str, frame.columns)), list(map(str, frame.dtypes))]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


@cache
def _code_digest(seeds_dir: Path) -> str:
    from expectations import ge_rules, suites

    digest = hashlib.sha256(json.dumps([FORMAT, version("great_expectations")]).encode())
    for module in (suites, ge_rules):
        digest.update(inspect.getsource(module).encode())
    for path in sorted(p for p in seeds_dir.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(seeds_dir)).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def result_key(seeds_dir: Path, suite_name: str, frame: pd.DataFrame, key_columns: list[str], max_rows: int) -> str:
    parts = [_code_digest(seeds_dir), suite_name, frame_digest(frame), key_columns, max_rows]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def cached_validation(
    con: duckdb.DuckDBPyConnection, key: str, suite_name: str, validate: Validate
) -> tuple[int, list[Any]]:
    """The stored answer for `key`, else `validate()`'s, stored (one row per suite: the newest only)."""
    try:
        found = con.execute(f"select result from {TABLE} where result_key = ?", [key]).fetchone()
    except duckdb.CatalogException:
        found = None
    if found is not None:
        return pickle.loads(found[0])
    answer = validate()
    if any(getattr(f, "error", None) for f in answer[1]):
        return answer  # an expectation that raised is asked again next time, never remembered
    try:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(
            f"create table if not exists {TABLE} (suite_name varchar primary key, result_key varchar, result blob)"
        )
        con.execute(
            f"insert or replace into {TABLE} values (?, ?, ?)", [suite_name, key, pickle.dumps(answer, protocol=5)]
        )
    except duckdb.Error:
        pass  # a read-only connection: answered, not remembered
    return answer
