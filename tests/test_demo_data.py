"""The demo's sample data: deterministic, anchored to the seed documents, consistent, with four planted defects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import numpy as np
import pandas as pd
import pytest

from sources.catalogue import Catalogue
from sources.demo import figures, records
from sources.demo.figures import DemoSubmission, demo_defects, demo_submissions, ended_periods
from sources.forms.spec import form_spec, submitters
from sources.intake.raw_schema import ensure_raw_schema
from sources.periods import Period

CITY = "350100"
AS_OF = date(2026, 10, 31)


@pytest.fixture(scope="module")
def subs(catalogue: Catalogue) -> list[DemoSubmission]:
    return demo_submissions(catalogue)


@pytest.fixture(scope="module")
def recs(catalogue: Catalogue) -> pd.DataFrame:
    return records.patent_records(catalogue, AS_OF)


@pytest.fixture(scope="module")
def latest(subs: list[DemoSubmission]) -> dict[tuple[str, str, str], DemoSubmission]:
    """The last version of each (form, department, period): what stands after corrections."""
    out: dict[tuple[str, str, str], DemoSubmission] = {}
    for s in sorted(subs, key=lambda s: s.received_on):
        out[(s.form_code, s.department_code, s.period.code)] = s
    return out


@pytest.fixture(scope="module")
def defects(catalogue: Catalogue) -> dict[str, dict[str, object]]:
    return {str(d["kind"]): d for d in demo_defects(catalogue)}


def _value(latest: dict, form: str, dept: str, period: str, element: str) -> Decimal:
    value = latest[(form, dept, period)].values[element]
    assert isinstance(value, Decimal)
    return value


def _city_dept(catalogue: Catalogue, form: str) -> str:
    return next(d["department_code"] for d in submitters(catalogue, form_spec(catalogue, form), CITY))


def _rule_holds(values: dict, rule) -> bool | None:
    terms = [values.get(t) for t in (*rule.left, *rule.right)]
    if any(not isinstance(v, Decimal) for v in terms):
        return None
    left = sum((values[t] for t in rule.left), Decimal(0))
    right = sum((values[t] for t in rule.right), Decimal(0))
    return {"=": left == right, "<=": left <= right, ">=": left >= right}[rule.comparator]


# --- determinism ------------------------------------------------------------------------------
def test_generation_is_deterministic(catalogue: Catalogue, subs: list[DemoSubmission], recs: pd.DataFrame) -> None:
    figures.clear_cache()
    again = demo_submissions(catalogue)
    again_records = records.patent_records(catalogue, AS_OF)
    assert again == subs
    pd.testing.assert_frame_equal(again_records, recs)
    assert demo_submissions(catalogue) == again  # cached: the same list, not a new draw


def test_an_earlier_extract_shows_the_same_applications_in_an_earlier_state(
    catalogue: Catalogue, recs: pd.DataFrame
) -> None:
    earlier = records.patent_records(catalogue, date(2024, 12, 31))
    same = recs[recs["application_date"] <= "2024-12-31"].reset_index(drop=True)
    assert list(earlier["application_no"]) == list(same["application_no"])
    granted_then = earlier["grant_date"].notna()
    assert (earlier.loc[granted_then, "grant_date"].to_numpy() == same.loc[granted_then, "grant_date"].to_numpy()).all()


# --- seed anchors -----------------------------------------------------------------------------
def test_city_figures_match_the_seed_documents(catalogue: Catalogue, latest: dict) -> None:
    amr = _city_dept(catalogue, "ip_creation_monthly")
    stats = _city_dept(catalogue, "statistics_annual")
    valid_2020 = _value(latest, "ip_creation_monthly", amr, "2020-12", "valid_invention_patents")
    assert valid_2020 == 17159  # 001 表2 row 2
    registered = _value(latest, "statistics_annual", stats, "2020", "population_registered")
    persons = registered * catalogue.units[catalogue.elements["population_registered"].unit_code].to_base_factor
    assert round(17159 / persons * 10_000, 3) == Decimal("23.377")  # 001 表1, 表2 row 1
    resident = _value(latest, "statistics_annual", stats, "2020", "population_resident")
    assert 820 < resident < 840
    assert _value(latest, "ip_creation_monthly", amr, "2020-12", "valid_trademarks") == 246_700  # 001 表1/表2
    assert _value(latest, "ip_creation_monthly", amr, "2023-12", "valid_trademarks") == 376_600  # 003 note 4
    pledge = _city_dept(catalogue, "pledge_quarterly")
    total_2023 = sum(
        _value(latest, "pledge_quarterly", pledge, f"2023Q{q}", "pledge_financing_amount") for q in range(1, 5)
    )
    assert total_2023 == Decimal("1100000.00")  # 003 note 5
    shisanwu_tail = sum(
        _value(latest, "pledge_quarterly", pledge, f"{y}Q{q}", "pledge_financing_amount")
        for y in (2019, 2020)
        for q in range(1, 5)
    )
    assert shisanwu_tail < Decimal("482200.00")  # part of 48.22亿 over 2016–2020 (001 表2 row 6)
    works = sum(
        _value(
            latest, "copyright_quarterly", _city_dept(catalogue, "copyright_quarterly"), f"2020Q{q}", "works_registered"
        )
        for q in range(1, 5)
    )
    assert works == 52_900  # 001 表2 row 4
    resident_2023 = _value(latest, "statistics_annual", stats, "2023", "population_resident")
    high_value = _value(latest, "ip_creation_monthly", amr, "2023-12", "high_value_invention_patents")
    assert round(high_value / resident_2023, 1) == 14  # 003 note 3 (resident basis, as catalogued)


@pytest.mark.parametrize(
    ("element", "year", "expected"),
    [
        ("firms_ip_standard_certified", 2020, 194),  # 001 表1 row 3
        ("firms_demo_advantage", 2020, 255),  # 001 表1 row 4
        ("info_service_outlets", 2020, 0),  # 001 表2 row 5
        ("info_service_outlets", 2023, 31),  # 003 note 6
        ("protection_pilot_stations", 2023, 11),  # 003 note 1
        ("featured_brand_stations", 2023, 0),  # 003 note 2
        ("consultation_points", 2023, 0),  # 003 note 11
        ("ip_protection_satisfaction", 2023, 95),  # 003 note 7
    ],
)
def test_year_end_levels_match_the_seeds(
    catalogue: Catalogue, latest: dict, element: str, year: int, expected: int
) -> None:
    assert _value(latest, "ip_work_annual", _city_dept(catalogue, "ip_work_annual"), str(year), element) == expected


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ("admin_enforcement_cases", 130),  # 003 note 8
        ("patent_disputes_closed_by_ruling", 65),  # 003 note 9
        ("firms_rights_assistance", 56),  # 003 note 10
    ],
)
def test_2023_flows_match_the_seeds(catalogue: Catalogue, latest: dict, element: str, expected: int) -> None:
    dept = _city_dept(catalogue, "ip_protection_quarterly")
    assert sum(_value(latest, "ip_protection_quarterly", dept, f"2023Q{q}", element) for q in range(1, 5)) == expected


def test_graduates_are_zero_in_2023_and_stations_grow_towards_26(catalogue: Catalogue, latest: dict) -> None:
    edu = _city_dept(catalogue, "education_annual")
    assert _value(latest, "education_annual", edu, "2023", "ip_graduates") == 0  # 003 note 12
    work = _city_dept(catalogue, "ip_work_annual")
    stations = [_value(latest, "ip_work_annual", work, str(y), "protection_pilot_stations") for y in range(2019, 2026)]
    assert stations == sorted(stations) and 11 < stations[-1] <= 26


def test_gulou_is_near_but_not_everywhere_at_its_targets(
    catalogue: Catalogue, latest: dict, recs: pd.DataFrame
) -> None:
    grants = [
        sum(_value(latest, "ip_creation_monthly", "350102.amr", f"{y}-{m:02d}", "patent_grants") for m in range(1, 13))
        for y in range(2022, 2026)
    ]
    assert all(3_000 <= g <= 4_500 for g in grants)
    per_10k = _value(latest, "ip_creation_monthly", "350102.amr", "2025-06", "valid_invention_patents") / _value(
        latest, "statistics_annual", "350102.statistics", "2025", "population_registered"
    )
    assert 75 < per_10k < 95  # rising toward 95 (000 三(二)2) without reaching it
    granted = recs[(recs["region_code"] == "350102") & (recs["applicant_type"] == "firm") & recs["grant_date"].notna()]
    firms = [
        int((granted[granted["grant_date"].dt.year == y].groupby("applicant_name").size() >= 3).sum())
        for y in range(2022, 2026)
    ]
    assert 120 <= np.mean(firms) <= 180  # around the 150 a year of 000 三(二)2


def test_licheng_agency_share_is_near_its_80_percent_target(recs: pd.DataFrame) -> None:
    licheng = recs[(recs["region_code"] == "350502") & recs["application_date"].dt.year.between(2018, 2021)]
    assert 0.77 <= licheng["agency_name"].notna().mean() <= 0.83


# --- completeness and timeliness ----------------------------------------------------------------
def test_every_expected_form_is_present_except_the_missing_one(
    catalogue: Catalogue, subs: list[DemoSubmission], defects: dict
) -> None:
    first, cutoff = Period.parse("2019-01"), Period.parse("2026-10").end
    expected = {
        (f["form_code"], d["department_code"], p.code)
        for f in catalogue.rows("forms")
        for d in submitters(catalogue, form_spec(catalogue, f["form_code"]))
        for p in ended_periods(f["period_type"], first, cutoff)
    }
    present = {(s.form_code, s.department_code, s.period.code) for s in subs}
    missing = defects["missing"]
    assert expected - present == {(missing["form_code"], missing["department_code"], missing["period"])}
    assert present <= expected
    periods = {s.period.code for s in subs}
    assert {"2019-01", "2026-10", "2019Q1", "2026Q3", "2019", "2025"} <= periods
    assert not {"2026Q4", "2026", "2026-11"} & periods


def test_forms_arrive_after_the_period_and_by_the_due_date_except_the_late_one(
    catalogue: Catalogue, subs: list[DemoSubmission], defects: dict
) -> None:
    due_days = {f["form_code"]: int(f["due_days"]) for f in catalogue.rows("forms")}
    late = [s for s in subs if s.received_on > s.period.due(due_days[s.form_code])]
    assert [(s.form_code, s.department_code, s.period.code) for s in late] == [
        (defects["late"]["form_code"], defects["late"]["department_code"], defects["late"]["period"])
    ]
    assert all(s.received_on > s.period.end for s in subs)
    assert subs == sorted(subs, key=lambda s: s.received_on)


# --- consistency ------------------------------------------------------------------------------
def test_values_are_decimals_in_the_catalogue_units(catalogue: Catalogue, subs: list[DemoSubmission]) -> None:
    for s in subs:
        spec = form_spec(catalogue, s.form_code)
        assert set(s.values) == set(spec.element_codes)
        for row in spec.rows:
            value = s.values[row.element.code]
            if value is None:
                assert not row.required
                continue
            assert isinstance(value, Decimal)
            assert value.as_tuple().exponent == -row.unit.decimals
            assert value >= (row.element.min_value or 0)
            assert row.element.max_value is None or value <= row.element.max_value


def test_every_rule_holds_except_the_planted_rejection(
    catalogue: Catalogue, subs: list[DemoSubmission], defects: dict
) -> None:
    broken = []
    for s in subs:
        for rule in form_spec(catalogue, s.form_code).rules:
            if _rule_holds(s.values, rule) is False:
                broken.append((rule.code, s.department_code, s.period.code))
    rejected = defects["rejected_file"]
    assert broken == [(rejected["rule_code"], rejected["department_code"], rejected["period"])]


def test_city_is_the_sum_of_its_counties(catalogue: Catalogue, latest: dict, defects: dict) -> None:
    slip = defects["unit_mistake"]
    parent = {r["region_code"]: r["parent_code"] for r in catalogue.rows("regions")}
    checked = 0
    for f in catalogue.rows("forms"):
        spec = form_spec(catalogue, f["form_code"])
        if "city" not in spec.region_levels or "county" not in spec.region_levels:
            continue
        city = _city_dept(catalogue, spec.code)
        counties = [d["department_code"] for d in submitters(catalogue, spec) if parent.get(d["region_code"]) == CITY]
        assert len(counties) == 13
        for period in ended_periods(spec.period_type, Period.parse("2019-01"), AS_OF):
            for row in spec.rows:
                if row.element.aggregation == "rate":
                    continue
                if (spec.code, period.code) == (slip["form_code"], slip["period"]):
                    continue  # the planted unit slip: the city reports the true county figure
                total = sum(_value(latest, spec.code, c, period.code, row.element.code) for c in counties)
                assert _value(latest, spec.code, city, period.code, row.element.code) == total, (spec.code, period)
                checked += 1
    assert checked > 2_000


def test_patent_counts_on_the_forms_are_the_records_aggregated(
    catalogue: Catalogue, latest: dict, recs: pd.DataFrame
) -> None:
    spec = form_spec(catalogue, "ip_creation_monthly")
    months = [p.code for p in ended_periods("month", Period.parse("2019-01"), AS_OF)]
    by_dept = {d["department_code"]: d["region_code"] for d in submitters(catalogue, spec) if d["region_code"] != CITY}
    for element, (column, condition) in records.RECORD_COUNTS.items():
        rows = recs[recs[column].notna()]
        if condition is not None:
            rows = rows[rows[condition[0]] == condition[1]]
        counts = rows.groupby(["region_code", rows[column].dt.strftime("%Y-%m")]).size()
        for dept, region in by_dept.items():
            form = [int(_value(latest, spec.code, dept, m, element)) for m in months]
            assert form == [int(counts.get((region, m), 0)) for m in months], (element, dept)


def test_bulletin_is_close_to_but_not_always_the_departments_figures(catalogue: Catalogue, latest: dict) -> None:
    bulletin = form_spec(catalogue, "cnipa_bulletin_quarterly")
    amr = _city_dept(catalogue, "ip_creation_monthly")
    pledge = _city_dept(catalogue, "pledge_quarterly")
    same = differ = 0
    for period in ended_periods("quarter", Period.parse("2019-01"), AS_OF):
        published = latest[(bulletin.code, _city_dept(catalogue, bulletin.code), period.code)].values
        for element, value in published.items():
            if value is None:
                continue
            if element == "pledge_financing_amount":
                own = _value(latest, "pledge_quarterly", pledge, period.code, element)
            elif catalogue.elements[element].aggregation == "flow":
                own = sum(_value(latest, "ip_creation_monthly", amr, m.code, element) for m in period.months())
            else:
                own = _value(latest, "ip_creation_monthly", amr, period.months()[-1].code, element)
            assert abs(value - own) <= own * Decimal("0.02"), (element, period)
            same += value == own
            differ += value != own
    assert same > 0 and differ > 0
    q4 = latest[(bulletin.code, _city_dept(catalogue, bulletin.code), "2023Q4")].values
    assert q4["valid_trademarks"] == 376_600


# --- the planted defects ------------------------------------------------------------------------
def test_exactly_the_four_planted_defects_are_described(defects: dict) -> None:
    assert set(defects) == {"late", "missing", "unit_mistake", "corrected_resubmission", "rejected_file"}
    for d in defects.values():
        assert d["what"] and d["check"]
        assert not str(d["department_code"]).startswith(CITY)  # seed-anchored city figures stay clean


def test_late_and_missing(subs: list[DemoSubmission], defects: dict) -> None:
    late = defects["late"]
    assert late["period"] == "2026Q3" and late["received_on"] > late["due_on"]
    found = [
        s
        for s in subs
        if (s.form_code, s.department_code, s.period.code)
        == (late["form_code"], late["department_code"], late["period"])
    ]
    assert len(found) == 1 and found[0].received_on == late["received_on"]
    missing = defects["missing"]
    assert missing["period"] == "2026Q3"
    assert missing["form_code"] == "subdistrict_quarterly"


def test_unit_mistake_is_ten_thousand_times_the_history_but_passes_intake(
    catalogue: Catalogue, latest: dict, defects: dict
) -> None:
    d = defects["unit_mistake"]
    form, dept, element = d["form_code"], d["department_code"], d["element_code"]
    reported = _value(latest, form, dept, d["period"], element)
    assert reported == d["wrong_value"] == d["right_value"] * 10_000
    history = [_value(latest, form, dept, str(y), element) for y in range(2019, int(d["period"]))]
    assert all(Decimal("0.5") < reported / h / 10_000 < Decimal(2) for h in history)
    spec = form_spec(catalogue, form)
    assert all(_rule_holds(latest[(form, dept, d["period"])].values, r) for r in spec.rules)
    max_value = catalogue.elements[element].max_value
    assert max_value is None or reported <= max_value


def test_corrected_resubmission(catalogue: Catalogue, subs: list[DemoSubmission], defects: dict) -> None:
    d = defects["corrected_resubmission"]
    versions = [
        s
        for s in subs
        if (s.form_code, s.department_code, s.period.code) == (d["form_code"], d["department_code"], d["period"])
    ]
    assert len(versions) == 2
    first, second = versions
    assert first.values[d["element_code"]] == d["wrong_value"] != d["right_value"] == second.values[d["element_code"]]
    assert sorted(str(d["wrong_value"])) == sorted(str(d["right_value"]))  # the same digits, two swapped
    assert second.version_note == "更正" and first.version_note is None
    assert 2 <= (second.received_on - first.received_on).days <= 3
    spec = form_spec(catalogue, d["form_code"])
    assert all(_rule_holds(first.values, r) is not False for r in spec.rules if r.severity == "error")
    previous = Period.parse(d["period"]).previous().code
    before = next(
        s
        for s in subs
        if (s.form_code, s.department_code, s.period.code) == (d["form_code"], d["department_code"], previous)
    ).values[d["element_code"]]
    assert abs(first.values[d["element_code"]] - before) > 5 * abs(second.values[d["element_code"]] - before)


def test_rejected_file_then_corrected_next_day(catalogue: Catalogue, subs: list[DemoSubmission], defects: dict) -> None:
    d = defects["rejected_file"]
    versions = [
        s
        for s in subs
        if (s.form_code, s.department_code, s.period.code) == (d["form_code"], d["department_code"], d["period"])
    ]
    assert len(versions) == 2
    first, second = versions
    rule = next(r for r in form_spec(catalogue, d["form_code"]).rules if r.code == d["rule_code"])
    assert rule.severity == "error"
    assert _rule_holds(first.values, rule) is False and _rule_holds(second.values, rule) is True
    assert (second.received_on - first.received_on).days == 1
    assert second.received_on <= d["due_on"]


# --- record-level data ------------------------------------------------------------------------
def test_records_fit_the_raw_table(recs: pd.DataFrame) -> None:
    con = duckdb.connect()
    ensure_raw_schema(con)
    table = [r[0] for r in con.execute("describe raw.patent_records").fetchall()]
    assert list(recs.columns) == [c for c in table if c != "extract_id"]
    con.register("demo_records", recs)
    con.execute("insert into raw.patent_records select 'demo' as extract_id, * from demo_records")
    count, nulls = con.execute(
        "select count(*), count(*) filter (where agency_name is null) from raw.patent_records"
    ).fetchone()
    assert count == len(recs) > 300_000
    assert nulls == recs["agency_name"].isna().sum() > 0
    assert recs["application_no"].is_unique
    assert recs["application_no"].str.fullmatch(r"CN20\d{2}[123]\d{7}[\dX]").all()
    for column in ("is_hightech_firm", "is_service_invention", "is_pct", "is_abroad", "is_high_value"):
        assert recs[column].dtype == bool
    for column in ("application_date", "grant_date", "lapse_date"):
        assert pd.api.types.is_datetime64_any_dtype(recs[column])


def test_application_numbers_carry_the_cnipa_check_digit() -> None:
    # 001-style example from CNIPA's rule: 201710601862 → check digit 3
    assert records.application_numbers(np.array([201710601862]))[0] == b"CN2017106018623"


def test_record_states_are_consistent(recs: pd.DataFrame) -> None:
    granted = recs["grant_date"].notna()
    status = recs["legal_status"]
    assert set(status.unique()) == {"pending", "valid", "lapsed", "rejected", "withdrawn"}
    assert (granted == status.isin(["valid", "lapsed"])).all()
    assert (recs["lapse_date"].notna() == (status == "lapsed")).all()
    assert (recs.loc[granted, "grant_date"] > recs.loc[granted, "application_date"]).all()
    assert (recs.loc[granted, "grant_date"] <= pd.Timestamp(AS_OF)).all()
    lapsed = status == "lapsed"
    assert (recs.loc[lapsed, "lapse_date"] >= recs.loc[lapsed, "grant_date"]).all()
    assert (recs["application_date"].dt.year.min(), recs["application_date"].max()) == (2010, pd.Timestamp(AS_OF))
    assert (recs.loc[recs["is_high_value"], "patent_type"] == "invention").all()
    assert recs.loc[recs["is_high_value"], "grant_date"].notna().all()
    assert recs.loc[recs["patent_type"] == "design", "ipc_main"].isna().all()
    individuals = recs["applicant_type"] == "individual"
    assert not recs.loc[individuals, "is_service_invention"].any()
    assert recs.loc[~individuals, "is_service_invention"].mean() > 0.98
    assert not recs.loc[recs["applicant_type"] != "firm", "is_hightech_firm"].any()
    assert 0.80 <= recs["agency_name"].notna().mean() <= 0.90


def test_records_cover_the_seeds_five_year_totals(recs: pd.DataFrame) -> None:
    fuzhou = recs[recs["region_code"] != "350502"]
    filed = fuzhou["application_date"].dt.year.between(2016, 2020)
    assert filed.sum() == 148_711  # 001 一(一)3
    assert (filed & (fuzhou["patent_type"] == "invention")).sum() == 51_632
    grants = fuzhou["grant_date"].dt.year.between(2016, 2020)
    assert abs(grants.sum() - 84_377) < 84_377 * 0.03
    assert abs((grants & (fuzhou["patent_type"] == "invention")).sum() - 14_813) < 14_813 * 0.05


def test_scaled_records_have_the_same_schema(recs: pd.DataFrame) -> None:
    scaled = records.patent_records_scaled(20_000, ["350102", "350203", "350583"], seed=3)
    assert len(scaled) == 20_000 and scaled["application_no"].is_unique
    assert list(scaled.columns) == list(recs.columns)
    assert list(scaled.dtypes) == list(recs.dtypes)
    assert set(scaled["region_code"]) == {"350102", "350203", "350583"}
    pd.testing.assert_frame_equal(scaled, records.patent_records_scaled(20_000, ["350102", "350203", "350583"], 3))
