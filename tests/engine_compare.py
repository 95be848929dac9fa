"""One mart built by two engines, compared figure by figure (make test-spark).

Rows are matched on every column that is not a number (codes, periods, dates, statuses, names,
flags): those must agree exactly, as must the number of rows under each such key. The numbers
under one key are compared in sorted order and may differ by 1e-9 relative (DuckDB and Spark
round the last decimal of a DECIMAL(38, 12) quotient differently). Dates and timestamps compare as
values (DuckDB adds an interval to a date as a timestamp, Spark as a date).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

REL_TOL = 1e-9
MAX_REPORTED = 5


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _key_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    if isinstance(value, datetime | date):
        return value
    return value


def _numbers_close(left: Any, right: Any, rel_tol: float) -> bool:
    if left is None or right is None:
        return left is None and right is None
    a, b = float(left), float(right)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=0.0) or a == b


def number_columns(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> set[str]:
    """The columns holding a number in at least one row (a column of nulls is a key column)."""
    found: set[str] = set()
    for row in rows:
        found.update(c for c, v in zip(columns, row, strict=True) if _is_number(v))
    return found


def compare_tables(
    name: str,
    left_columns: Sequence[str],
    left_rows: Sequence[Sequence[Any]],
    right_columns: Sequence[str],
    right_rows: Sequence[Sequence[Any]],
    *,
    rel_tol: float = REL_TOL,
) -> list[str]:
    """What differs between two builds of table `name` (empty when they agree)."""
    if sorted(left_columns) != sorted(right_columns):
        return [f"{name}: columns differ: {sorted(set(left_columns) ^ set(right_columns))}"]
    # Reorder the right table's columns as the left's.
    order = [list(right_columns).index(c) for c in left_columns]
    right_rows = [tuple(row[i] for i in order) for row in right_rows]
    columns = list(left_columns)
    numeric = number_columns(columns, left_rows) | number_columns(columns, right_rows)
    key_at = [i for i, c in enumerate(columns) if c not in numeric]
    num_at = [i for i, c in enumerate(columns) if c in numeric]

    def grouped(rows: Iterable[Sequence[Any]]) -> dict[tuple, list[tuple]]:
        groups: dict[tuple, list[tuple]] = defaultdict(list)
        for row in rows:
            groups[tuple(_key_value(row[i]) for i in key_at)].append(tuple(row[i] for i in num_at))
        return groups

    def sort_key(numbers: tuple) -> tuple:
        return tuple((n is None, float(n) if n is not None else 0.0) for n in numbers)

    left, right = grouped(left_rows), grouped(right_rows)
    problems: list[str] = []
    if len(left_rows) != len(right_rows):
        problems.append(f"{name}: {len(left_rows)} rows against {len(right_rows)}")
    key_names = [columns[i] for i in key_at]

    def shown(key: tuple) -> str:
        """The row's first key columns (codes and periods come first in every mart)."""
        return ", ".join(f"{n}={v}" for n, v in list(zip(key_names, key, strict=True))[:4])

    for key in sorted(left.keys() ^ right.keys(), key=repr)[:MAX_REPORTED]:
        side = "only in the first" if key in left else "only in the second"
        problems.append(f"{name}: row {shown(key)} {side}")
    for key in sorted(left.keys() & right.keys(), key=repr):
        a, b = sorted(left[key], key=sort_key), sorted(right[key], key=sort_key)
        if len(a) != len(b):
            problems.append(f"{name}: {shown(key)}: {len(a)} rows against {len(b)}")
            continue
        for row_a, row_b in zip(a, b, strict=True):
            for i, (x, y) in enumerate(zip(row_a, row_b, strict=True)):
                if not _numbers_close(x, y, rel_tol):
                    column = columns[num_at[i]]
                    problems.append(f"{name}: {shown(key)}: {column} {x} against {y}")
        if len(problems) > MAX_REPORTED * 4:
            break
    return problems
