"""The sample scenario end to end: the checks catch every planted defect, the 2026-10 return is
refused, and after `ipwh demo --follow-up` (a corrected form through intake, sample explanations of
the two warnings and of the seed documents' conflicts) the same gate clears."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from core.settings import Settings
from expectations.context import CheckContext
from expectations.evaluate import evaluate_rule, run_checks
from expectations.gate import gate_decision
from expectations.rules import rules_by_code
from orchestration.demo_follow_up import run_follow_up
from sources.catalogue import load
from sources.periods import Period
from tests.sample_cache import built_sample, copy_sample, planted_defects
from tests.warehouse_fixtures import run_dbt

pytestmark = pytest.mark.slow
AS_OF = date(2026, 11, 21)
# The seed documents' own conflicts: warnings on every run, dated the latest ended year (2025).
CONFLICT_RULES = {code for code, rule in rules_by_code().items() if rule.kind == "document_conflict"}


def _check(settings: Settings, work: Path, run_id: str, *, build: bool = True):
    if build:  # the shared sample is already built; after the follow-up the models must be rebuilt
        run_dbt(settings.warehouse, work, as_of=AS_OF.isoformat())
    with duckdb.connect(str(settings.warehouse)) as con:
        run = run_checks(con, run_id=run_id, trigger="test", as_of=AS_OF, catalogue=load())
        return {o.check_name: o for o in run.outcomes}, gate_decision(con, Period.parse("2026-10"))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("sample")
    settings = copy_sample(built_sample(tmp_path_factory), root / "var")
    defects = planted_defects(settings.home)
    before = _check(settings, root, "before", build=False)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        ctx = CheckContext(con=con, catalogue=load(), as_of=AS_OF)
        values = ctx.frame("current_values").copy()
        fix = next(d for d in defects if d["kind"] == "corrected_resubmission")
        row = (values["department_code"] == fix["department_code"]) & (values["period_code"] == fix["period"])
        row &= values["element_code"] == fix["element_code"]
        values.loc[row, "value"] = float(fix["wrong_value"])  # as the data stood before the correction
        ctx._frames["current_values"] = values
        v1_alone = evaluate_rule(ctx, rules_by_code()["series_outlier_mad"])
    return settings, root, defects, before, v1_alone


def _where(outcome) -> set[tuple[str | None, str | None]]:
    return {(f.department_code, f.period_code) for f in outcome.failures}


def test_every_planted_defect_is_caught(sample):
    _, _, defects, (outcomes, decision), v1_alone = sample
    kinds = {d["kind"]: d for d in defects}
    slip, late, missing, typo = kinds["unit_mistake"], kinds["late"], kinds["missing"], kinds["corrected_resubmission"]
    assert (slip["department_code"], slip["period"]) in _where(outcomes["unit_slip"])
    assert ("350100.finance", slip["period"]) in _where(outcomes["counties_sum_to_city"])
    assert _where(outcomes["forms_on_time"]) == {(late["department_code"], late["period"])}
    assert _where(outcomes["optional_forms_submitted"]) == {(missing["department_code"], missing["period"])}
    assert (typo["department_code"], typo["period"]) in _where(v1_alone), "v1 alone is an outlier"
    assert "已由第 2 版" in outcomes["series_outlier_mad"].message, "the corrected v1 is still shown"
    assert not decision.passed
    assert {b.check_name for b in decision.blockers} == {
        "unit_slip",
        "counties_sum_to_city",
        "forms_on_time",
        "optional_forms_submitted",
        *CONFLICT_RULES,
    }
    others = {n: o.status for n, o in outcomes.items() if n not in {b.check_name for b in decision.blockers}}
    assert set(others.values()) == {"passed"}, others


def test_follow_up_clears_the_gate_and_is_idempotent(sample):
    settings, root, *_ = sample
    first = run_follow_up(settings)
    assert len(first.resubmitted) == 1 and len(first.explained) == 2 + len(CONFLICT_RULES)
    again = run_follow_up(settings)
    assert again.resubmitted == [] and again.already_received == 1
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from quality.explanations").fetchone()[0] == 2 + len(CONFLICT_RULES)
    _, decision = _check(settings, root, "after")
    assert decision.passed, decision.blockers
    assert {(i.check_name, i.period_code) for i in decision.explained} == {
        ("forms_on_time", "2026Q3"),
        ("optional_forms_submitted", "2026Q3"),
        *((code, "2025") for code in CONFLICT_RULES),
    }
    assert all("（示例）" in (i.explanation or "") for i in decision.explained)


def test_document_conflicts_fire_naming_both_sources_and_the_warehouse_figure(sample):
    _, _, _, (outcomes, _), _ = sample
    assert len(CONFLICT_RULES) == 6
    messages = {code: [f.message for f in outcomes[code].failures] for code in CONFLICT_RULES}
    for code, found in messages.items():
        assert outcomes[code].severity == "warning" and outcomes[code].status == "failed", code
        assert found and all(m == found[0] for m in found), "one message, once per target it bears on"
        assert found[0].count(".txt") == 2 and "仓库" in found[0], found[0]
    subjects = {f.subject_code for f in outcomes["conflict_outlets_target"].failures}
    assert subjects == {"fz_14th.05", "fz_protection_zone.06"}
    (certified,) = messages["conflict_certified_firms"]
    assert "表1 row 3" in certified and "一(一)4" in certified and "194" in certified and "195" in certified
    assert "福州市2020年“通过知识产权贯标认证企事业单位数”为194家" in certified or "为194家" in certified
    outlets = messages["conflict_outlets_target"][0]
    assert "003_e11b5540b9df7916.txt" in outlets and "001_b5d4a5296c7b0b6a.txt" in outlets and "为31个" in outlets
    pledge = messages["conflict_pledge_scale"][0]
    assert "indicator note 5" in pledge and "表2 row 6" in pledge and "为110亿元" in pledge
