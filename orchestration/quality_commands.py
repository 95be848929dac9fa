"""`ipwh check | explain`: run the quality checks and see the gate for a period; explain a warning."""

from __future__ import annotations

import getpass
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from core.settings import Settings, local_now
from orchestration.console import UsageError, friendly, out

if TYPE_CHECKING:
    from expectations.evaluate import CheckRun
    from expectations.gate import GateDecision
    from expectations.results import Failure

_ROWS_SHOWN = 10  # rows per failing check without --all


def register(app: typer.Typer) -> None:
    """Add this module's commands to `ipwh`."""
    app.command("check")(check)
    app.command("explain")(explain)


def quality_folder(settings: Settings) -> Path:
    return settings.home / "quality"


def _require_warehouse(settings: Settings) -> None:
    if not settings.warehouse.exists():
        raise UsageError(f"仓库 {settings.warehouse} 尚不存在：请先运行 ipwh run（或 make run）建立仓库。")


def record_warning_explanation(settings: Settings, check_name: str, period: str, reason: str, by: str) -> str:
    """What `ipwh explain` does (the demo follow-up uses it too): validate and append one explanation."""
    from core.warehouse import writer
    from expectations.explain import ExplanationRefused, record_explanation, validate_explanation

    try:
        validate_explanation(check_name, period, reason)
    except ExplanationRefused as exc:
        raise UsageError(str(exc)) from None
    _require_warehouse(settings)
    with writer(settings.warehouse) as con:
        try:
            return record_explanation(con, check_name, period, reason, by, local_now())
        except ExplanationRefused as exc:
            raise UsageError(str(exc)) from None


def run_quality_checks(settings: Settings, trigger: str, run_id: str | None = None) -> tuple[CheckRun, Path]:
    """Run every rule on the warehouse, record the run and publish its HTML page."""
    from core.warehouse import writer
    from expectations.evaluate import run_checks
    from expectations.publish import publish
    from orchestration.build_inputs import warehouse_state
    from sources.catalogue import load

    _require_warehouse(settings)
    run_id = run_id or f"{trigger}-{local_now():%Y%m%d%H%M%S%f}"
    with writer(settings.warehouse) as con:
        built = con.execute("select count(*) from information_schema.tables where table_schema = 'marts'").fetchone()[0]
        if not built:
            raise UsageError(f"仓库 {settings.warehouse} 尚未构建（没有数据集市）：请先运行 ipwh run。")
        built = warehouse_state(con)  # nothing read has changed since the last run: its outcomes stand
        run = run_checks(con, run_id=run_id, trigger=trigger, as_of=settings.today, catalogue=load(), built=built)
        page = publish(con, quality_folder(settings), run_id)
    return run, page


@friendly
def check(
    period: Annotated[str, typer.Option("--period", "-p", help="报告期：月报 2026-10，季报 2026Q3，年报 2026")],
    show_all: Annotated[bool, typer.Option("--all", help="列出全部检查（含通过的）与全部问题行（含历史）")] = False,
) -> None:
    """运行质量检查，显示某报告期的上报关卡：未通过的检查、问题行、由哪个单位整改什么。

    关卡未通过（有错误，或有未说明的警告）时以状态码 1 结束。示例：ipwh check --period 2026-10
    """
    from core.warehouse import read_only
    from expectations.gate import gate_decision, periods_in_scope
    from sources.periods import Period

    settings = Settings.from_env()
    when = Period.parse(period)
    _require_warehouse(settings)
    out.print("正在运行质量检查（GE 期望集与交叉规则）…")
    run, page = run_quality_checks(settings, "cli")
    with read_only(settings.warehouse) as con:
        decision = gate_decision(con, when)
    first, last = periods_in_scope(when)
    out.print(f"检查日 {run.as_of}；{when.label}上报读取期末在 {first} 至 {last} 的数据。")
    if run.reused_from:
        out.print(
            "规则所读的数据、目录、规则与检查日自上次检查以来均未改变："
            f"本次未重新评估，沿用检查运行 {run.reused_from} 的结果。"
        )
    if show_all:
        _print_all_checks(run)
    _print_decision(run, decision, first, last, show_all)
    out.print(f"检查结果页面（HTML）：{page}")
    if not decision.passed:
        raise typer.Exit(1)


def _in_scope(code: str | None, first: object, last: object) -> bool:
    from sources.periods import Period

    if code is None:
        return True
    try:
        end = Period.parse(code).end
    except ValueError:
        return True
    return first <= end <= last  # type: ignore[operator]


def _print_all_checks(run: CheckRun) -> None:
    labels = {"passed": "[green]通过[/green]", "failed": "[red]未通过[/red]", "error": "[red]未能运行[/red]"}
    table = Table("检查", "守护的资产", "严重程度", "结果", "问题行", "说明")
    for o in run.outcomes:
        table.add_row(
            o.check_name,
            o.asset_key,
            "错误" if o.severity == "error" else "警告",
            labels[o.status],
            str(len(o.failures)),
            escape(o.message),
        )
    out.print(table)


