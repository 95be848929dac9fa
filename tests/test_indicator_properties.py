"""Property tests (hypothesis) of the aggregation rules, on the real dbt models.

dbt builds every intermediate model and mart as a view once (var all_views); each example then
rewrites the raw tables and reads the views, so an example costs a query, not a build.
Invariants: a quarter's flow equals the sum of its months (and is missing when a month is);
a year's stock equals December's; 同比 of a constant series is 0; a city without its own report
equals Σ of its counties for additive elements.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.warehouse_fixtures import RawData, child_regions, months, run_dbt

pytestmark = pytest.mark.slow

AS_OF = "2024-03-01"
FUZHOU_COUNTIES = child_regions("350100")  # Fuzhou's county-level units, from the catalogue
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

amounts = st.integers(min_value=0, max_value=10**9)


@pytest.fixture(scope="module")
def views(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("props") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        RawData().write(con)
    run_dbt(path, path.parent, as_of=AS_OF, command="seed")
    run_dbt(path, path.parent, as_of=AS_OF, command="run", extra_vars={"all_views": True})
    return path


def _load(path: Path, data: RawData) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    data.write(con)
    return con


def _value(con: duckdb.DuckDBPyConnection, table: str, code_column: str, code: str, region: str, period: str):
    row = con.execute(
        f"select value from marts.{table} where {code_column} = ? and region_code = ? and period_code = ?",
        [code, region, period],
    ).fetchone()
    assert row is not None, (table, code, region, period)
    return row[0]


@SETTINGS
@given(values=st.lists(st.one_of(st.none(), amounts), min_size=12, max_size=12))
def test_quarter_flow_is_the_sum_of_its_months(views: Path, values: list[int | None]) -> None:
    data = RawData()
    # December 2021 opens the element's period range even when 2022 has no figure at all.
    data.submit("ip_creation_monthly", "350102.amr", "2021-12", {"patent_grants": 1})
    for month, value in zip(months(2022), values, strict=True):
        if value is not None:
            data.submit("ip_creation_monthly", "350102.amr", month, {"patent_grants": value})
    with _load(views, data) as con:
        for q in range(4):
            part = values[3 * q : 3 * q + 3]
            got = _value(con, "fct_element_values", "element_code", "patent_grants", "350102", f"2022Q{q + 1}")
            if any(v is None for v in part):
                assert got is None
            else:
                assert got == Decimal(sum(part))
        year = _value(con, "fct_element_values", "element_code", "patent_grants", "350102", "2022")
        assert year == (None if None in values else Decimal(sum(values)))


@SETTINGS
@given(values=st.lists(amounts, min_size=12, max_size=12), blank_december=st.booleans())
def test_year_stock_is_decembers_value(views: Path, values: list[int], blank_december: bool) -> None:
    data = RawData()
    for i, (month, value) in enumerate(zip(months(2022), values, strict=True)):
        if i == 11 and blank_december:
            data.submit("ip_creation_monthly", "350102.amr", month, {"valid_invention_patents": None})
        else:
            data.submit("ip_creation_monthly", "350102.amr", month, {"valid_invention_patents": value})
    with _load(views, data) as con:
        year = _value(con, "fct_element_values", "element_code", "valid_invention_patents", "350102", "2022")
        q4 = _value(con, "fct_element_values", "element_code", "valid_invention_patents", "350102", "2022Q4")
        q2 = _value(con, "fct_element_values", "element_code", "valid_invention_patents", "350102", "2022Q2")
    expected = None if blank_december else Decimal(values[11])
    assert year == expected and q4 == expected
    assert q2 == Decimal(values[5])


@SETTINGS
@given(value=st.integers(min_value=1, max_value=10**8))
def test_year_on_year_of_a_constant_series_is_zero(views: Path, value: int) -> None:
    data = RawData()
    for month in months(2022) + months(2023):
        data.submit(
            "ip_creation_monthly", "350102.amr", month, {"patent_grants": value, "valid_invention_patents": value}
        )
    with _load(views, data) as con:
        rows = con.execute(
            "select indicator_code, period_code, yoy_pct, yoy_change, ytd_yoy_pct from marts.fct_indicator_values "
            "where indicator_code in ('patent_grants', 'valid_invention_patents') and region_code = '350102' "
            "and period_year = 2023"
        ).fetchall()
    assert len(rows) == 2 * 17
    for _, _, yoy_pct, yoy_change, ytd_yoy_pct in rows:
        assert yoy_pct == 0 and yoy_change == 0 and ytd_yoy_pct == 0


@SETTINGS
@given(
    values=st.lists(amounts, min_size=len(FUZHOU_COUNTIES), max_size=len(FUZHOU_COUNTIES)),
    stock=st.lists(amounts, min_size=len(FUZHOU_COUNTIES), max_size=len(FUZHOU_COUNTIES)),
)
def test_city_is_the_sum_of_its_counties(views: Path, values: list[int], stock: list[int]) -> None:
    data = RawData()
    for county, flow_value, stock_value in zip(FUZHOU_COUNTIES, values, stock, strict=True):
        data.submit(
            "ip_creation_monthly",
            f"{county}.amr",
            "2023-12",
            {"patent_applications": flow_value, "valid_invention_patents": stock_value},
        )
    with _load(views, data) as con:
        flow = _value(con, "fct_element_values", "element_code", "patent_applications", "350100", "2023-12")
        held = _value(con, "fct_element_values", "element_code", "valid_invention_patents", "350100", "2023-12")
        indicator = _value(con, "fct_indicator_values", "indicator_code", "patent_applications", "350100", "2023-12")
    assert flow == Decimal(sum(values)) and indicator == Decimal(sum(values))
    assert held == Decimal(sum(stock))
