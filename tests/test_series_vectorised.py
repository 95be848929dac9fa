"""The series rules computed on whole columns (expectations/series_checks.py) give exactly the outcomes
of the figure-by-figure definition (tests/series_reference.py): the same status, counts, failures in
the same order with the same messages, and the same note on superseded versions. On the sample and
on crafted series: outliers, unit slips, stocks and flows, empty, one point, ties, zeros, negatives,
blanks, a short or long history, and on random series (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.settings import SEEDS_DIR
from expectations import series_checks
from expectations.context import CheckContext
from expectations.evaluate import evaluate_rule
from expectations.results import CheckOutcome
from expectations.rules import Rule, rules_by_code
from sources.catalogue import Catalogue
from sources.periods import Period
from tests import series_reference

AS_OF = date(2026, 11, 21)
CATALOGUE = Catalogue(SEEDS_DIR)
REFERENCE = {"outlier": series_reference.check_outliers, "unit_slip": series_reference.check_unit_slip}
VECTORISED = {"outlier": series_checks.check_outliers, "unit_slip": series_checks.check_unit_slip}
COLUMNS = [
    "form_code",
    "department_code",
    "region_code",
    "period_code",
    "period_type",
    "element_code",
    "value",
    "submission_id",
    "version",
    "cell",
    "aggregation",
    "unit_code",
    "period_end",
]
SUPERSEDED = ["form_code", "department_code", "period_code", "element_code", "version", "submission_id", "value"]
# Elements of the catalogue by aggregation and unit, so messages name real elements.
FLOW_MONEY = ("ip_special_fund", "flow", "ten_thousand_yuan")
FLOW_COUNT = ("patent_applications", "flow", "item")
STOCK_COUNT = ("valid_invention_patents", "stock", "item")


def rule(code: str, **params: str) -> Rule:
    found = rules_by_code()[code]
    return replace(found, params={**found.params, **params}) if params else found


def months(first: str, count: int) -> list[str]:
    period = Period.parse(first)
    out = []
    for _ in range(count):
        out.append(period.code)
        period = period.next()
    return out


def series(
    values: list[float | None],
    *,
    element: tuple[str, str, str] = FLOW_COUNT,
    department: str | None = "350102.amr",
    first: str = "2024-01",
    periods: list[str] | None = None,
) -> list[dict[str, Any]]:
    code, aggregation, unit = element
    codes = periods or months(first, len(values))
    return [
        {
            "form_code": "ip_creation_monthly",
            "department_code": department,
            "region_code": "350102",
            "period_code": period,
            "period_type": "month",
            "element_code": code,
            "value": value,
            "submission_id": f"S{department}{period}{code}",
            "version": 1,
            "cell": "D7",
            "aggregation": aggregation,
            "unit_code": unit,
            "period_end": pd.Timestamp(Period.parse(period).end),
        }
        for period, value in zip(codes, values, strict=True)
    ]


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["value"] = out["value"].astype(float)
    out["period_end"] = pd.to_datetime(out["period_end"])
    return out


def outcomes(
    current: pd.DataFrame, code: str, superseded: pd.DataFrame | None = None, **params: str
) -> tuple[CheckOutcome, CheckOutcome]:
    """The rule's outcome by the reference and by the vectorised implementation, on the same frames."""
    old = superseded if superseded is not None else pd.DataFrame(columns=SUPERSEDED)
    found = []
    for registry in (REFERENCE, VECTORISED):
        ctx = CheckContext(con=None, catalogue=CATALOGUE, as_of=AS_OF)  # type: ignore[arg-type]
        ctx._frames.update(current_values=current.copy(), superseded_values=old.copy())
        found.append(evaluate_rule(ctx, rule(code, **params), registry))
    return found[0], found[1]


def assert_same(current: pd.DataFrame, superseded: pd.DataFrame | None = None, **params: str) -> None:
    for code in ("series_outlier_mad", "unit_slip"):
        expected, actual = outcomes(current, code, superseded, **params)
        assert actual == expected, (code, expected, actual)


