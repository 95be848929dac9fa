"""The gate and the quality rules as the Dagster UI and `ipwh run` show them: a closed gate is a
failed check with its reasons, not a crashed step; the quality page is a link; `ipwh run` says in
words which blocking checks failed."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance, MetadataValue, asset, materialize

from expectations.gate import GateDecision, GateIssue
from orchestration.runner import EXIT_REFUSED, CheckResult, Outcome, RunSummary, _failure_text

CLOSED = GateDecision(
    period_code="2026-10",
    run_id="r1",
    checked_at=datetime(2026, 11, 21, 9, 0),
    blockers=(GateIssue("unit_slip", "error", "failed", "2025", "永泰县财政局 2025 年专项资金疑似按元填报", 1),),
    explained=(),
)


def _stub(key: AssetKey):
    @asset(key=key)
    def built() -> None:  # stands in for the dbt model the gate reads
        return None

    return built


def test_a_closed_gate_is_a_failed_check_with_reasons_and_the_run_succeeds(
    monkeypatch: pytest.MonkeyPatch, ipwh_home
) -> None:
    import orchestration.quality_checks as quality_checks
    import reports.build
    from orchestration.quality_checks import RETURN_MARTS, gate_assets
    from orchestration.return_assets import return_assets

    monkeypatch.setattr(quality_checks, "evaluate_gate", lambda period: CLOSED)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise reports.build.GateClosed(CLOSED)

    monkeypatch.setattr(reports.build, "build_in_warehouse", refuse)
    stubs = [_stub(AssetKey(["marts", m])) for m in RETURN_MARTS]
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [*stubs, gate_assets()[0], return_assets()[0]],
            partition_key="2026-10",
            instance=instance,
            selection=[AssetKey(["gate", "month"]), AssetKey(["returns", "month"])],
            raise_on_error=False,
        )
    assert result.success, "a refusal is a verdict, not a crash"
    assert not [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "gate_clear" and check.passed is False
    assert "永泰县财政局" in check.metadata["reasons"].value and check.metadata["blockers"].value == 1
    built = {e.asset_key for e in result.get_asset_materialization_events()}
    assert AssetKey(["returns", "month"]) not in built and AssetKey(["gate", "month"]) in built
    log = (ipwh_home / "alerts" / "failures.log").read_text(encoding="utf-8")
    assert "上报被质量关卡拦下" in log and "ipwh check --period 2026-10" in log  # operators still see it


def test_a_run_whose_gate_said_no_exits_refused_not_ok() -> None:
    closed = CheckResult(name="gate/month:gate_clear", passed=False, severity="ERROR", blocking=False)
    returns = RunSummary(job="returns_month", success=True, partition="2026-10", checks=[closed])
    assert returns.refused
    assert Outcome(build=RunSummary(job="build_warehouse", success=True), returns=[returns]).exit_code == EXIT_REFUSED


def test_run_names_failed_blocking_checks_in_words() -> None:
    message = (
        "dagster._core.errors.DagsterAssetCheckFailedError: 2 blocking asset checks failed with ERROR severity:\n"
        "marts/fct_element_values: counties_sum_to_city\nintermediate/int_submission_values__latest: unit_slip"
    )
    error = SimpleNamespace(cls_name="DagsterAssetCheckFailedError", message=message, cause=None)
    event = SimpleNamespace(step_failure_data=SimpleNamespace(user_failure_data=None, error=error), message="")
    text = _failure_text(event)
    assert text.startswith("阻断性检查未通过") and "counties_sum_to_city" in text and "unit_slip" in text
    assert "Dagster" not in text and "dagster._core" not in text


def test_the_quality_page_is_a_link_in_the_check_metadata(tmp_path) -> None:
    from expectations.results import CheckOutcome
    from expectations.rules import load_rules
    from orchestration.quality_checks import _result

    rule = load_rules()[0]
    outcome = CheckOutcome(rule.code, ".".join(rule.asset_path), rule.severity, "passed", "通过", checked_rows=3)
    page = tmp_path / "quality" / "index.html"
    result = _result(rule, outcome, date(2026, 11, 21), set(), str(page))
    link = result.metadata["html"]
    assert isinstance(link, type(MetadataValue.url("file:///x"))) and link.url == page.as_uri()


def test_run_progress_says_a_kept_back_return_was_not_built() -> None:
    from orchestration.runner import ProgressHandler

    lines: list[str] = []
    handler = ProgressHandler(lines.append)
    for kind in ("STEP_START", "STEP_SUCCESS"):
        handler._handle(SimpleNamespace(event_type_value=kind, step_key="returns__month"))
    assert lines[-1].strip().startswith("– 上报报表（月报） 未生成：质量闸门未通过")
    assert not any("完成" in line for line in lines)


def test_a_result_taken_over_from_an_earlier_run_says_so(tmp_path) -> None:
    from dataclasses import replace

    from expectations.results import CheckOutcome
    from expectations.rules import load_rules
    from orchestration.quality_checks import _result, gate_description, gate_metadata

    rule = load_rules()[0]
    outcome = CheckOutcome(rule.code, ".".join(rule.asset_path), rule.severity, "passed", "通过", checked_rows=3)
    page = str(tmp_path / "index.html")
    evaluated = _result(rule, outcome, date(2026, 11, 21), set(), page)
    taken = _result(rule, outcome, date(2026, 11, 21), set(), page, reused_from="dagster-r0")
    assert "未重新评估" not in (evaluated.description or "") and evaluated.metadata["evaluated_in"].value == "本次运行"
    assert (taken.description or "").startswith("（本次未重新评估") and "dagster-r0" in (taken.description or "")
    assert taken.metadata["evaluated_in"].value == "dagster-r0" and taken.passed == evaluated.passed
    reused = replace(CLOSED, reused_from="r0")
    assert "沿用检查运行 r0 的结果" in gate_description(reused) and "沿用" not in gate_description(CLOSED)
    assert gate_metadata(reused)["evaluated_in"] == "r0" and gate_metadata(CLOSED)["evaluated_in"] == "r1"
