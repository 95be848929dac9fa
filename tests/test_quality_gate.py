"""The quality gate: each rule catches a seeded defect and passes on clean data; a return's gate is
refused while an error stands and clears once it is fixed or, for a warning, explained; Dagster runs
the checks as asset checks and the blocking ones stop the gate assets.

One small clean warehouse is built per module (13 Fuzhou counties + the city, monthly IP-creation
forms, annual finance forms, the CNIPA bulletin). Defects are seeded into copies of the frames the
rules read, or by SQL on a copy of the warehouse file, so dbt runs once.
"""

from __future__ import annotations

import itertools
import re
import shutil
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from expectations.context import CheckContext
from expectations.evaluate import evaluate_rule, run_checks
from expectations.explain import ExplanationRefused, record_explanation
from expectations.gate import gate_decision
from expectations.rules import Rule, rules_by_code
from sources.catalogue import Catalogue
from sources.periods import Period
from tests.warehouse_fixtures import CATALOGUE, RawData, child_regions, months, run_dbt

AS_OF = date(2026, 11, 21)
CITY = "350100"
COUNTIES = child_regions(CITY)
LICHENG = "350502"
NOW = datetime(2026, 11, 21, 12, 0)
_TICKS = itertools.count()


def tick() -> datetime:
    """A clock that moves on, so the latest check run is unambiguous."""
    return NOW + timedelta(seconds=next(_TICKS))


def _creation_values(weight: int, t: int) -> dict[str, int]:
    inv, util, design = 10 * weight + t % 3, 20 * weight, 5 * weight
    g_inv, g_util, g_design = 4 * weight, 12 * weight + t % 2, 3 * weight
    return {
        "patent_applications": inv + util + design,
        "patent_applications_invention": inv,
        "patent_applications_utility": util,
        "patent_applications_design": design,
        "patent_grants": g_inv + g_util + g_design,
        "patent_grants_invention": g_inv,
        "patent_grants_utility": g_util,
        "patent_grants_design": g_design,
        "valid_invention_patents": 1000 * weight + 10 * t,
        "high_value_invention_patents": 300 * weight + 3 * t,
        "pct_applications": weight,
        "patent_applications_abroad": weight,
        "trademark_applications": 50 * weight,
        "trademark_registrations": 40 * weight,
        "valid_trademarks": 5000 * weight + 20 * t,
        "madrid_registrations": 10 * weight,
        "geographical_indication_trademarks": weight,
    }


def clean_data() -> RawData:
    data = RawData()
    periods = months(2025) + [f"2026-{m:02d}" for m in range(1, 11)]
    city_by_month: dict[str, dict[str, int]] = {}
    for t, month in enumerate(periods):
        total: dict[str, int] = {}
        for weight, county in enumerate(COUNTIES, start=1):
            values = _creation_values(weight, t)
            data.submit("ip_creation_monthly", f"{county}.amr", month, values)
            for key, value in values.items():
                total[key] = total.get(key, 0) + value
        data.submit("ip_creation_monthly", f"{CITY}.amr", month, total)
        data.submit("ip_creation_monthly", f"{LICHENG}.ip_office", month, _creation_values(5, t))
        city_by_month[month] = total
    for year in range(2019, 2026):
        fund_total = 0.0
        for weight, county in enumerate(COUNTIES, start=1):
            fund = round(10 * weight + 0.5 * (year - 2019), 2)
            fund_total += fund
            values = {"ip_special_fund": fund, "general_budget_expenditure": 100000 * weight}
            data.submit("finance_annual", f"{county}.finance", str(year), values)
        city = {"ip_special_fund": round(fund_total, 2), "general_budget_expenditure": 100000 * 91}
        data.submit("finance_annual", f"{CITY}.finance", str(year), city)
        licheng = {"ip_special_fund": 30, "general_budget_expenditure": 9e5}
        data.submit("finance_annual", f"{LICHENG}.finance", str(year), licheng)
    for quarter_no, first in ((1, 1), (2, 4), (3, 7), (4, 10)):
        for year in (2025, 2026):
            codes = [f"{year}-{m:02d}" for m in range(first, first + 3)]
            if codes[-1] not in city_by_month:
                continue
            flows = {k: sum(city_by_month[c][k] for c in codes) for k in ("patent_applications", "patent_grants")}
            end = city_by_month[codes[-1]]
            values = {
                **flows,
                "valid_invention_patents": end["valid_invention_patents"],
                "high_value_invention_patents": end["high_value_invention_patents"],
                "valid_trademarks": end["valid_trademarks"],
                "pledge_financing_amount": None,
            }
            data.submit("cnipa_bulletin_quarterly", f"{CITY}.amr", f"{year}Q{quarter_no}", values)
    return data


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("quality") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        clean_data().write(con)
        con.execute(  # acceptance events, as intake writes them before any build
            "insert into raw.submission_events select submission_id, 'accepted', received_at, 'test', null "
            "from raw.submissions"
        )
    run_dbt(path, path.parent, as_of=AS_OF.isoformat())
    return path