def failures(current: pd.DataFrame, code: str, **params: str) -> list[tuple[str | None, str | None]]:
    expected, actual = outcomes(current, code, **params)
    assert actual == expected
    return [(f.period_code, f.subject_code) for f in actual.failures]


# --- crafted series --------------------------------------------------------------------------------
STEADY = [100.0 + (i % 5) for i in range(34)]


def test_an_outlier_is_found_by_both_with_the_same_message():
    values = [*STEADY[:-1], 900.0]
    assert failures(frame(series(values)), "series_outlier_mad") == [("2026-10", "patent_applications")]


def test_a_unit_slip_is_named_by_both_and_left_out_of_the_outliers():
    values = [50.0 + i for i in range(33)] + [820_000.0]  # 82 万元 typed in 元
    current = frame(series(values, element=FLOW_MONEY))
    assert failures(current, "unit_slip") == [("2026-10", "ip_special_fund")]
    assert failures(current, "series_outlier_mad") == []


def test_a_stock_jump_is_judged_on_its_change():
    values = [1000.0 + 10 * i for i in range(33)] + [3000.0]
    current = frame(series(values, element=STOCK_COUNT))
    assert failures(current, "series_outlier_mad") == [("2026-10", "valid_invention_patents")]


def test_no_figure_in_the_window_is_no_data_for_both():
    current = frame(series(STEADY[:10], first="2019-01"))
    for code in ("series_outlier_mad", "unit_slip"):
        expected, actual = outcomes(current, code)
        assert actual == expected and actual.status == "error"


def test_an_empty_frame_is_no_data_for_both():
    current = frame([])
    for code in ("series_outlier_mad", "unit_slip"):
        expected, actual = outcomes(current, code)
        assert actual == expected and actual.status == "error" and "没有可检查的数据" in actual.message


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param(series([5.0], first="2026-10"), id="one point"),
        pytest.param(series([7.0, 7.0], first="2026-09"), id="two points"),
        pytest.param(series([100.0] * 30 + [100.0, 130.0, 100.0, 100.0]), id="flat history, MAD 0"),
        pytest.param(series([0.0] * 33 + [50.0]), id="zeros"),
        pytest.param(series([0.0] * 20 + [3.0] * 13 + [0.0]), id="a zero after figures"),
        pytest.param(series([-5.0, 3.0, -1.0] * 11 + [400.0]), id="negatives"),
        pytest.param(series([None, 100.0, None] * 11 + [900.0]), id="blank values"),
        pytest.param(series([*STEADY[:-1], 900.0], department=None), id="blank department"),
        pytest.param(series(STEADY, element=STOCK_COUNT), id="steady stock"),
        pytest.param(series([1.0, 2.0] * 17, element=STOCK_COUNT), id="small stock"),
        pytest.param(series([*STEADY[:-1], 0.0], element=FLOW_MONEY), id="money to zero"),
        pytest.param(series([*STEADY[:-1], 1.0], element=FLOW_MONEY), id="money in 亿元"),
        pytest.param(series([3.0] * 40 + [9_000.0], first="2023-04"), id="longer than the history"),
        pytest.param(
            series(
                [1000.0, 5000.0] + [5000.0 + 10 * i for i in range(37)] + [5600.0], element=STOCK_COUNT, first="2023-07"
            ),
            id="a stock longer than the history",
        ),
        pytest.param(
            series([100.0, 101.0, 5000.0, 99.0] * 3, periods=["2026-0" + str(m) for m in (1, 2, 3)] * 4),
            id="ties in period end",
        ),
        pytest.param(
            series([*STEADY[:-1], 900.0])
            + series([*STEADY[:-1], 40.0], element=STOCK_COUNT)
            + series([*STEADY[:-1], 1020000.0], element=FLOW_MONEY, department="350102.finance"),
            id="three series",
        ),
    ],
)
def test_edge_cases_give_the_same_outcomes(rows):
    assert_same(frame(rows))


