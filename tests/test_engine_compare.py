"""The figure-by-figure comparison make test-spark relies on: it must see every kind of difference."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from tests.engine_compare import compare_tables

COLUMNS = ["region_code", "period_code", "status", "value", "due_on"]
ROWS = [
    ("350102", "2026-10", "正常", Decimal("12.500000000000"), date(2026, 11, 15)),
    ("350102", "2026-09", "滞后", Decimal("3.000000000000"), date(2026, 10, 15)),
    ("350103", "2026-10", "正常", None, date(2026, 11, 15)),
]


def _compare(other: list[tuple], columns: list[str] = COLUMNS) -> list[str]:
    return compare_tables("fct_x", COLUMNS, ROWS, columns, other)


def test_same_rows_in_another_order_and_column_order_agree() -> None:
    reordered = [(r[3], r[0], r[1], r[2], r[4]) for r in reversed(ROWS)]
    assert _compare(reordered, ["value", "region_code", "period_code", "status", "due_on"]) == []


def test_numbers_within_1e_9_relative_agree_and_beyond_do_not() -> None:
    close = [(*ROWS[0][:3], Decimal("12.500000000001"), *ROWS[0][4:]), *ROWS[1:]]
    assert _compare(close) == []
    far = [(*ROWS[0][:3], Decimal("12.5001"), *ROWS[0][4:]), *ROWS[1:]]
    assert any("value 12.500000000000 against 12.5001" in p for p in _compare(far))


def test_a_status_differing_is_a_missing_row_on_each_side() -> None:
    other = [(*ROWS[0][:2], "滞后", *ROWS[0][3:]), *ROWS[1:]]
    problems = _compare(other)
    assert any("only in the first" in p and "正常" in p for p in problems)
    assert any("only in the second" in p for p in problems)


def test_null_against_zero_and_a_missing_row_are_caught() -> None:
    zero = [*ROWS[:2], (*ROWS[2][:3], Decimal(0), *ROWS[2][4:])]
    assert any("value None against 0" in p for p in _compare(zero))
    assert any("3 rows against 2" in p for p in _compare(ROWS[:2]))


def test_a_duplicated_row_is_caught_even_when_the_keys_match() -> None:
    assert any(
        "4 rows against 3" in p or "1 rows against 2" in p
        for p in compare_tables("fct_x", COLUMNS, ROWS, COLUMNS, [*ROWS, ROWS[1]])
    )


def test_a_date_and_a_midnight_timestamp_of_the_same_day_agree_but_columns_must_match() -> None:
    as_timestamps = [(*r[:4], datetime.combine(r[4], datetime.min.time())) for r in ROWS]
    assert _compare(as_timestamps) == []
    assert "columns differ" in _compare(ROWS, [*COLUMNS[:4], "due_date"])[0]
