"""Period codes: one parser for CLI arguments, form metadata and CSV columns."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sources.periods import Period, PeriodError, period_range


@pytest.mark.parametrize(
    ("raw", "kind", "start", "end", "label"),
    [
        ("2026-10", "month", date(2026, 10, 1), date(2026, 10, 31), "2026年10月"),
        ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29), "2024年2月"),
        ("2026Q3", "quarter", date(2026, 7, 1), date(2026, 9, 30), "2026年第3季度"),
        ("2026q4", "quarter", date(2026, 10, 1), date(2026, 12, 31), "2026年第4季度"),
        ("2025", "year", date(2025, 1, 1), date(2025, 12, 31), "2025年"),
        (" 2026－10 ", "month", date(2026, 10, 1), date(2026, 10, 31), "2026年10月"),
    ],
)
def test_parse(raw, kind, start, end, label):
    p = Period.parse(raw)
    assert (p.period_type, p.start, p.end, p.label) == (kind, start, end, label)


@pytest.mark.parametrize("raw", ["", "2026-13", "2026-00", "2026Q5", "26-10", "2026/10", "二〇二六", "0000", "2026-1"])
def test_malformed(raw):
    with pytest.raises(PeriodError, match="无法识别"):
        Period.parse(raw)


def test_type_must_match_the_form():
    with pytest.raises(PeriodError, match="2026Q3"):
        Period.parse("2026-09", "quarter")


def test_due_and_ended():
    p = Period.parse("2026-10")
    assert p.due(10) == date(2026, 11, 10)
    assert p.has_ended(date(2026, 11, 1)) and not p.has_ended(date(2026, 10, 31))


def test_range_and_neighbours():
    quarters = [p.code for p in period_range(Period.parse("2025Q4"), Period.parse("2026Q2"))]
    assert quarters == ["2025Q4", "2026Q1", "2026Q2"]
    assert Period.parse("2026-01").previous().code == "2025-12"
    assert Period.parse("2026Q1").same_period_last_year().code == "2025Q1"
    assert [m.code for m in Period.parse("2026Q3").months()] == ["2026-07", "2026-08", "2026-09"]


@given(st.integers(1950, 2100), st.integers(1, 12))
def test_month_roundtrip(year, month):
    p = Period.of("month", year, month)
    assert Period.parse(p.code) == p
    assert p.next().previous() == p
    assert (p.next().start - p.end).days == 1