def test_a_figure_without_a_period_end_counts_as_in_the_window():
    rows = series([*STEADY[:-1], 900.0])
    rows[-1]["period_end"] = None
    assert_same(frame(rows))


def test_other_parameters_give_the_same_outcomes():
    current = frame(series([*STEADY[:-3], 900.0, 100.0, 101.0]) + series([*STEADY[:-1], 0.5], element=STOCK_COUNT))
    assert_same(current, history_periods="3", min_history="2")
    assert_same(current, history_periods="0")
    assert_same(current, history_periods="80", min_abs_change="0", min_history_median="0")


def test_an_unknown_unit_is_the_same_error():
    rows = series([*STEADY[:-1], 900.0])
    for row in rows:
        row["unit_code"] = "no_such_unit"
    for code in ("series_outlier_mad", "unit_slip"):
        expected, actual = outcomes(frame(rows), code)
        assert actual == expected and actual.status == "error" and "no_such_unit" in actual.message


def test_the_superseded_note_is_the_same():
    current = frame(series(STEADY))
    old = pd.DataFrame(
        [
            ["ip_creation_monthly", "350102.amr", "2026-10", "patent_applications", 1, "S1", 900.0],
            ["ip_creation_monthly", "350102.amr", "2026-09", "patent_applications", 1, "S2", 101.0],
            ["ip_creation_monthly", "350102.amr", "2026-08", "patent_applications", 1, "S3", None],
            ["ip_creation_monthly", "350103.amr", "2026-10", "patent_applications", 1, "S4", 900.0],
        ],
        columns=SUPERSEDED,
    )
    expected, actual = outcomes(current, "series_outlier_mad", old)
    assert actual == expected and "已被更正版本取代的离群值" in actual.message


# --- random series ---------------------------------------------------------------------------------
LEVELS = st.one_of(
    st.sampled_from([0.0, 1.0, 2.0, 100.0, 100.0, 101.0, 1e6, -4.0, 0.5, None]),
    st.floats(min_value=-10, max_value=1e7, allow_nan=False, allow_infinity=False),
)


@st.composite
def random_frames(draw: st.DrawFn) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for n in range(draw(st.integers(1, 4))):
        length = draw(st.integers(0, 30))
        values = draw(st.lists(LEVELS, min_size=length, max_size=length))
        first = draw(st.sampled_from(["2023-06", "2024-01", "2024-12", "2025-09"]))
        element = draw(st.sampled_from([FLOW_MONEY, FLOW_COUNT, STOCK_COUNT]))
        department = draw(st.sampled_from(["350102.amr", "350103.amr", None]))
        periods = months(first, length)
        if length and draw(st.booleans()):  # a repeated period: a tie in period end
            periods[draw(st.integers(0, length - 1))] = periods[0]
        rows += series(values, element=element, department=department, periods=periods)
        if n and draw(st.booleans()):
            rows[-1]["aggregation"] = None
    return frame(rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_frames(), st.sampled_from(["36", "3", "6", "7"]))
def test_random_series_give_the_same_outcomes(current, history_periods):
    assert_same(current, history_periods=history_periods, min_history=str(min(6, int(history_periods))))


# --- the sample --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_sample_gives_the_same_outcomes(tmp_path_factory: pytest.TempPathFactory):
    from expectations import frames
    from tests.sample_cache import built_sample

    home = built_sample(tmp_path_factory)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        current, old = frames.current_values(con), frames.superseded_values(con)
    for code in ("series_outlier_mad", "unit_slip"):
        expected, actual = outcomes(current, code, old)
        assert actual == expected, code
        assert actual.checked_rows and actual.checked_rows > 1000
    assert outcomes(current, "unit_slip", old)[1].failures, "the sample's planted unit slip (永泰 in 元) is found"