def _print_decision(run: CheckRun, decision: GateDecision, first: object, last: object, show_all: bool) -> None:
    by_check = {o.check_name: o for o in run.outcomes}
    todo: dict[str, list[str]] = defaultdict(list)
    if decision.blockers:
        out.print(f"[red]关卡未通过：{decision.period_code} 的上报被阻止，原因 {len(decision.blockers)} 项：[/red]")
    for issue in decision.blockers:
        kind = "错误" if issue.severity == "error" else "未说明的警告"
        where = issue.period_code or "全部"
        out.print(f"\n[red]✗[/red] {issue.check_name}（{kind}，报告期 {where}）：{escape(issue.message)}")
        outcome = by_check.get(issue.check_name)
        rows = [f for f in (outcome.failures if outcome else []) if f.period_code == issue.period_code]
        _print_rows(rows if show_all else rows[:_ROWS_SHOWN], len(rows))
        for f in rows:
            todo[f.department_code or "（未能确定单位）"].append(f"{issue.check_name}：{f.message}；{f.fix or ''}")
        if issue.severity == "warning" and issue.status == "failed":
            out.print(
                f"  若确有原因，由分析人员书面说明：ipwh explain {issue.check_name} --period {issue.period_code} "
                '--reason "…"'
            )
    for issue in decision.explained:
        out.print(
            f"\n[yellow]![/yellow] {issue.check_name}（警告，报告期 {issue.period_code}）已说明："
            f"{escape(issue.explanation or '')}"
            f"（{escape(issue.explained_by or '')}，{issue.explained_at:%Y-%m-%d %H:%M}）"
        )
    if show_all:
        history = [
            (o.check_name, f) for o in run.outcomes for f in o.failures if not _in_scope(f.period_code, first, last)
        ]
        if history:
            out.print(f"\n范围之外（历史）的问题 {len(history)} 行（已记录，不阻止本期上报）：")
            for name, f in history:
                out.print(f"  - {name} {f.period_code}：{escape(f.message)}")
    if todo:
        from sources.catalogue import load

        names = {d["department_code"]: d["department_name"] for d in load().rows("departments")}
        out.print("\n整改清单（按单位）：")
        table = Table("单位", "须整改")
        for department, items in sorted(todo.items()):
            label = f"{department} {names.get(department, '')}".strip()
            table.add_row(escape(label), escape("\n".join(items)))
        out.print(table)
    if decision.passed:
        note = f"（{len(decision.explained)} 项警告已说明，将写入报表附注）" if decision.explained else ""
        out.print(f"[green]关卡通过：{decision.period_code} 可以生成上报报表{note}。[/green]")


def _print_rows(rows: list[Failure], total: int) -> None:
    if not rows:
        return
    table = Table("报告期", "单位", "报表", "数据项/规则", "实际", "应为", "问题", "回执编号")
    for f in rows:
        table.add_row(
            f.period_code or "—",
            f.department_code or "—",
            f.form_code or "—",
            f.subject_code or "—",
            escape(f.observed or "—"),
            escape(f.expected or "—"),
            escape(f.message),
            f.submission_id or "—",
        )
    out.print(table)
    if total > len(rows):
        out.print(f"  （另有 {total - len(rows)} 行未显示，加 --all 查看全部）")


@friendly
def explain(
    check_name: Annotated[str, typer.Argument(help="检查名，如 forms_on_time（见 ipwh check --all）")],
    period: Annotated[str, typer.Option("--period", "-p", help="问题所在的报告期，如 2026Q3")],
    reason: Annotated[str, typer.Option("--reason", help="书面说明（将写入上报报表附注）")],
    by: Annotated[str | None, typer.Option("--by", help="说明人（默认当前用户）")] = None,
) -> None:
    """分析人员书面说明某项警告（记录说明人与时间，并写入上报报表附注）；错误级检查不能说明放行。

    示例：ipwh explain forms_on_time --period 2026Q3 --reason "罗源县已说明系统故障致迟报"
    """
    from core.warehouse import read_only
    from sources.periods import Period

    settings = Settings.from_env()
    code = Period.parse(period).code
    actor = by or getpass.getuser()
    explanation_id = record_warning_explanation(settings, check_name, code, reason, actor)
    with read_only(settings.warehouse) as con:
        (rows,) = con.execute(
            "select failed_rows from quality.explanations where explanation_id = ?", [explanation_id]
        ).fetchone()
    out.print(
        f"已记录说明 {explanation_id}：{check_name} {code} 的 {rows} 条未通过记录（说明人 {escape(actor)}）。"
        "这些记录变化后（如又有单位迟报、数值改变），说明失效，须重新说明。"
    )
    out.print(f"查看关卡：ipwh check --period {code}")
