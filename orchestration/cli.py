"""`ipwh`: the command line of the IP-plan warehouse. Messages are in Chinese for its users."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from core.settings import Settings
from core.warehouse import query
from orchestration import (
    intake_commands,
    ops_commands,
    portal_commands,
    quality_commands,
    returns_commands,
    site_commands,
    tasks_commands,
    upstream_commands,
)
from orchestration.cli_text import localise
from orchestration.console import err, friendly, out
from sources.catalogue import CatalogueError, load

localise()  # Typer's own help and usage-error strings in Chinese (read when help or an error is shown)
app = typer.Typer(
    help="知识产权规划监测数据仓库：报表接收、质量关卡、上报报表与分析快照。\n\n示例：ipwh run",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)
catalogue_app = typer.Typer(
    help="查看与校验目录（规划、目标、指标、报表、部门）。\n\n示例：ipwh catalogue plans", no_args_is_help=True
)
app.add_typer(catalogue_app, name="catalogue")
intake_commands.register(app)
quality_commands.register(app)
returns_commands.register(app)
ops_commands.register(app)
tasks_commands.register(app)
site_commands.register(app)
portal_commands.register(app)
upstream_commands.register(app)


@app.command()
@friendly
def run(
    full: Annotated[bool, typer.Option("--full", help="完整构建：目录未变也重新载入目录并运行其全部测试")] = False,
) -> None:
    """载入目录并构建仓库，再生成最近一个已结束报告期的上报报表（Dagster 进程内运行，无需服务）。

    退出码：0 全部完成；3 仓库已构建，但有上报报表被质量闸门拦下（数据问题，见提示）；1 运行出错；
    130 收到中断（Ctrl-C）或终止信号（SIGTERM）而停止。
    示例：ipwh run
    """
    settings = Settings.from_env()
    problems = load().problems()
    if problems:
        err.print("[red]目录校验未通过，未开始构建：[/red]")
        for line in problems:
            err.print(f"  - {line}")
        raise typer.Exit(1)
    out.print(f"仓库：{settings.warehouse}")
    out.print(settings.as_of_note())
    out.print("正在构建（经 Dagster 进程内运行：收件箱 → 目录 → 模型 → 检查 → 快照 → 上报报表）…")
    from orchestration.runner import EXIT_ERROR, EXIT_REFUSED, EXIT_STOPPED, run_all

    stopped = (
        "[yellow]运行已停止[/yellow]（收到中断或终止信号）：进行中的步骤已中止，仓库已释放；再次运行 ipwh run 即可。"
    )
    try:
        outcome = run_all(settings, echo=lambda line: out.print(line, markup=False), full=full)
    except KeyboardInterrupt:
        err.print(stopped, markup=True)
        raise typer.Exit(EXIT_STOPPED) from None
    if outcome.interrupted:
        err.print(stopped, markup=True)
        raise typer.Exit(EXIT_STOPPED)
    build = outcome.build
    passed = sum(c.passed for c in build.checks)
    out.print(f"构建：已物化资产 {len(build.materialized)} 个；通过检查 {passed} 项；用时 {build.seconds:.0f} 秒。")
    for message in build.warnings:
        err.print(f"[yellow]注意：[/yellow]{escape(message)}", markup=True)
    for summary in (build, *outcome.returns):
        for check in summary.checks:
            if not check.passed:
                severity = "错误" if check.severity == "ERROR" else "警告"
                err.print(f"[red]检查未通过[/red]（{severity}）：{escape(check.name)}", markup=True)
    if outcome.exit_code == EXIT_ERROR:
        for summary in (build, *outcome.returns):
            for message in summary.errors:
                if not (summary.refused and message):
                    err.print(f"[red]运行失败[/red]（{summary.job}）：{escape(message)}", markup=True)
        err.print(f"运行日志：{settings.logs}；Dagster 运行记录：ipwh ui")
        raise typer.Exit(EXIT_ERROR)
    from orchestration.partitions import period_of_partition

    def period_code(summary: Any) -> str | None:
        period_type = summary.job.removeprefix("returns_")
        return period_of_partition(period_type, summary.partition).code if summary.partition else None

    for summary in outcome.returns:
        if summary.success and not summary.refused:
            code = period_code(summary)
            if f"returns/{summary.job.removeprefix('returns_')}" in summary.reused:
                out.print(f"上报报表 {code} 的输入未变，草稿保持不变：{settings.outbox / str(code)}")
            else:
                out.print(f"[green]已生成上报报表[/green] {code}：{settings.outbox / str(code)}")
    if settings.snapshot_db.exists():
        out.print(f'分析快照：{settings.snapshot_db}（ipwh query "select …"）')
    if outcome.exit_code == EXIT_REFUSED:
        for summary in (build, *outcome.returns):
            if not summary.refused:
                continue
            period = period_code(summary)
            if period is None:
                # The build's own blocking checks: the returns downstream of them did not run.
                names = "、".join(check.name.rsplit(":", 1)[-1] for check in summary.blockers)
                err.print(f"[yellow]阻断性检查未通过[/yellow]：{escape(names)}", markup=True)
                continue
            hint = f"ipwh check --period {period}"
            err.print(f"[yellow]未上报[/yellow]：{period} 被质量闸门拦下。处理：{hint}", markup=True)
        err.print(f"检查结果（网页）：{settings.home / 'quality' / 'index.html'}")
        raise typer.Exit(EXIT_REFUSED)
    out.print("[green]完成。[/green] 查看规划与目标：ipwh catalogue plans")


@app.command()
@friendly
def paths() -> None:
    """显示仓库、收件箱、归档与发件箱的位置。

    示例：IPWH_HOME=/data/ipwh ipwh paths
    """
    s = Settings.from_env()
    table = Table("用途", "路径")
    for label, value in (
        ("数据根目录", s.home),
        ("仓库 (DuckDB)", s.warehouse),
        ("Dagster 实例", s.dagster_home),
        ("收件箱", s.inbox),
        ("归档", s.archive),
        ("发件箱", s.outbox),
        ("回执", s.receipts),
        ("签名密钥与下级公钥", s.keys),
    ):
        table.add_row(label, str(value))
    out.print(table)
    out.print(s.as_of_note())
    if s.region_override:
        out.print(f"本系统区划：{s.region_override}（由 IPWH_REGION 设定）")
    if s.raw_zone:
        out.print(f"原始区（Parquet，每次接收后写出）：{s.raw_zone}（由 IPWH_RAW_ZONE 设定）")
    if s.marts_parquet:
        out.print(f"数据集市读取自 Parquet：{s.marts_parquet}（由 IPWH_MARTS_SOURCE 设定）")


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    text = format(value, "f") if hasattr(value, "as_tuple") else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


@catalogue_app.command("plans")
@friendly
def catalogue_plans(
    plan: Annotated[str | None, typer.Option("--plan", "-p", help="只显示该规划（编码），如 fz_14th")] = None,
) -> None:
    """列出仓库中的每个规划及其目标、基期、目标值与出处（读自已构建的仓库）。

    示例：ipwh catalogue plans --plan fz_14th
    """
    settings = Settings.from_env()
    known = set(load().plans)
    if plan is not None and plan not in known:
        raise CatalogueError(f"没有编码为 {plan!r} 的规划。可选：{'、'.join(sorted(known))}")
    _, plans = query(
        settings.warehouse,
        "select plan_code, plan_title, doc_number, issuer, region_code, start_date, end_date "
        "from catalogue.plans where ? is null or plan_code = ? order by start_date, plan_code",
        [plan, plan],
    )
    _, targets = query(
        settings.warehouse,
        "select plan_code, target_no, indicator_name, "
        "case when 'inferred' in (indicator_name_status, target_name_status) then 'inferred' else 'stated' end, "
        "target_kind_name, comparator, target_value, target_unit_name, target_date, baseline_value, baseline_period, "
        "citation, target_value_status, baseline_status "
        "from marts.dim_plan_targets where ? is null or plan_code = ? order by plan_code, target_no",
        [plan, plan],
    )
    for code, title, doc_no, issuer, region, start, end in plans:
        mine = [t for t in targets if t[0] == code]
        table = Table(
            title=f"{title}（{code}）",
            caption=f"{issuer} {doc_no or '文号未见'} · 区划 {region} · {start} 至 {end}",
            show_lines=False,
        )
        for column in ("序号", "指标", "目标类型", "目标", "基期", "目标日期", "出处"):
            table.add_column(column, overflow="fold")
        for row in mine:
            _, no, name, name_status, kind_name, comparator, value, unit, date, base, base_period, cite = row[:12]
            status, base_status = row[12], row[13]
            label = f"{name}（推断）" if name_status == "inferred" else name
            if status == "unknown":
                goal = "目标值未知"
            elif value is None:
                goal = kind_name or "—"
            else:
                goal = f"{comparator or ''}{_fmt(value)} {unit}" + ("（推断）" if status == "inferred" else "")
            baseline = (
                f"{_fmt(base)}（{base_period}）"
                if base is not None
                else (f"基期 {base_period}" if base_period else "—")
            ) + ("（推断）" if base_status == "inferred" else "")
            table.add_row(str(no), label, kind_name or "—", goal, baseline, str(date), cite)
        if not mine:
            table.add_row("—", "（本规划无量化目标）", "—", "—", "—", "—", "—")
        out.print(table)


@catalogue_app.command("check")
@friendly
def catalogue_check() -> None:
    """校验目录文件之间的引用与唯一性（不需要仓库，约一秒）。

    示例：ipwh catalogue check
    """
    problems = load().problems()
    if problems:
        for line in problems:
            err.print(f"[red]✗[/red] {line}")
        raise typer.Exit(1)
    out.print("[green]目录校验通过。[/green]")


@catalogue_app.command("forms")
@friendly
def catalogue_forms() -> None:
    """列出各报表（含重点任务季报）：表号、报告期、报送期限与数据项数。

    示例：ipwh catalogue forms
    """
    cat = load()
    counts: dict[str, int] = {}
    for row in cat.rows("form_elements"):
        counts[row["form_code"]] = counts.get(row["form_code"], 0) + 1
    led = {r["task_code"] for r in cat.rows("task_units") if r["unit_role"] == "lead"}
    period = {"month": "月报", "quarter": "季报", "year": "年报"}
    table = Table("表号", "报表", "编码", "报告期", "期末后报送天数", "数据项")
    for f in cat.rows("forms"):
        table.add_row(
            f["table_no"],
            f["form_name"],
            f["form_code"],
            period[f["period_type"]],
            f["due_days"],
            str(counts.get(f["form_code"], 0)),
        )
    for f in cat.rows("task_forms"):
        table.add_row(
            f["table_no"],
            f["form_name"],
            f["form_code"],
            period[f["period_type"]],
            f["due_days"],
            f"每项任务一行（{len(led)} 项有牵头单位）",
        )
    out.print(table)


@catalogue_app.command("departments")
@friendly
def catalogue_departments(
    region: Annotated[str | None, typer.Option("--region", "-r", help="区划代码，如 350102")] = None,
) -> None:
    """列出部门（报送单位与责任单位）。

    示例：ipwh catalogue departments --region 350102
    """
    cat = load()
    regions = {r["region_code"]: r["region_name"] for r in cat.rows("regions")}
    if region is not None and region not in regions:
        raise CatalogueError(f"区划代码 {region!r} 不在目录中（应为 6 位或 12 位代码，如 350102）。")
    table = Table("编码", "名称", "区划", "报送数据")
    for d in cat.rows("departments"):
        if region is None or d["region_code"] == region:
            table.add_row(
                d["department_code"],
                d["department_name"],
                regions[d["region_code"]],
                "是" if d["submits_data"] == "true" else "否",
            )
    out.print(table)


@app.command()
@friendly
def docs() -> None:
    """生成供分析人员查阅的 dbt 文档（每个数据集市与字段的中英文说明），单个 HTML 文件。

    示例：ipwh docs
    """
    from orchestration.docs import DocsError, build_docs

    try:
        index = build_docs(Settings.from_env())
    except DocsError as exc:
        err.print(f"[red]错误：[/red]{exc}")
        raise typer.Exit(1) from None
    out.print(f"文档已生成：{index}（用浏览器直接打开）")


def main() -> None:
    app(prog_name="ipwh")


if __name__ == "__main__":
    sys.exit(main())
