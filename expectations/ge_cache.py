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
import numpy as np
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


# --- period by period --------------------------------------------------------------------------------
# A suite whose answer for a period depends on that period's rows alone (expectations/suites.py,
# PARTITIONED) is remembered period by period: a refresh after one corrected form validates the
# periods whose rows changed (together, in one validation) and takes every other period's failures
# from the store. The failures are then merged as one validation of the whole frame gives them:
# expectations in suite order, rows in frame order, at most `max_rows` per expectation, counts summed.
ROW = "ipwh_row"  # a failing row's position while periods are validated together; never in an answer
ValidateIndexed = Callable[[pd.DataFrame, list[str]], tuple[int, list[tuple[int, Any]]]]
# One period's answer: (expectations in the suite, [(place in suite, label, column, rows, count)]),
# each row's ROW its position among the period's rows.
PeriodAnswer = tuple[int, list[tuple[int, str, str | None, list[dict[str, Any]], int]]]


def _period_keys(
    seeds_dir: Path,
    suite_name: str,
    frame: pd.DataFrame,
    key_columns: list[str],
    max_rows: int,
    periods: list[Any],
    positions: list[np.ndarray],
) -> list[str]:
    """One key per period: its rows' content (hashed once for the whole frame), the suite, the code."""
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    head = json.dumps([list(map(str, frame.columns)), list(map(str, frame.dtypes))]).encode()
    code = _code_digest(seeds_dir)
    keys = []
    for period, where in zip(periods, positions, strict=True):
        content = hashlib.sha256(head + rows[where].tobytes()).hexdigest()
        parts = [code, "by-period", f"{suite_name}@{period}", content, key_columns, max_rows]
        keys.append(hashlib.sha256(json.dumps(parts).encode()).hexdigest())
    return keys


def _stored(con: duckdb.DuckDBPyConnection, keys: list[str]) -> dict[str, PeriodAnswer]:
    try:
        found = con.execute(f"select result_key, result from {TABLE} where result_key in (select unnest(?))", [keys])
        return {key: pickle.loads(blob) for key, blob in found.fetchall()}
    except duckdb.CatalogException:
        return {}


def _store(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, bytes]]) -> None:
    try:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(
            f"create table if not exists {TABLE} (suite_name varchar primary key, result_key varchar, result blob)"
        )
        con.executemany(f"insert or replace into {TABLE} values (?, ?, ?)", rows)
    except duckdb.Error:
        pass  # a read-only connection: answered, not remembered


def validation_by_period(
    con: duckdb.DuckDBPyConnection,
    seeds_dir: Path,
    suite_name: str,
    frame: pd.DataFrame,
    key_columns: list[str],
    max_rows: int,
    partition: str,
    validate_indexed: ValidateIndexed,
    validate_whole: Validate,
) -> tuple[int, list[Any]]:
    """The suite's answer on `frame`, remembered period by period (`partition` holds the period)."""
    from expectations.suites import ExpectationFailure

    codes, periods = pd.factorize(frame[partition], use_na_sentinel=False)
    order = np.argsort(codes, kind="stable")
    positions = np.split(order, np.cumsum(np.bincount(codes, minlength=len(periods)))[:-1]) if len(frame) else []
    if not positions:
        return validate_whole()
    keys = _period_keys(seeds_dir, suite_name, frame, key_columns, max_rows, list(periods), positions)
    answers = _stored(con, keys)
    missing = [i for i, key in enumerate(keys) if key not in answers]
    if missing:
        fresh = _validate_periods(frame, key_columns, max_rows, positions, codes, missing, validate_indexed)
        if fresh is None:  # a failure that cannot be placed in a period: the whole frame, as before
            return validate_whole()
        _store(con, [(f"{suite_name}@{periods[i]}", keys[i], pickle.dumps(fresh[i], protocol=5)) for i in missing])
        answers.update({keys[i]: fresh[i] for i in missing})
    merged: dict[int, tuple[str, str | None, list[tuple[int, dict[str, Any]]], int]] = {}
    count = 0
    for i, key in enumerate(keys):
        count, found = answers[key]
        for index, label, column, rows, unexpected in found:
            _, _, kept, total = merged.get(index, (label, column, [], 0))
            kept += [(int(positions[i][row[ROW]]), row) for row in rows]
            merged[index] = (label, column, kept, total + unexpected)
    failures = []
    for index in sorted(merged):
        label, column, kept, total = merged[index]
        rows = [{k: v for k, v in row.items() if k != ROW} for _, row in sorted(kept, key=lambda r: r[0])[:max_rows]]
        failures.append(ExpectationFailure(suite_name, label, column, rows, total))
    return count, failures


def _validate_periods(
    frame: pd.DataFrame,
    key_columns: list[str],
    max_rows: int,
    positions: list[np.ndarray],
    codes: np.ndarray,
    missing: list[int],
    validate_indexed: ValidateIndexed,
) -> dict[int, PeriodAnswer] | None:
    """Validate the `missing` periods' rows together and split the failures by period, each period's
    first `max_rows` rows kept with its count (None when a failure has no rows to place, or an
    expectation raised: `validate_indexed` must list every failing row)."""
    where = np.sort(np.concatenate([positions[i] for i in missing]))
    subset = frame.iloc[where].reset_index(drop=True)
    subset[ROW] = where
    local = np.empty(len(frame), dtype=np.int64)
    for rows in positions:
        local[rows] = np.arange(len(rows))
    count, found = validate_indexed(subset, [*key_columns, ROW])
    answers: dict[int, PeriodAnswer] = {i: (count, []) for i in missing}
    for index, failure in found:
        if failure.error or not failure.rows or failure.unexpected_count != len(failure.rows):
            return None
        by_period: dict[int, list[dict[str, Any]]] = {}
        for row in failure.rows:
            at = int(row[ROW])
            by_period.setdefault(int(codes[at]), []).append({**row, ROW: int(local[at])})
        for period, rows in by_period.items():
            answers[period][1].append((index, failure.expectation, failure.column, rows[:max_rows], len(rows)))
    return answers