# The seed documents' own conflicts (document_conflicts.csv) fail on every run, clean data or not:
# warnings an analyst explains once a year. The copies start with them explained.
CONFLICTS = {code for code, r in rules_by_code().items() if r.kind == "document_conflict"}


def _explain_conflicts(path: Path) -> None:
    with duckdb.connect(str(path)) as c:
        run_checks(c, run_id="conflicts", trigger="test", as_of=AS_OF, catalogue=CATALOGUE, now=tick)
        for code in sorted(CONFLICTS):
            record_explanation(c, code, str(AS_OF.year - 1), "文件之间的冲突已核对原文", "分析员", NOW)


@pytest.fixture
def copy(warehouse: Path, tmp_path: Path) -> Path:
    target = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, target)
    _explain_conflicts(target)
    return target


@pytest.fixture(scope="module")
def con(warehouse: Path):
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()


def rule(code: str) -> Rule:
    return rules_by_code()[code]


def evaluate(con: duckdb.DuckDBPyConnection, code: str, **frames: pd.DataFrame):
    ctx = CheckContext(con=con, catalogue=CATALOGUE, as_of=AS_OF)
    ctx._frames.update(frames)
    return evaluate_rule(ctx, rule(code))


def frame(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    return CheckContext(con=con, catalogue=CATALOGUE, as_of=AS_OF).frame(name).copy()


# --- clean data -------------------------------------------------------------------------------
def test_every_rule_passes_on_clean_data_but_the_documents_own_conflicts(warehouse: Path, tmp_path: Path):
    clean = tmp_path / "clean.duckdb"
    shutil.copy(warehouse, clean)
    with duckdb.connect(str(clean)) as c:
        run = run_checks(c, run_id="clean", trigger="test", as_of=AS_OF, catalogue=CATALOGUE, now=tick)
        failing = {o.check_name: (o.status, o.severity) for o in run.outcomes if o.status != "passed"}
        assert failing == {code: ("failed", "warning") for code in CONFLICTS} and len(CONFLICTS) == 6
        decision = gate_decision(c, Period.parse("2026-10"))
        assert {b.check_name for b in decision.blockers} == CONFLICTS, "unexplained, they hold the returns"
    _explain_conflicts(clean)
    assert _decision(clean).passed


# --- one seeded defect per rule ------------------------------------------------------------------
def test_ge_form_suite_catches_range_integer_and_required(con):
    values = frame(con, "form_values")
    rows = values.index[(values["department_code"] == "350102.amr") & (values["period_code"] == "2026-09")]
    values.loc[rows[0], ["value", "value_fraction"]] = [-5.0, 0.0]  # below the catalogue minimum
    values.loc[rows[1], ["value", "value_fraction"]] = [12.5, 0.5]  # a count with a fraction
    values.loc[rows[2], ["value", "value_fraction"]] = [None, None]  # a required cell left blank
    result = evaluate(con, "ge_form_values", form_values=values)
    assert result.status == "failed"
    assert {f.subject_code for f in result.failures} == set(values.loc[rows[:3], "element_code"])
    assert {f.department_code for f in result.failures} == {"350102.amr"}


def test_ge_mart_suite_catches_unknown_codes(con):
    values = frame(con, "fct_element_values")
    values.loc[values.index[0], "element_code"] = "not_in_catalogue"
    result = evaluate(con, "ge_fct_element_values", fct_element_values=values)
    assert result.status == "failed"
    assert any(f.observed == "not_in_catalogue" for f in result.failures)


def test_counties_must_sum_to_the_city(con):
    values = frame(con, "fct_element_values")
    city = (values["region_code"] == CITY) & (values["element_code"] == "patent_grants")
    city &= values["period_code"] == "2026-10"
    values.loc[city, "reported_value"] *= 1.10
    result = evaluate(con, "counties_sum_to_city", fct_element_values=values)
    assert result.status == "failed"
    (failure,) = result.failures
    assert (failure.region_code, failure.period_code, failure.department_code) == (CITY, "2026-10", "350100.amr")


def test_bureau_and_bulletin_must_agree(con):
    values = frame(con, "fct_element_values")
    assert values["bulletin_value"].notna().any()
    row = values.index[values["bulletin_value"].notna() & (values["period_code"] == "2026Q3")][0]
    values.loc[row, "bulletin_value"] *= 1.05
    result = evaluate(con, "bureau_matches_bulletin", fct_element_values=values)
    assert result.status == "failed" and result.severity == "warning"
    assert [f.period_code for f in result.failures] == ["2026Q3"]


def test_parts_must_not_exceed_totals(con):
    values = frame(con, "fct_element_values")
    row = (values["region_code"] == "350103") & (values["period_code"] == "2026Q2")
    values.loc[row & (values["element_code"] == "high_value_invention_patents"), "value"] = 10**6
    result = evaluate(con, "parts_le_totals", fct_element_values=values)
    assert result.status == "failed"
    assert {(f.region_code, f.period_code, f.subject_code) for f in result.failures} == {
        ("350103", "2026Q2", "high_value_le_valid_invention")
    }


def test_outlier_against_own_history_uses_median_and_mad(con):
    values = frame(con, "current_values")
    row = (
        (values["department_code"] == "350105.amr")
        & (values["period_code"] == "2026-09")
        & (values["element_code"] == "valid_invention_patents")
    )
    right = int(values.loc[row, "value"].iloc[0])
    values.loc[row, "value"] = float(str(right)[1] + str(right)[0] + str(right)[2:])  # adjacent digits swapped
    result = evaluate(con, "series_outlier_mad", current_values=values)
    assert result.status == "failed" and result.severity == "warning"
    (failure,) = [f for f in result.failures if f.period_code == "2026-09"]
    assert failure.department_code == "350105.amr" and "稳健 z" in failure.message


def test_unit_slip_is_called_out_by_name(con):
    values = frame(con, "current_values")
    row = (values["department_code"] == "350125.finance") & (values["element_code"] == "ip_special_fund")
    row &= values["period_code"] == "2025"
    values.loc[row, "value"] *= 10_000
    result = evaluate(con, "unit_slip", current_values=values)
    assert result.status == "failed" and result.severity == "error"
    (failure,) = result.failures
    assert failure.department_code == "350125.finance" and "“元”" in failure.message and "万元" in failure.message
    outliers = evaluate(con, "series_outlier_mad", current_values=values)
    assert not [f for f in outliers.failures if f.department_code == "350125.finance"], "named once, as a unit slip"


def test_missing_required_form_is_an_error_other_forms_a_warning(con):
    rows = frame(con, "completeness")
    required = rows.index[(rows["form_code"] == "ip_creation_monthly") & (rows["period_code"] == "2026-09")][0]
    optional = rows.index[(rows["form_code"] == "cnipa_bulletin_quarterly") & (rows["period_code"] == "2026Q2")][0]
    rows.loc[[required, optional], "is_received"] = False
    error = evaluate(con, "required_forms_submitted", completeness=rows)
    warning = evaluate(con, "optional_forms_submitted", completeness=rows)
    assert (error.status, error.severity, len(error.failures)) == ("failed", "error", 1)
    assert (warning.status, warning.severity, len(warning.failures)) == ("failed", "warning", 1)
    assert warning.failures[0].form_code == "cnipa_bulletin_quarterly"


def test_late_form_is_a_warning(con):
    rows = frame(con, "completeness")
    late = rows.index[(rows["department_code"] == "350123.amr") & (rows["period_code"] == "2026-09")][0]
    rows.loc[late, "first_accepted_at"] = pd.Timestamp(rows.loc[late, "due_date"]) + timedelta(days=12)
    result = evaluate(con, "forms_on_time", completeness=rows)
    (failure,) = result.failures
    assert failure.department_code == "350123.amr" and "迟报 12 天" in failure.message


def test_a_rule_that_raises_or_finds_no_data_fails(con):
    broken = frame(con, "fct_element_values").drop(columns=["bulletin_value"])
    assert evaluate(con, "bureau_matches_bulletin", fct_element_values=broken).status == "error"
    empty = frame(con, "current_values").iloc[0:0]
    result = evaluate(con, "unit_slip", current_values=empty)
    assert result.status == "error" and "没有可检查的数据" in result.message
    assert not result.passed


# --- the gate ------------------------------------------------------------------------------------
def _run(path: Path, run_id: str, catalogue: Catalogue = CATALOGUE) -> None:
    with duckdb.connect(str(path)) as c:
        run_checks(c, run_id=run_id, trigger="test", as_of=AS_OF, catalogue=catalogue, now=tick)


def _decision(path: Path, period: str = "2026-10"):
    with duckdb.connect(str(path), read_only=True) as c:
        return gate_decision(c, Period.parse(period))


def _slip(path: Path, factor: float) -> None:
    with duckdb.connect(str(path)) as c:
        c.execute(
            "update intermediate.int_submission_values__latest set value = value * ? "
            "where department_code = '350125.finance' and element_code = 'ip_special_fund' and period_code = '2025'",
            [factor],
        )


def test_return_refused_while_an_error_stands_and_built_once_fixed(copy: Path):
    _slip(copy, 10_000)
    _run(copy, "with-error")
    decision = _decision(copy)
    assert not decision.passed
    assert {(b.check_name, b.period_code) for b in decision.blockers} == {("unit_slip", "2025")}
    with duckdb.connect(str(copy)) as c, pytest.raises(ExplanationRefused, match="错误级"):
        record_explanation(c, "unit_slip", "2025", "想放行", "分析员", NOW)
    _slip(copy, 1 / 10_000)
    _run(copy, "fixed")
    assert _decision(copy).passed


def test_warning_refused_until_explained_and_the_note_travels(copy: Path):
    with duckdb.connect(str(copy)) as c:
        c.execute(
            "update marts.fct_submission_completeness set first_accepted_at = due_date + interval 12 day "
            "where department_code = '350123.amr' and period_code = '2026-09'"
        )
    _run(copy, "late")
    decision = _decision(copy)
    assert [(b.check_name, b.severity, b.period_code) for b in decision.blockers] == [
        ("forms_on_time", "warning", "2026-09")
    ]
    assert _decision(copy, "2025-06").passed, "a return whose scope does not read 2026-09 is not held"
    with duckdb.connect(str(copy)) as c:
        with pytest.raises(ExplanationRefused, match="不能为空"):
            record_explanation(c, "forms_on_time", "2026-09", "  ", "分析员", NOW)
        record_explanation(c, "forms_on_time", "2026-09", "系统故障致迟报，数据已核实", "张三", NOW)
    decision = _decision(copy)
    assert decision.passed
    (note,) = [i for i in decision.explained if i.check_name not in CONFLICTS]
    assert (note.explanation, note.explained_by) == ("系统故障致迟报，数据已核实", "张三")


def _late(path: Path, department: str) -> None:
    with duckdb.connect(str(path)) as c:
        c.execute(
            "update marts.fct_submission_completeness set first_accepted_at = due_date + interval 12 day "
            "where department_code = ? and period_code = '2026-09'",
            [department],
        )


def test_explanation_names_its_failure_is_refused_without_one_and_lapses_when_the_rows_change(copy: Path):
    _run(copy, "clean")
    with duckdb.connect(str(copy)) as c, pytest.raises(ExplanationRefused, match="没有未通过项"):
        record_explanation(c, "forms_on_time", "2026-09", "预先说明：可能有单位迟报", "张三", NOW)
    _late(copy, "350123.amr")
    _run(copy, "one-late")
    with duckdb.connect(str(copy)) as c:
        record_explanation(c, "forms_on_time", "2026-09", "罗源县系统故障致迟报，数据已核实", "张三", NOW)
        (named,) = c.execute(
            "select check_name, period_code, run_id, failed_rows from quality.explanations "
            "where check_name = 'forms_on_time'"
        ).fetchall()
    assert named == ("forms_on_time", "2026-09", "one-late", 1)
    _run(copy, "same-rows")
    assert _decision(copy).passed, "the same failing rows in a later run stay explained"
    _late(copy, "350124.amr")  # another department late in the same period: a failure nobody explained
    _run(copy, "another-late")
    decision = _decision(copy)
    (blocker,) = decision.blockers
    assert (blocker.check_name, blocker.period_code) == ("forms_on_time", "2026-09")
    assert "说明失效" in blocker.message and not [i for i in decision.explained if i.check_name not in CONFLICTS]


def test_gate_refuses_when_data_arrived_after_the_checks(copy: Path):
    _run(copy, "before")
    with duckdb.connect(str(copy)) as c:
        c.execute("insert into raw.submission_events values ('S999999', 'accepted', ?, 'test', null)", [NOW])
    decision = _decision(copy)
    assert [b.check_name for b in decision.blockers] == ["quality_checks_ran"]


def _accept_task_report(path: Path, at: datetime) -> None:
    """A lead unit's 榕知统16表 for 2026Q3, accepted after every figure form (as intake writes it)."""
    sid = "S20261121T0001"
    with duckdb.connect(str(path)) as c:
        c.execute(
            "insert into raw.submissions values (?, ?, 'T.xlsx', 'archive/T.xlsx', 'xlsx', ?, '350102.amr', "
            "'key_task_quarterly', 1, '350102.amr', '350102', '2026Q3', 'quarter', 1, 'accepted', 0, 0, false, "
            "'填表人', '0591-00000000', null)",
            [sid, "f" * 64, at],
        )
        c.execute(
            "insert into raw.task_reports values (?, 1, 'gulou_demo.T1.1', '350102.amr', '2026Q3', '已完成', "
            "'已出台奖励扶持政策', 'Sheet1', 'E6', 'F6', ?, ?, false)",
            [sid, "f" * 64, at],
        )
        c.execute("insert into raw.submission_events values (?, 'received', ?, 'test', null)", [sid, at])
        c.execute("insert into raw.submission_events values (?, 'accepted', ?, 'test', null)", [sid, at])


def test_gate_clears_after_a_rebuild_when_a_task_report_was_accepted_last(copy: Path):
    _accept_task_report(copy, NOW + timedelta(hours=1))
    _run(copy, "stale")
    assert [b.check_name for b in _decision(copy).blockers] == ["quality_checks_ran"], "the marts predate the report"
    run_dbt(copy, copy.parent, as_of=AS_OF.isoformat(), select="stg_raw__task_reports+ stg_raw__submission_events+")
    _run(copy, "rebuilt")
    decision = _decision(copy)
    assert decision.passed, [b.message for b in decision.blockers]


def test_gate_refuses_when_checks_never_ran(warehouse: Path):
    decision = _decision(warehouse)
    assert [b.check_name for b in decision.blockers] == ["quality_checks_ran"]


# --- Dagster ---------------------------------------------------------------------------------------
def _dagster_run(path: Path, monkeypatch: pytest.MonkeyPatch):
    from dagster import AssetKey, DagsterInstance, asset, materialize

    from orchestration.quality_checks import RETURN_MARTS, gate_assets, quality_checks

    monkeypatch.setenv("IPWH_HOME", str(path.parent / "var"))
    monkeypatch.setenv("IPWH_WAREHOUSE", str(path))
    monkeypatch.setenv("IPWH_TODAY", AS_OF.isoformat())
    keys = {tuple(r.asset_path) for r in rules_by_code().values()} | {("marts", m) for m in RETURN_MARTS}

    def stub(key: tuple[str, ...]):
        @asset(key=AssetKey(list(key)))
        def built() -> None:  # the dbt build already happened; this stands in for it
            return None

        return built

    month_gate = gate_assets()[0]
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [*(stub(k) for k in sorted(keys)), *quality_checks(), month_gate],
            partition_key="2026-10",
            instance=instance,
            raise_on_error=False,
        )
        checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
        built = {e.asset_key for e in result.get_asset_materialization_events()}
        gate_built = AssetKey(["gate", "month"]) in built
    return checks, gate_built


