"""Golden tests of the indicator marts: hand-made raw data, a real dbt build, figures checked by hand.

- 23.377 valid invention patents per 10k people from 17,159 patents and a registered population of
  734万 (001 表2 rows 1–2);
- the 十三五 table's verdict (超额完成) for all four rows, from their targets and 2020 actuals;
- the 十四五 cumulative pledge-financing target (60亿元) judged over 2021–2025, at the end and mid-way;
plus region roll-up, missing months, patent-record elements, completeness and the sample flag.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.warehouse_fixtures import RawData, build_warehouse, child_regions, months, query

pytestmark = pytest.mark.slow

AS_OF = "2026-03-01"
COUNTIES = child_regions("350100")  # Fuzhou's county-level units, from the catalogue


def _scenario() -> RawData:
    data = RawData()
    # Fuzzhou's own monthly report for 2020: 17,159 valid invention patents at the end of the year.
    for i, month in enumerate(months(2020)):
        data.submit(
            "ip_creation_monthly",
            "350100.amr",
            month,
            {"valid_invention_patents": 16000 + 96 * i + (103 if i == 11 else 0), "patent_grants": 100},
        )
    # Every Fuzhou county reports January–March 2020 patent grants, except 台江 (350103) in February.
    for county in COUNTIES:
        for month in ("2020-01", "2020-02", "2020-03"):
            if county == "350103" and month == "2020-02":
                continue
            data.submit("ip_creation_monthly", f"{county}.amr", month, {"patent_grants": 10})
    data.submit("statistics_annual", "350100.statistics", "2020", {"population_registered": 734})
    # 质押融资: 31,000万元 a quarter for 2021–2025 = 62亿元 against the 60亿元 target; sample data.
    for year in range(2021, 2026):
        for q in range(1, 5):
            data.submit(
                "pledge_quarterly",
                "350100.financial_office",
                f"{year}Q{q}",
                {"pledge_financing_amount": 31000, "pledge_loans": 5, "pledge_firms": 3},
                is_sample=True,
            )
    # A late resubmission: version 2 of 2021Q1 (the figure stays 31,000) arrives after the due day.
    data.submit(
        "pledge_quarterly",
        "350100.financial_office",
        "2021Q1",
        {"pledge_financing_amount": 31000, "pledge_loans": 6, "pledge_firms": 3},
        version=2,
        received_at=datetime(2021, 6, 1),
        is_sample=True,
    )
    # Patent records for 鼓楼: firm A has 3 grants in 2023, firm B 2; one application is both PCT and abroad.
    records = [
        {
            "applicant_name": "甲公司",
            "application_date": date(2022, 3, 1),
            "grant_date": date(2023, 2, 1),
            "legal_status": "valid",
            "is_service_invention": True,
            "agency_name": "某代理所",
        },
        {
            "applicant_name": "甲公司",
            "application_date": date(2022, 4, 1),
            "grant_date": date(2023, 5, 1),
            "legal_status": "valid",
            "patent_type": "utility",
        },
        {
            "applicant_name": "甲公司",
            "application_date": date(2022, 5, 1),
            "grant_date": date(2023, 8, 1),
            "legal_status": "lapsed",
            "lapse_date": date(2024, 1, 15),
        },
        {
            "applicant_name": "乙公司",
            "application_date": date(2022, 6, 1),
            "grant_date": date(2023, 9, 1),
            "legal_status": "valid",
            "is_hightech_firm": True,
        },
        {
            "applicant_name": "乙公司",
            "application_date": date(2023, 1, 10),
            "grant_date": date(2023, 10, 1),
            "legal_status": "valid",
            "is_hightech_firm": True,
            "is_pct": True,
            "is_abroad": True,
        },
        {
            "applicant_name": "丙大学",
            "applicant_type": "university",
            "application_date": date(2023, 2, 1),
            "is_abroad": True,
        },
    ]
    data.extract(records, as_of=date(2025, 12, 31))
    return data


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("golden") / "warehouse.duckdb"
    return build_warehouse(path, _scenario(), as_of=AS_OF)


def _one(path: Path, sql: str, params: list | None = None) -> dict:
    rows = query(path, sql, params)
    assert len(rows) == 1, rows
    return rows[0]


def test_invention_patents_per_10k_is_23_377(warehouse: Path) -> None:
    row = _one(
        warehouse,
        "select * from marts.fct_indicator_values "
        "where indicator_code = 'invention_patents_per_10k' and region_code = '350100' and period_code = '2020'",
    )
    assert round(row["value"], 3) == Decimal("23.377")
    assert row["value_display"] == Decimal("23.377")
    assert row["numerator_base"] == Decimal(17159) and row["denominator_base"] == Decimal(7340000)
    # A month takes its year's registered population.
    dec = _one(
        warehouse,
        "select value, denominator_period from marts.fct_indicator_values "
        "where indicator_code = 'invention_patents_per_10k' and region_code = '350100' "
        "and period_code = '2020-12'",
    )
    assert round(dec["value"], 3) == Decimal("23.377") and dec["denominator_period"] == "2020"


def test_thirteenth_plan_verdicts_match_table_1(warehouse: Path) -> None:
    rows = query(warehouse, "select * from marts.fct_target_progress where plan_code = 'fz_13th' order by target_no")
    assert len(rows) == 4
    for row in rows:
        assert row["status"] == "已完成", row
        assert row["final_verdict"] == row["reported_verdict"] == "超额完成", row
        assert row["is_final"]
    # Row 1 is judged on the warehouse's own 2020 figure, rows 2–4 on the actuals the seed reports.
    assert rows[0]["current_value_source"] == "data" and round(rows[0]["current_value"], 3) == Decimal("23.377")
    assert [r["current_value_source"] for r in rows[1:]] == ["catalogue"] * 3
    assert [r["current_value"] for r in rows[1:]] == [Decimal("24.67"), Decimal(194), Decimal(255)]


def test_fourteenth_plan_pledge_financing_cumulative(warehouse: Path) -> None:
    row = _one(warehouse, "select * from marts.fct_target_progress where target_code = 'fz_14th.06'")
    assert row["target_kind"] == "cumulative_min"
    assert row["cumulative_value"] == Decimal(62)
    assert row["current_value"] == Decimal(62)
    assert (row["window_periods"], row["window_periods_with_value"]) == (20, 20)
    assert row["status"] == "已完成" and row["final_verdict"] == "超额完成"
    assert row["completion_pct"] == Decimal("103.333333")
    assert row["is_sample"]
    # Judged at the end of 2023: 12 quarters × 3.1亿元 = 37.2亿元, 62% done after 60% of the time.
    mid = _one(
        warehouse,
        "select * from marts.fct_target_progress_history "
        "where target_code = 'fz_14th.06' and evaluation_date = date '2023-12-31'",
    )
    assert mid["current_value"] == Decimal("37.2")
    assert mid["completion_pct"] == Decimal(62)
    assert mid["status"] == "进度正常" and mid["final_verdict"] is None
    assert mid["time_elapsed_pct"] == Decimal(100 * 1095 / 1826).quantize(Decimal("0.000001"))


def test_pledge_units_are_exact(warehouse: Path) -> None:
    row = _one(
        warehouse,
        "select value, ytd_value, yoy_pct from marts.fct_indicator_values "
        "where indicator_code = 'pledge_financing_amount' and region_code = '350100' and period_code = '2022'",
    )
    assert row["value"] == Decimal("12.4")  # 4 × 31,000万元 = 12.4亿元
    assert row["yoy_pct"] == 0
    q = _one(
        warehouse,
        "select value, ytd_value from marts.fct_indicator_values "
        "where indicator_code = 'pledge_financing_amount' and region_code = '350100' and period_code = '2022Q3'",
    )
    assert (q["value"], q["ytd_value"]) == (Decimal("3.1"), Decimal("9.3"))


def test_every_target_has_progress_with_a_known_status(warehouse: Path) -> None:
    targets = _one(warehouse, "select count(*) as n from catalogue.plan_targets")["n"]
    rows = query(warehouse, "select target_code, status from marts.fct_target_progress")
    assert len(rows) == targets
    assert {r["status"] for r in rows} <= {"已完成", "进度正常", "需加快", "滞后", "数据不足"}
    unknown = query(
        warehouse, "select status, status_note from marts.fct_target_progress where target_value_status = 'unknown'"
    )
    assert unknown and all(r["status"] == "数据不足" and "目标值未知" in r["status_note"] for r in unknown)


def test_city_keeps_its_own_report_and_exposes_the_county_sum(warehouse: Path) -> None:
    jan = _one(
        warehouse,
        "select * from marts.fct_element_values "
        "where element_code = 'patent_grants' and region_code = '350100' and period_code = '2020-01'",
    )
    assert jan["value"] == 100 and jan["value_source"] == "reported"
    assert jan["children_sum"] == 130 and jan["children_expected"] == 13  # Σ of 13 counties × 10
    assert jan["reported_minus_children"] == -30
    feb = _one(
        warehouse,
        "select * from marts.fct_element_values "
        "where element_code = 'patent_grants' and region_code = '350100' and period_code = '2020-02'",
    )
    assert feb["children_sum"] is None and feb["children_partial_sum"] == 120 and feb["children_present"] == 12


def test_missing_month_makes_the_quarter_incomplete(warehouse: Path) -> None:
    q1 = _one(
        warehouse,
        "select * from marts.fct_element_values "
        "where element_code = 'patent_grants' and region_code = '350103' and period_code = '2020Q1'",
    )
    assert q1["value"] is None and not q1["is_complete"]
    assert q1["reported_partial_value"] == 20 and q1["reported_inputs_present"] == 2
    assert "2" in q1["incomplete_reason"] and "3" in q1["incomplete_reason"]
    full = _one(
        warehouse,
        "select value from marts.fct_element_values "
        "where element_code = 'patent_grants' and region_code = '350102' and period_code = '2020Q1'",
    )
    assert full["value"] == 30


def test_elements_from_patent_records(warehouse: Path) -> None:
    def value(element: str, region: str, period: str) -> Decimal | None:
        return _one(
            warehouse,
            "select value from marts.fct_element_values where element_code = ? and region_code = ? and period_code = ?",
            [element, region, period],
        )["value"]

    assert value("firms_3plus_grants", "350102", "2023") == 1  # 甲 has 3 grants, 乙 2
    assert value("firms_3plus_grants", "350100", "2023") == 1
    assert value("firms_3plus_grants", "350103", "2023") == 0
    assert value("abroad_or_pct_applications", "350102", "2023") == 2  # PCT and abroad counted once
    assert value("service_invention_grants", "350102", "2023") == 1
    assert value("agency_filed_applications", "350102", "2022") == 1
    assert value("hightech_firms_with_patents", "350102", "2023") == 1
    # Typed-in elements keep the record figure beside the (missing) submission, never in its place.
    grants = _one(
        warehouse,
        "select value, records_value from marts.fct_element_values "
        "where element_code = 'patent_grants' and region_code = '350102' and period_code = '2023'",
    )
    assert grants["value"] is None and grants["records_value"] == 5


def test_completeness_counts_late_and_missing(warehouse: Path) -> None:
    late = _one(
        warehouse,
        "select * from marts.fct_submission_completeness "
        "where form_code = 'pledge_quarterly' and period_code = '2021Q1'",
    )
    assert late["submission_status"] == "按时" and late["latest_version"] == 2
    missing = _one(
        warehouse,
        "select * from marts.fct_submission_completeness "
        "where form_code = 'ip_creation_monthly' and department_code = '350103.amr' "
        "and period_code = '2020-02'",
    )
    assert missing["submission_status"] == "缺报" and missing["is_expected"]
    summary = query(warehouse, "select * from marts.fct_submission_completeness_summary")
    assert summary
    for row in summary:
        assert row["received"] <= row["expected"]
        assert row["completeness_pct"] is None or 0 <= row["completeness_pct"] <= 100
        assert row["timeliness_pct"] is None or 0 <= row["timeliness_pct"] <= 100
    city = _one(
        warehouse,
        "select * from marts.fct_submission_completeness_summary "
        "where form_code = 'ip_creation_monthly' and region_code = '350100' and period_code = '2020-02'",
    )
    assert (city["expected"], city["received"], city["missing"]) == (14, 13, 1)


def test_sample_flag_travels_to_every_derived_row(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select distinct is_sample from marts.fct_indicator_values "
        "where indicator_code = 'pledge_financing_amount' and region_code = '350100'",
    )
    assert rows == [{"is_sample": True}]
    rows = query(
        warehouse,
        "select distinct is_sample from marts.fct_indicator_values "
        "where indicator_code = 'invention_patents_per_10k' and region_code = '350100'",
    )
    assert rows == [{"is_sample": False}]
