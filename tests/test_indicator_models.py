"""Golden tests of the indicator marts: hand-made raw data, a real dbt build, figures checked by hand.

- 23.377 valid invention patents per 10k people from 17,159 patents and a registered population of
  734万 (001 表2 rows 1–2);
- the 十三五 table's verdict (超额完成) for all four rows, from their targets and 2020 actuals;
- the 十四五 cumulative pledge-financing target (60亿元) judged over 2021–2025, at the end and mid-way;
- 鲤城 (002, window 2018-04 → 2021-04, judged after its end): growth from a 2017 baseline that only
  patent records hold, the fund share judged each year against 鼓楼's pooled share, and targets
  whose data stop before the target date (数据不足 naming the missing period);
- the CNIPA bulletin prevailing over the department's figure where the catalogue says so (003);
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
    # 鲤城 (002): 100 applications filed in 2017, 50 of them granted in 2017, known only from records;
    # service inventions are 4 in 5 applications every month from 2018 on.
    records += [
        {
            "region_code": "350502",
            "applicant_name": "丁公司",
            "application_date": date(2017, 1 + i % 12, 1),
            "grant_date": date(2017, 12, 1) if i < 50 else None,
            "patent_type": "utility",
        }
        for i in range(100)
    ]
    records += [
        {
            "region_code": "350502",
            "applicant_name": "丁公司",
            "application_date": date(year, month, 1),
            "is_service_invention": i < 4,
        }
        for year in (2018, 2019, 2020, 2021)
        for month in range(1, 13)
        for i in range(5)
    ]
    data.extract(records, as_of=date(2025, 12, 31))
    _licheng_and_gulou(data)
    return data


def _licheng_and_gulou(data: RawData) -> None:
    # 鲤城's monthly form for 2018-01 … 2020-12 only (nothing for 2021-01 … 04, inside the window):
    # applications 120 / 140 / 160 a year, grants 55 / 58 / 60, valid invention patents 300 at end-2020.
    # For 2017 the form carries grants only (4 a month = 48, against 50 in the records).
    for month in months(2017):
        data.submit("ip_creation_monthly", "350502.ip_office", month, {"patent_grants": 4})
    for year, applications, grants in ((2018, 120, 55), (2019, 140, 58), (2020, 160, 60)):
        for i, month in enumerate(months(year)):
            data.submit(
                "ip_creation_monthly",
                "350502.ip_office",
                month,
                {
                    "patent_applications": applications // 12 + (1 if i < applications % 12 else 0),
                    "patent_grants": grants // 12 + (1 if i < grants % 12 else 0),
                    "valid_invention_patents": 300,
                },
            )
    data.submit("statistics_annual", "350502.statistics", "2020", {"population_registered": 25})
    # Fund ÷ budget: 0.13%, 0.11%, 0.15% (Σ 0.13% > 0.12%, but 2019 fails a yearly test).
    for year, fund in ((2018, 130), (2019, 110), (2020, 150)):
        data.submit(
            "finance_annual",
            "350502.finance",
            str(year),
            {"ip_special_fund": fund, "general_budget_expenditure": 100000},
        )
    # 鼓楼: 0.3%, 0.1%, 0.3% in 2022–2024: pooled Σ 70 ÷ 30,000 = 0.2333% > 0.2% though 2023 alone is not.
    for year, fund in ((2022, 30), (2023, 10), (2024, 30)):
        data.submit(
            "finance_annual",
            "350102.finance",
            str(year),
            {"ip_special_fund": fund, "general_budget_expenditure": 10000},
        )
    # Valid trademarks at end-2025: the department reports 39.9万件, the CNIPA bulletin 40.1万件
    # (003 indicator note 4: the bulletin prevails); patent grants in 2020Q1 differ too, without a preference.
    for month in ("2025-10", "2025-11", "2025-12"):
        data.submit("ip_creation_monthly", "350100.amr", month, {"valid_trademarks": 399000})
    data.submit("cnipa_bulletin_quarterly", "350100.amr", "2025Q4", {"valid_trademarks": 401000})
    data.submit("cnipa_bulletin_quarterly", "350100.amr", "2020Q1", {"patent_grants": 999})


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
    assert {r["status"] for r in rows} <= {"已完成", "未完成", "进度正常", "需加快", "滞后", "数据不足"}
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


def test_growth_from_a_baseline_only_patent_records_hold(warehouse: Path) -> None:
    rows = {
        r["target_code"]: r
        for r in query(
            warehouse,
            "select * from marts.fct_target_progress where target_code in ('licheng_strong.02', 'licheng_strong.03')",
        )
    }
    applications, grants = rows["licheng_strong.02"], rows["licheng_strong.03"]
    # 2017 applications only in the records: (160 ÷ 100)^(1/3) − 1 = 16.9607% ≥ 15%.
    assert (applications["baseline_value"], applications["baseline_source"]) == (Decimal(100), "records")
    assert applications["baseline_date"] == date(2017, 12, 31)
    assert round(applications["current_value"], 4) == Decimal("16.9607")
    assert applications["is_final"] and applications["final_verdict"] == "超额完成"
    # 2017 grants reported (48) win over the records (50): (60 ÷ 48)^(1/3) − 1 = 7.7217% < 10%.
    assert (grants["baseline_value"], grants["baseline_source"]) == (Decimal(48), "data")
    assert round(grants["current_value"], 4) == Decimal("7.7217")
    assert grants["status"] == "未完成" and grants["final_verdict"] == "未完成"  # ended: the verdict, not a pace


def test_fund_share_each_year_against_pooled(warehouse: Path) -> None:
    each = _one(warehouse, "select * from marts.fct_target_progress where target_code = 'licheng_strong.01'")
    assert each["judgement"] == "each_year"
    # 2019's 110 ÷ 100,000 = 0.11% misses > 0.12% although Σ 390 ÷ 300,000 = 0.13% would pass.
    assert each["current_value"] == Decimal("0.11")
    assert (each["plan_years"], each["plan_years_with_value"], each["plan_years_failed"]) == (3, 3, 1)
    assert each["failed_plan_years"] == "2019年"
    assert each["status"] == "未完成" and each["is_final"] and each["final_verdict"] == "未完成"
    assert "2019年" in each["status_note"]
    pooled = _one(warehouse, "select * from marts.fct_target_progress where target_code = 'gulou_demo.01'")
    assert pooled["judgement"] == "pooled"
    # Σ 70 ÷ Σ 30,000 × 100 = 0.233333% > 0.2%, although 2023 alone is 0.1%.
    assert round(pooled["current_value"], 6) == Decimal("0.233333")
    assert pooled["plan_years_failed"] == 1 and pooled["failed_plan_years"] is None
    assert pooled["status"] == "已完成" and pooled["final_verdict"] == "超额完成"


def test_target_date_passed_without_covering_data(warehouse: Path) -> None:
    rows = {
        r["target_code"]: r
        for r in query(
            warehouse,
            "select * from marts.fct_target_progress where plan_code = 'licheng_strong' "
            "and target_code in ('licheng_strong.04', 'licheng_strong.12')",
        )
    }
    # 300 ÷ 25万 × 10⁴ = 12 at end-2020 meets ≥ 12, but the monthly series stops four months
    # before the target date (2021-04-30): April 2021 is the value a final judgement needs.
    level = rows["licheng_strong.04"]
    assert level["calendar_elapsed_pct"] == 100 and level["current_value"] == 12
    assert level["required_period_code"] == "2021-04" and level["latest_period_code"] == "2020"
    assert level["status"] == "数据不足" and not level["is_final"] and level["final_verdict"] is None
    assert level["status_note"].startswith("目标日期已过，缺2021年4月数据（最新为2020年）")
    # Pooled service-invention share: 4 ÷ 5 = 80% where both exist, but 2021-01 … 04 have no form.
    share = rows["licheng_strong.12"]
    assert (share["window_periods"], share["window_periods_with_value"]) == (37, 33)
    assert share["status"] == "数据不足" and not share["is_final"]
    assert "缺2021年1月至2021年4月数据（共4期）" in share["status_note"]
    # Nothing past its target date shows an in-progress status.
    closed = query(
        warehouse,
        "select target_code, status, is_final from marts.fct_target_progress_history where calendar_elapsed_pct = 100",
    )
    assert closed and all(r["is_final"] or r["status"] == "数据不足" for r in closed), closed


def test_bulletin_prevails_where_the_catalogue_prefers_it(warehouse: Path) -> None:
    q4 = _one(
        warehouse,
        "select * from marts.fct_element_values "
        "where element_code = 'valid_trademarks' and region_code = '350100' and period_code = '2025Q4'",
    )
    assert (q4["value"], q4["value_source"]) == (Decimal(401000), "bulletin")
    assert (q4["reported_value"], q4["bulletin_value"]) == (Decimal(399000), Decimal(401000))
    # 40.1万件 ≥ 40 meets 十四五 表2 row 3; the department's 39.9 would not.
    target = _one(warehouse, "select * from marts.fct_target_progress where target_code = 'fz_14th.03'")
    assert target["current_value"] == Decimal("40.1") and target["latest_value_sources"] == "bulletin"
    assert target["status"] == "已完成" and target["final_verdict"] == "超额完成"
    # Without a preference the department's figure stays in force beside the bulletin's.
    grants = _one(
        warehouse,
        "select value, value_source, bulletin_value from marts.fct_element_values "
        "where element_code = 'patent_grants' and region_code = '350100' and period_code = '2020Q1'",
    )
    assert (grants["value"], grants["value_source"], grants["bulletin_value"]) == (300, "reported", 999)


def test_a_region_whose_children_are_not_all_catalogued_never_carries_a_summed_total(warehouse: Path) -> None:
    # The catalogue lists 2 of 福建省's cities and only 鲤城区 under 泉州市: Σ of those is not a total.
    elements = query(
        warehouse,
        "select region_code, value, value_source, children_partial_sum, incomplete_reason "
        "from marts.fct_element_values where region_code in ('350000', '350500') and children_partial_sum > 0",
    )
    assert {r["region_code"] for r in elements} == {"350000", "350500"}
    for row in elements:
        assert row["value"] is None and row["value_source"] is None, row
        assert row["incomplete_reason"].startswith("目录只列出部分下级区划"), row
    indicators = query(
        warehouse,
        "select region_code, value, null_reason from marts.fct_indicator_values "
        "where region_code in ('350000', '350500')",
    )
    assert indicators and all(r["value"] is None for r in indicators)
    assert {r["null_reason"] for r in indicators} == {"目录只列出部分下级区划，不给合计"}
    city = _one(
        warehouse,
        "select count(*) filter (where value is not null) as n from marts.fct_indicator_values "
        "where region_code = '350100'",
    )
    assert city["n"] > 0, "福州市 lists all 13 county-level units: its totals stand"