def test_dagster_blocking_check_stops_the_gate_and_clean_data_passes(copy: Path, monkeypatch: pytest.MonkeyPatch):
    _slip(copy, 10_000)
    checks, gate_built = _dagster_run(copy, monkeypatch)
    assert checks["unit_slip"] is False and checks["ge_fct_element_values"] is True
    assert not gate_built, "a failed blocking check stops the gate (and the returns below it)"
    _slip(copy, 1 / 10_000)
    checks, gate_built = _dagster_run(copy, monkeypatch)
    assert all(passed for name, passed in checks.items() if name not in CONFLICTS), checks
    assert gate_built and checks["gate_clear"] is True
    with duckdb.connect(str(copy), read_only=True) as c:
        assert c.execute("select count(*) from quality.check_runs where trigger = 'dagster'").fetchone()[0] == 2
    assert (copy.parent / "var" / "quality" / "index.html").exists()


# --- a run on unchanged inputs takes the last run's outcomes over --------------------------------------
def _checked(path: Path, run_id: str, built: str | None = "models-1", **kwargs):
    kwargs.setdefault("catalogue", CATALOGUE)
    with duckdb.connect(str(path)) as c:
        return run_checks(c, run_id=run_id, trigger="test", now=tick, built=built, **kwargs)


def _recorded(path: Path, run_id: str) -> tuple[list[tuple], list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as c:
        results = c.execute(
            "select * exclude (run_id) from quality.check_results where run_id = ? order by rowid", [run_id]
        ).fetchall()
        failures = c.execute(
            "select * exclude (run_id) from quality.check_failures where run_id = ? order by rowid", [run_id]
        ).fetchall()
    return results, failures


def test_a_run_on_unchanged_inputs_records_the_last_outcomes_without_evaluating(
    copy: Path, monkeypatch: pytest.MonkeyPatch
):
    _late(copy, "350123.amr")  # a failing warning, so there are failing rows to carry over
    first = _checked(copy, "evaluated", as_of=AS_OF)
    assert first.reused_from is None and first.seconds
    import expectations.evaluate

    def refuse(*_args, **_kwargs):
        raise AssertionError("a rule was evaluated although nothing it reads had changed")

    monkeypatch.setattr(expectations.evaluate, "evaluate_rule", refuse)
    second = _checked(copy, "taken-over", as_of=AS_OF)
    third = _checked(copy, "taken-over-again", as_of=AS_OF)
    assert second.outcomes == first.outcomes and third.outcomes == first.outcomes
    assert (second.reused_from, third.reused_from) == ("evaluated", "evaluated"), "named: the run that evaluated"
    assert _recorded(copy, "taken-over") == _recorded(copy, "evaluated") == _recorded(copy, "taken-over-again")
    assert _recorded(copy, "evaluated")[1], "failing rows are carried over too"
    decision = _decision(copy)
    assert decision.run_id == "taken-over-again" and decision.reused_from == "evaluated"
    assert [(b.check_name, b.period_code) for b in decision.blockers] == [("forms_on_time", "2026-09")]


def test_an_explanation_stands_on_a_run_that_took_the_outcomes_over(copy: Path):
    _late(copy, "350123.amr")
    _checked(copy, "evaluated", as_of=AS_OF)
    with duckdb.connect(str(copy)) as c:
        record_explanation(c, "forms_on_time", "2026-09", "系统故障致迟报，数据已核实", "张三", NOW)
    assert _checked(copy, "taken-over", as_of=AS_OF).reused_from == "evaluated"
    decision = _decision(copy)
    assert decision.passed and "forms_on_time" in {i.check_name for i in decision.explained}


def test_any_changed_input_evaluates_afresh(copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import expectations.reuse as reuse

    def fresh(run_id: str, **kwargs) -> bool:
        kwargs.setdefault("as_of", AS_OF)
        return _checked(copy, run_id, **kwargs).reused_from is None

    assert fresh("first")
    assert not fresh("same")
    assert fresh("other-models", built="models-2"), "the models were rebuilt, or raw data arrived"
    assert not fresh("same-again", built="models-2")
    assert fresh("next-day", built="models-2", as_of=AS_OF + timedelta(days=1))
    assert fresh("back-a-day", built="models-2")
    lenient = replace(rule("counties_sum_to_city"), threshold=0.5)
    rules = [lenient if r.code == lenient.code else r for r in rules_by_code().values()]
    assert fresh("other-threshold", built="models-2", rules=rules)
    assert fresh("default-rules", built="models-2")
    assert fresh("unknown-warehouse", built=None), "no record of what the models were built from: evaluate"
    assert fresh("known-again", built="models-2"), "a run that recorded no inputs is never taken over"
    seeds = tmp_path / "seeds"
    shutil.copytree(CATALOGUE.seeds_dir, seeds)
    assert not fresh("copied-catalogue", built="models-2", catalogue=Catalogue(seeds))
    regions = seeds / "regions.csv"
    regions.write_text(regions.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert fresh("changed-catalogue", built="models-2", catalogue=Catalogue(seeds))
    code = tmp_path / "code"
    shutil.copytree(reuse.HERE, code / "expectations", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(reuse.SOURCES, code / "sources", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(reuse, "HERE", code / "expectations")
    monkeypatch.setattr(reuse, "SOURCES", code / "sources")
    assert not fresh("copied-code", built="models-2", catalogue=Catalogue(seeds))
    settings_csv = code / "expectations" / "settings.csv"
    settings_csv.write_text(settings_csv.read_text(encoding="utf-8").replace(",13,", ",12,"), encoding="utf-8")
    assert fresh("changed-settings", built="models-2", catalogue=Catalogue(seeds))


def test_a_run_with_a_rule_that_could_not_run_is_not_taken_over(copy: Path):
    broken = replace(rule("unit_slip"), code="unit_slip_broken", kind="no_such_kind")
    rules = [*rules_by_code().values(), broken]
    first = _checked(copy, "with-error", as_of=AS_OF, rules=rules)
    assert {o.check_name: o.status for o in first.outcomes}["unit_slip_broken"] == "error"
    assert _checked(copy, "asked-again", as_of=AS_OF, rules=rules).reused_from is None


def test_the_quality_page_says_which_run_evaluated(copy: Path, tmp_path: Path):
    from expectations.publish import publish

    _checked(copy, "evaluated", as_of=AS_OF)
    _checked(copy, "taken-over", as_of=AS_OF)
    folder = tmp_path / "quality"
    with duckdb.connect(str(copy)) as c:
        publish(c, folder, "evaluated")
        publish(c, folder, "taken-over")
    page = (folder / "runs" / "taken-over.html").read_text(encoding="utf-8")
    assert "本次运行未重新评估规则" in page and "evaluated.html" in page
    assert "未重新评估" not in (folder / "runs" / "evaluated.html").read_text(encoding="utf-8")
    index = (folder / "index.html").read_text(encoding="utf-8")
    taken, evaluated = (
        re.search(rf"<tr><td><a href='runs/{name}.html'>.*?</tr>", index).group(0)
        for name in ("taken-over", "evaluated")
    )
    assert "沿用" in taken and "evaluated.html" in taken and "本次评估" in evaluated


def test_the_warehouse_state_the_checks_are_given_follows_builds_and_raw_data(copy: Path):
    from core.build_state import built_models_fingerprint
    from orchestration.build_inputs import (
        forget_models_built,
        raw_table_fingerprints,
        record_models_built,
        warehouse_state,
    )

    with duckdb.connect(str(copy)) as c:
        assert warehouse_state(c) is None, "no build of every model recorded: the checks evaluate"
        record_models_built(c, "seeds", "project", raw_table_fingerprints(c), NOW)
        before = warehouse_state(c)
        assert before is not None and before.startswith(str(built_models_fingerprint(c)))
        assert warehouse_state(c) == before
        c.execute("insert into raw.submission_events values ('S999999', 'accepted', ?, 'test', null)", [NOW])
        assert warehouse_state(c) not in (None, before), "a submission received since the build"
        forget_models_built(c)
        assert warehouse_state(c) is None
