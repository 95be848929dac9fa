"""GE answers remembered period by period (expectations/ge_cache.py) are the answers of one
validation of the whole frame: the same failing expectations in the same order, the same rows in
frame order, cut at the same `max_rows`, the same counts; after one period changes, only that
period is validated again, and the answer is still the whole frame's."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from core.settings import SEEDS_DIR
from expectations.context import CheckContext
from expectations.suites import PARTITION_COLUMN, ROW_KEYS, Validator, form_suite_expectations
from sources.catalogue import Catalogue
from sources.periods import Period

CATALOGUE = Catalogue(SEEDS_DIR)
FORM = "ip_creation_monthly"
SUITE = f"form_{FORM}"
KEYS = ROW_KEYS["form_values"]


def form_values(periods: int = 8) -> pd.DataFrame:
    """A month-by-month form_values frame of the form, every element, for three departments."""
    elements = [r["element_code"] for r in CATALOGUE.rows("form_elements") if r["form_code"] == FORM]
    period = Period.parse("2026-01")
    rows: list[dict[str, Any]] = []
    for _ in range(periods):
        for n, (department, region) in enumerate(
            (("350102.amr", "350102"), ("350103.amr", "350103"), ("350100.amr", "350100"))
        ):
            sid = f"S{period.code}{n}"
            for i, element in enumerate(elements):
                value = float(10 * (i + 1) + n)
                rows.append(
                    {
                        "submission_id": sid,
                        "version": 1,
                        "form_code": FORM,
                        "department_code": department,
                        "region_code": region,
                        "period_code": period.code,
                        "period_type": "month",
                        "element_code": element,
                        "value": value,
                        "value_fraction": value - np.floor(value),
                        "sheet": "表",
                        "cell": f"D{7 + i}",
                        "period_end": pd.Timestamp(period.end),
                    }
                )
        period = period.next()
    frame = pd.DataFrame(rows)
    return frame.sample(frac=1.0, random_state=7).reset_index(drop=True)  # periods interleaved, as a query returns


def spoil(frame: pd.DataFrame, period: str, how: str, count: int) -> pd.DataFrame:
    out = frame.copy()
    rows = out.index[out["period_code"] == period][:count]
    if how == "negative":
        out.loc[rows, "value"] = -5.0
    elif how == "fraction":
        out.loc[rows, "value"] += 0.5
        out.loc[rows, "value_fraction"] = 0.5
    elif how == "unknown_region":
        out.loc[rows, "region_code"] = "999999"
    elif how == "blank_required":
        out.loc[rows, "value"] = np.nan
        out.loc[rows, "value_fraction"] = np.nan
    elif how == "duplicate":
        out = pd.concat([out, out.loc[rows]], ignore_index=True)
    return out


def whole(frame: pd.DataFrame, max_rows: int) -> str:
    """One validation of the whole frame, as text (a blank value is NaN, which equals nothing)."""
    return repr(Validator().validate(SUITE, form_suite_expectations(CATALOGUE, FORM), frame, KEYS, max_rows))


class Counting(Validator):
    """Counts the rows it is given, to see which periods were validated again."""

    rows_validated = 0

    def validate_indexed(self, suite_name, expectations, frame, key_columns, max_rows):  # type: ignore[override]
        Counting.rows_validated += len(frame)
        return super().validate_indexed(suite_name, expectations, frame, key_columns, max_rows)


def by_period(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, max_rows: int) -> str:
    ctx = CheckContext(con=con, catalogue=CATALOGUE, as_of=date(2026, 11, 21))
    ctx._validator = Counting()
    expectations = lambda: form_suite_expectations(CATALOGUE, FORM)  # noqa: E731
    return repr(ctx.validate(SUITE, expectations, frame, KEYS, max_rows, PARTITION_COLUMN))


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        yield connection


def test_clean_data_has_no_failures_either_way(con):
    frame = form_values()
    assert by_period(con, frame, 500) == whole(frame, 500) == "(15, [])"


@pytest.mark.parametrize("max_rows", [2, 500])
def test_failures_in_several_periods_merge_as_one_validation_gives_them(con, max_rows):
    frame = form_values()
    for period, how, count in (
        ("2026-03", "negative", 3),
        ("2026-05", "negative", 2),
        ("2026-05", "fraction", 2),
        ("2026-02", "unknown_region", 4),
        ("2026-07", "blank_required", 3),
        ("2026-06", "duplicate", 2),
    ):
        frame = spoil(frame, period, how, count)
    count, failures = Validator().validate(SUITE, form_suite_expectations(CATALOGUE, FORM), frame, KEYS, max_rows)
    assert len(failures) >= 4 and any(f.unexpected_count > len(f.rows) for f in failures) == (max_rows == 2)
    expected = repr((count, failures))
    assert by_period(con, frame, max_rows) == expected, "first time: every period validated, split, merged"
    assert by_period(con, frame, max_rows) == expected, "second time: every period from the store"


def test_a_changed_period_alone_is_validated_again(con):
    frame = spoil(form_values(), "2026-03", "negative", 3)
    by_period(con, frame, 2)
    changed = spoil(frame, "2026-06", "fraction", 4)
    Counting.rows_validated = 0
    assert by_period(con, changed, 2) == whole(changed, 2)
    assert Counting.rows_validated == (changed["period_code"] == "2026-06").sum()
    Counting.rows_validated = 0
    assert by_period(con, changed, 2) == whole(changed, 2)
    assert Counting.rows_validated == 0


def test_a_blank_period_is_a_period_of_its_own(con):
    frame = form_values(3)
    frame.loc[frame.index[:5], "period_code"] = None
    assert by_period(con, frame, 500) == whole(frame, 500)
