"""The quality gate in Dagster: one asset check per rule on the asset it guards, and the gate assets.

- `quality_checks()`: one `@multi_asset_check` whose specs are one AssetCheckSpec per rule of
  expectations/rules.csv (error severity = blocking). It evaluates every rule in one step, records the
  run (run_id = the Dagster run id) in the warehouse's `quality` schema, publishes the HTML page and
  yields one result per spec. A rule that raised, could not import or found no data fails.
  A result judges the current window (period ends within `window_months` of the as-of day): older
  failures are recorded and shown in metadata but do not stop this month's returns; explained
  warnings pass.
- `gate_assets()`: gate/month, gate/quarter, gate/year, partitioned by period, downstream of the
  marts; each evaluates `gate_decision` for its partition and carries the check `gate_clear`, whose
  result lists the reasons as metadata. The returns sit downstream and build nothing while the gate
  is closed (they ask the same gate): the run succeeds and reads as a verdict, not a stack trace.
"""

# No `from __future__ import annotations`: Dagster inspects the context annotations at definition time.
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset_check,
)

from expectations.rules import Rule, load_rules, setting
from orchestration.names import GATE_CHECK
from orchestration.partitions import PERIOD_PARTITIONS, period_of_partition

if TYPE_CHECKING:
    from expectations.gate import GateDecision
    from expectations.results import CheckOutcome

GATE_GROUP = "gate"
# The marts a return reads: the gate assets depend on them (their blocking checks stop the gate).
RETURN_MARTS = (
    "fct_element_values",
    "fct_indicator_values",
    "fct_target_progress",
    "fct_submission_completeness",
    "fct_submission_completeness_summary",
)


def gate_key(period_type: str) -> AssetKey:
    return AssetKey([GATE_GROUP, period_type])


def rule_spec(rule: Rule) -> AssetCheckSpec:
    return AssetCheckSpec(
        rule.code,
        asset=AssetKey(rule.asset_path),
        description=f"{rule.name}（{'错误，阻止上报' if rule.blocking else '警告，需书面说明'}）：{rule.description}",
        blocking=rule.blocking,
        metadata={"severity": rule.severity, "threshold": rule.threshold, "rules_file": "expectations/rules.csv"},
    )


def rule_check_keys() -> list[AssetCheckKey]:
    """The keys of the rules' asset checks (what `ipwh run` selects when it reruns only the checks)."""
    return [AssetCheckKey(AssetKey(r.asset_path), r.code) for r in load_rules()]


def quality_checks() -> list[Any]:
    """Asset checks guarding the marts and the submitted data (GE suites and cross-source rules)."""
    rules = load_rules()

    @multi_asset_check(
        name="quality_rules",
        specs=[rule_spec(r) for r in rules],
        description="质量规则（expectations/rules.csv）：GE 期望集与交叉规则，一次运行全部规则并写入仓库 quality 模式",
    )
    def quality_rules(context: AssetCheckExecutionContext) -> Iterator[AssetCheckResult]:
        yield from evaluate_in_dagster(context.run.run_id, rules)

    return [quality_rules]


def evaluate_in_dagster(run_id: str, rules: tuple[Rule, ...]) -> Iterator[AssetCheckResult]:
    """Run the rules, record them, and yield one AssetCheckResult per rule (also when the run fails)."""
    from core.settings import Settings
    from orchestration.quality_commands import run_quality_checks

    settings = Settings.from_env()
    try:
        run, page = run_quality_checks(settings, "dagster", run_id=run_id)
    except Exception as exc:  # the checks could not run at all: every rule fails, none passes
        for rule in rules:
            yield AssetCheckResult(
                asset_key=AssetKey(rule.asset_path),
                check_name=rule.code,
                passed=False,
                severity=AssetCheckSeverity.ERROR,
                description=f"质量检查未能运行：{exc}",
                metadata={"status": "error"},
            )
        return
    explained = _explained(settings, run.run_id)
    by_code = {o.check_name: o for o in run.outcomes}
    for rule in rules:
        yield _result(rule, by_code[rule.code], run.as_of, explained, str(page), run.reused_from)


def reuse_note(reused_from: str | None) -> str:
    """How a result taken over from an earlier run says so (empty for one evaluated in this run)."""
    if not reused_from:
        return ""
    return f"（本次未重新评估：规则所读的数据、目录、规则与检查日均未变，沿用检查运行 {reused_from} 的结果）"


def _explained(settings: Any, run_id: str) -> set[tuple[str, str]]:
    from core.warehouse import read_only
    from expectations.explain import standing_explanations

    with read_only(settings.warehouse) as con:
        standing, _ = standing_explanations(con, run_id)  # only explanations of the failing rows as they are now
        return set(standing)


