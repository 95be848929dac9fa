"""The catalogue against the spec and the seeds: counts, figures, flags and citations."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from sources.catalogue import Catalogue

# Minimum number of targets per plan, from shared/spec/catalogue.md.
SPEC_TARGET_COUNTS = {"fz_13th": 4, "fz_14th": 6, "gulou_demo": 16, "licheng_strong": 17, "fz_protection_zone": 12}


def test_catalogue_is_consistent(catalogue: Catalogue) -> None:
    assert catalogue.problems() == []


@pytest.mark.parametrize(("plan", "minimum"), SPEC_TARGET_COUNTS.items())
def test_target_counts_per_plan_meet_spec(catalogue: Catalogue, plan: str, minimum: int) -> None:
    assert len(catalogue.targets_of(plan)) >= minimum


def test_fz_14th_table_2_figures(catalogue: Catalogue) -> None:
    rows = {t.target_no: t for t in catalogue.targets_of("fz_14th")}
    expected = {
        1: ("25", "23.377"),
        2: ("23000", "17159"),
        3: ("40", "24.67"),
        4: ("6", "5.29"),
        5: ("10", "0"),
        6: ("60", "48.22"),
    }
    for no, (target, baseline) in expected.items():
        assert rows[no].value == Decimal(target)
        assert rows[no].baseline_value == Decimal(baseline)
        assert rows[no].citation.startswith("001_b5d4a5296c7b0b6a.txt, 表2")
    assert rows[6].kind == "cumulative_min"
    assert rows[6].baseline_period == "2016-2020"
    assert catalogue.units[rows[6].unit_code].name == "亿元"


def test_fz_13th_keeps_the_seeds_own_verdicts(catalogue: Catalogue) -> None:
    rows = catalogue.rows("plan_targets")
    verdicts = {
        r["target_no"]: (r["reported_actual"], r["reported_verdict"]) for r in rows if r["plan_code"] == "fz_13th"
    }
    assert verdicts == {
        "1": ("23.377", "超额完成"),
        "2": ("24.67", "超额完成"),
        "3": ("194", "超额完成"),
        "4": ("255", "超额完成"),
    }


def test_per_10k_uses_registered_population(catalogue: Catalogue) -> None:
    terms = {(r["indicator_code"], r["term_role"]): r["element_code"] for r in catalogue.rows("indicator_terms")}
    assert terms[("invention_patents_per_10k", "denominator")] == "population_registered"
    # 17,159 / 23.377 × 10⁴ ≈ 7.34 million: Fuzhou's registered, not resident, population.
    implied = Decimal(17159) / Decimal("23.377") * 10000
    assert Decimal("7330000") < implied < Decimal("7350000")


def test_protection_zone_lost_targets_are_unknown_not_invented(catalogue: Catalogue) -> None:
    rows = {t.target_no: t for t in catalogue.targets_of("fz_protection_zone")}
    for no in range(3, 12):
        assert rows[no].value is None and rows[no].value_status == "unknown" and rows[no].kind is None
        assert rows[no].baseline_value is not None  # the 2023 figure survives in the notes
    inferred = {no for no, t in rows.items() if t.name_status == "inferred"}
    # Notes 3, 4 and 5 give a figure and its source but no indicator name (the table that named them was lost).
    assert inferred == {3, 4, 5, 7, 8, 10, 11}
    assert rows[1].value == 26 and rows[1].baseline_value == 11
    assert rows[12].kind == "annual_min" and rows[12].value == 100


def test_gulou_tasks_and_sub_districts(catalogue: Catalogue) -> None:
    tasks = [r for r in catalogue.rows("plan_tasks") if r["plan_code"] == "gulou_demo"]
    assert len({r["task_group_no"] for r in tasks}) == 7
    assert len(tasks) >= 26
    assert {r["deadline"] for r in tasks} == {"2023-03-31", "2025-06-30"}
    subs = [r for r in catalogue.rows("regions") if r["parent_code"] == "350102" and r["region_level"] == "subdistrict"]
    assert sorted(r["region_name"] for r in subs) == sorted(
        [
            "鼓东街道",
            "鼓西街道",
            "温泉街道",
            "东街街道",
            "南街街道",
            "安泰街道",
            "华大街道",
            "水部街道",
            "五凤街道",
            "洪山镇",
        ]
    )


def test_fuzhou_has_13_county_level_units(catalogue: Catalogue) -> None:
    counties = [r for r in catalogue.rows("regions") if r["parent_code"] == "350100"]
    assert len(counties) == 13


def _normalise(text: str) -> str:
    # The seeds mix full- and half-width punctuation and wrap lines mid-word.
    table = str.maketrans("（），：；", "(),:;")
    return re.sub(r"\s+", "", text.translate(table))


def test_target_texts_are_quoted_from_their_seed(catalogue: Catalogue, seed_docs: Path) -> None:
    docs = {p.name: _normalise(p.read_text(encoding="utf-8")) for p in seed_docs.glob("*.txt")}
    missing = []
    for t in catalogue.targets:
        # Quotes may elide with … and carry our annotations in 【】; every fragment stands in the seed.
        for fragment in re.split(r"……|…|【[^】]*】", t.text):
            fragment = _normalise(fragment).strip(",。")
            if t.plan_code in ("fz_13th", "fz_14th"):
                continue  # rows of 表1/表2 are quoted as "name (unit) value", checked by figure below
            if fragment and fragment not in docs[t.seed_file]:
                missing.append((t.code, fragment))
    assert missing == []


def test_table_figures_stand_in_seed_001(catalogue: Catalogue, seed_docs: Path) -> None:
    doc = (seed_docs / "001_b5d4a5296c7b0b6a.txt").read_text(encoding="utf-8")
    for t in catalogue.targets_of("fz_14th") + catalogue.targets_of("fz_13th"):
        assert t.value is not None
        assert format(t.value.normalize(), "f") in doc, t.code


def test_share_judgements_follow_the_seeds(catalogue: Catalogue) -> None:
    rows = {r["target_code"]: r for r in catalogue.rows("plan_targets")}
    # 002 二(二)1 with 三(二)2 (每年…同步增长): every year; 000 三(二)1 (示范期间,年平均): Σ fund ÷ Σ spending.
    assert rows["licheng_strong.01"]["judgement"] == "each_year" and "三(二)2" in rows["licheng_strong.01"]["note"]
    assert rows["gulou_demo.01"]["judgement"] == "pooled" and "Σ" in rows["gulou_demo.01"]["note"]
    kinds = {r["target_kind"]: r["judgements"] for r in catalogue.rows("target_kinds")}
    for code, row in rows.items():
        if row["judgement"]:
            assert row["judgement"] in kinds[row["target_kind"]].split("|"), code


def test_bulletin_prevails_for_the_figures_003_assesses_on_it(catalogue: Catalogue) -> None:
    preferred = {
        r["element_code"]: (r["preferred_source"], r["preferred_source_citation"])
        for r in catalogue.rows("data_elements")
        if r["preferred_source"]
    }
    for element, note in (
        ("high_value_invention_patents", 3),
        ("valid_trademarks", 4),
        ("pledge_financing_amount", 5),
    ):
        assert preferred[element] == ("bulletin", f"003_e11b5540b9df7916.txt, indicator note {note}")


def test_protection_zone_damaged_task_table_is_kept_as_damaged_tasks(catalogue: Catalogue, seed_docs: Path) -> None:
    doc = (seed_docs / "003_e11b5540b9df7916.txt").read_text(encoding="utf-8")
    damaged = [r for r in catalogue.rows("plan_tasks") if r["content_status"] == "damaged_in_seed"]
    assert len(damaged) == 26 and {r["plan_code"] for r in damaged} == {"fz_protection_zone"}
    for r in damaged:
        assert r["content"] in doc and r["citation"].startswith("003_e11b5540b9df7916.txt, ")
        assert not r["deadline"] and "损坏" in r["note"]
    contents = " ".join(r["content"] for r in damaged)
    for measure in ("仲裁联络点", "“1188”助企惠企机制", "二审独任制", "“电子通道”"):
        assert measure in contents
    damaged_codes = {r["task_code"] for r in damaged}
    assert not [u for u in catalogue.rows("task_units") if u["task_code"] in damaged_codes]


def test_protection_zone_leads_are_flagged_inferred(catalogue: Catalogue) -> None:
    leads = [u for u in catalogue.rows("task_units") if u["unit_role"] == "lead"]
    by_plan = {
        plan: {u["role_status"] for u in leads if u["task_code"].startswith(plan + ".")}
        for plan in ("gulou_demo", "fz_protection_zone")
    }
    assert by_plan == {"gulou_demo": {"stated"}, "fz_protection_zone": {"inferred"}}


# Aims without a number of their own (issue: every aim of the seeds): kind, seed section and words.
NEW_AIMS = {
    "gulou_demo.18": ("absence", "三(二)7", "无群体性侵犯他人知识产权重大案件发生"),
    "gulou_demo.19": ("trend_up", "三(二)1", "知识产权专项经费投入不断提高"),
    "gulou_demo.20": ("annual_average_min", "三(二)2", "PCT国际申请数量超50件"),
    "licheng_strong.18": ("trend_up", "二(二)3", "不断提高企业专利技术实施率"),
    "licheng_strong.19": ("trend_up", "二(二)3", "专利产品产值占工业产品产值的比重不断增加"),
    "licheng_strong.20": ("coverage_min", "三(一)3", "培养1名以上专职工作人员成为知识产权专员"),
    "licheng_strong.21": ("annual_increase", "四(二)", "逐年递增"),
    "licheng_strong.22": ("rank_max", "二(二)2", "保持在全省全市前列"),
    "licheng_strong.23": ("rank_max", "二(二)2", "保持在全省全市前列"),
    "licheng_strong.24": ("rank_max", "二(二)2", "保持在全省全市前列"),
}


@pytest.mark.parametrize(("code", "expected"), NEW_AIMS.items())
def test_aims_without_a_number_are_targets_of_a_kind_that_judges_them(
    catalogue: Catalogue, code: str, expected: tuple[str, str, str]
) -> None:
    kind, section, words = expected
    target = next(t for t in catalogue.targets if t.code == code)
    assert (target.kind, target.seed_section) == (kind, section)
    assert words in target.text
    assert kind in catalogue.codes("target_kinds", "target_kind")


def test_ranking_targets_name_their_peer_sets_and_say_the_rank_is_our_reading(catalogue: Catalogue) -> None:
    peers = catalogue.rows("target_peer_sets")
    for t in catalogue.targets:
        if t.kind != "rank_max":
            continue
        assert {p["peer_set_code"] for p in peers if p["target_code"] == t.code} == {"province", "city"}
        assert t.value_status == "inferred" and "前列" in (t.note or "") and t.comparator == "<="


def test_new_elements_have_a_form_and_an_owner_flagged_where_the_seed_names_none(catalogue: Catalogue) -> None:
    on_forms = {r["element_code"] for r in catalogue.rows("form_elements")}
    terms = {
        r["element_code"]
        for r in catalogue.rows("indicator_terms")
        if r["indicator_code"]
        in {catalogue.targets[i].indicator_code for i, t in enumerate(catalogue.targets) if t.code in NEW_AIMS}
    }
    elements = {r["element_code"]: r for r in catalogue.rows("data_elements")}
    for code in terms:
        row = elements[code]
        if row["source_kind"] == "form":
            assert code in on_forms, code
        assert row["owner_kind"], code
        if row["owner_status"] == "inferred":
            assert "推定" in row["citation"], code


def test_either_count_passing_meets_the_abroad_or_pct_aim(catalogue: Catalogue) -> None:
    rows = {r["target_code"]: r for r in catalogue.rows("plan_targets")}
    abroad, pct = rows["gulou_demo.06"], rows["gulou_demo.20"]
    assert (abroad["indicator_code"], pct["indicator_code"]) == ("patent_applications_abroad", "pct_applications")
    assert abroad["either_of_target"] == "gulou_demo.20" and pct["either_of_target"] == "gulou_demo.06"
    assert abroad["target_value"] == pct["target_value"] == "50"


def test_flags_the_issue_names_are_set(catalogue: Catalogue) -> None:
    rows = {r["target_code"]: r for r in catalogue.rows("plan_targets")}
    # 002 names no base year anywhere: 2017, the last whole year before the programme, is ours.
    assert {
        r["baseline_status"] for r in rows.values() if r["plan_code"] == "licheng_strong" and r["baseline_period"]
    } == {"inferred"}
    assert "代用" in rows["gulou_demo.12"]["note"]
    outlets = [t for t in catalogue.targets if t.indicator_code == "info_service_outlets"]
    indicator_unit = {r["indicator_code"]: r["unit_code"] for r in catalogue.rows("indicators")}["info_service_outlets"]
    assert {t.unit_code for t in outlets} == {indicator_unit} == {catalogue.elements["info_service_outlets"].unit_code}


def test_every_kind_records_its_rule_for_partial_years(catalogue: Catalogue) -> None:
    for kind in catalogue.rows("target_kinds"):
        assert kind["partial_year_rule"].strip(), kind["target_kind"]


def test_document_conflicts_cite_two_seed_passages(catalogue: Catalogue, seed_docs: Path) -> None:
    names = {p.name for p in seed_docs.glob("*.txt")}
    conflicts = catalogue.rows("document_conflicts")
    assert len(conflicts) == 6
    for c in conflicts:
        for side in ("source_a", "source_b"):
            assert c[side].split(", ")[0] in names, c
        assert c["source_a"] != c["source_b"]


def test_target_counts_per_plan_are_the_spec_plus_the_aims_without_a_number(catalogue: Catalogue) -> None:
    counts = {plan: len(catalogue.targets_of(plan)) for plan in SPEC_TARGET_COUNTS}
    added = {plan: sum(code.startswith(plan + ".") for code in NEW_AIMS) for plan in SPEC_TARGET_COUNTS}
    # fz_protection_zone holds three targets beyond the spec's twelve (its 三(一)3 sites); gulou_demo one
    # (三(二)2 专利授权量持续增长).
    extra = {"fz_13th": 0, "fz_14th": 0, "gulou_demo": 1, "licheng_strong": 0, "fz_protection_zone": 3}
    assert counts == {plan: SPEC_TARGET_COUNTS[plan] + added[plan] + extra[plan] for plan in SPEC_TARGET_COUNTS}