def _result(
    rule: Rule,
    outcome: "CheckOutcome",
    as_of: Any,
    explained: set[tuple[str, str]],
    page: str,
    reused_from: str | None = None,
) -> AssetCheckResult:
    from expectations.context import in_window

    current = [f for f in outcome.failures if in_window(f.period_code, as_of)]
    standing = [f for f in current if not (rule.severity == "warning" and (rule.code, f.period_code) in explained)]
    passed = outcome.status != "error" and not standing
    sample = standing or outcome.failures
    rows = setting("sample_rows")
    table = "\n".join(
        f"| {f.period_code or '—'} | {f.department_code or '—'} | {f.subject_code or '—'} | "
        f"{(f.observed or '—')} | {f.message.replace('|', '/')} |"
        for f in sample[:rows]
    )
    metadata: dict[str, Any] = {
        "status": outcome.status,
        "checked_rows": outcome.checked_rows or 0,
        "failed_rows": len(outcome.failures),
        "failed_rows_in_window": len(current),
        "standing_rows": len(standing),
        "explained_rows": len(current) - len(standing),
        "html": page_link(page),
        "evaluated_in": reused_from or "本次运行",
    }
    if sample:
        metadata["rows"] = MetadataValue.md("| 报告期 | 单位 | 数据项 | 实际 | 问题 |\n|---|---|---|---|---|\n" + table)
    if outcome.status == "error" or not outcome.failures:
        description = outcome.message
    elif passed and current:
        description = f"{outcome.message}（当前窗口内的问题已由分析人员书面说明）"
    elif passed:
        description = f"{outcome.message}（问题均在当前窗口之前，已记录，不阻止本期上报）"
    else:
        description = outcome.message
    description = reuse_note(reused_from) + description
    severity = (
        AssetCheckSeverity.WARN
        if rule.severity == "warning" and outcome.status != "error"
        else (AssetCheckSeverity.ERROR)
    )
    return AssetCheckResult(
        asset_key=AssetKey(rule.asset_path),
        check_name=rule.code,
        passed=passed,
        severity=severity,
        description=description[:2000],
        metadata=metadata,
    )


def page_link(page: str) -> MetadataValue:
    """The quality page as a link the Dagster UI opens (a file:// URL), not a bare path."""
    from pathlib import Path

    return MetadataValue.url(Path(page).resolve().as_uri())


def gate_assets() -> list[Any]:
    """Per-period gate assets (month, quarter, year) with their blocking check `gate_clear`."""
    return [_gate_asset(period_type) for period_type in PERIOD_PARTITIONS]


def _gate_asset(period_type: str) -> Any:
    key = gate_key(period_type)
    label = {"month": "月报", "quarter": "季报", "year": "年报"}[period_type]

    @asset(
        key=key,
        group_name=GATE_GROUP,
        partitions_def=PERIOD_PARTITIONS[period_type],
        deps=[AssetKey(["marts", mart]) for mart in RETURN_MARTS],
        check_specs=[
            # Not blocking: a closed gate is a verdict, not a crash. The check fails (ERROR) with the
            # reasons as metadata, the returns asset below builds nothing, and the run succeeds.
            AssetCheckSpec(
                GATE_CHECK,
                asset=key,
                blocking=False,
                description=f"{label}上报关卡：该报告期上报所读的数据没有错误，警告均已书面说明；未通过时不生成上报报表",
            )
        ],
        description=f"{label}上报关卡：按报告期评估质量检查结果（gate_decision），不保存其他内容；上报报表位于其下游。",
        kinds={"python"},
    )
    def gate(context: AssetExecutionContext) -> MaterializeResult:
        period = period_of_partition(period_type, context.partition_key)
        decision = evaluate_gate(period)
        return MaterializeResult(
            metadata=gate_metadata(decision),
            check_results=[
                AssetCheckResult(
                    check_name=GATE_CHECK,
                    passed=decision.passed,
                    severity=AssetCheckSeverity.ERROR,
                    description=gate_description(decision),
                    metadata=gate_metadata(decision),
                )
            ],
        )

    return gate


def evaluate_gate(period: Any) -> "GateDecision":
    from core.settings import Settings
    from core.warehouse import read_only
    from expectations.gate import gate_decision

    with read_only(Settings.from_env().warehouse) as con:
        return gate_decision(con, period)


def gate_description(decision: "GateDecision") -> str:
    reused = reuse_note(decision.reused_from)
    if decision.passed:
        note = f"；{len(decision.explained)} 项警告已书面说明，写入报表附注" if decision.explained else ""
        return f"{decision.period_code} 关卡通过{note}。{reused}"
    lines = [f"{decision.period_code} 关卡未通过，上报被阻止：{reused}"]
    for issue in decision.blockers:
        kind = "错误" if issue.severity == "error" else "未说明的警告"
        lines.append(f"- {issue.check_name}（{kind}，{issue.period_code or '全部报告期'}）：{issue.message}")
    lines.append(f"详情：ipwh check --period {decision.period_code}")
    return "\n".join(lines)[:4000]


def gate_metadata(decision: "GateDecision") -> dict[str, Any]:
    return {
        "period": decision.period_code,
        "passed": decision.passed,
        "check_run": decision.run_id or "—",
        "evaluated_in": decision.reused_from or decision.run_id or "—",
        "blockers": len(decision.blockers),
        "explained_warnings": len(decision.explained),
        "reasons": MetadataValue.md(gate_description(decision)),
    }
