"""`ipwh ui | query | shell | remind`: the web UI, SQL on the analysts' snapshot, and the reminder.

`query`, `shell` and `remind` import neither Dagster nor dbt: they start in well under a second.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from core.settings import REPO_ROOT, Settings
from orchestration.console import UsageError, err, friendly, out

DEFAULT_MAX_ROWS = 200


def register(app: typer.Typer) -> None:
    """Add this module's commands to `ipwh`."""
    app.command("ui")(ui)
    app.command("query")(query_snapshot)
    app.command("shell")(shell)
    app.command("remind")(remind)


def _beside_python(name: str) -> str:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else name


def ui_command(settings: Settings, port: int, host: str = "127.0.0.1") -> list[str]:
    """`dagster dev`: the web UI plus the daemon that runs the schedules and sensors."""
    return [
        _beside_python("dagster"),
        "dev",
        "-m",
        "orchestration.definitions",
        "-h",
        host,
        "-p",
        str(port),
    ]


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@friendly
def ui(
    port: Annotated[int, typer.Option("--port", "-p", help="端口（默认 3000）")] = 3000,
) -> None:
    """启动 Dagster 网页界面（仅本机 127.0.0.1）与调度守护进程：资产图、检查、调度、传感器、运行记录。

    收件箱传感器与各项调度在界面运行期间自动执行。按 Ctrl+C 停止。
    示例：ipwh ui --port 3000
    """
    if not 1 <= port <= 65535:
        raise UsageError(f"--port 应为 1–65535 之间的端口号，收到 {port}")
    host = "127.0.0.1"
    if not _port_free(host, port):
        raise UsageError(f"端口 {port} 已被占用：请换一个端口，如 ipwh ui --port {port + 1}")
    settings = Settings.from_env()
    out.print("正在准备（目录、dbt 清单、原始表）…")
    from orchestration.runner import prepare

    prepare(settings)
    env = {**os.environ, "DAGSTER_HOME": str(settings.dagster_home)}
    out.print(f"Dagster 界面：http://{host}:{port}  （实例目录 {settings.dagster_home}；Ctrl+C 停止）")
    process = subprocess.Popen(ui_command(settings, port, host), cwd=REPO_ROOT, env=env)
    try:
        code = process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.terminate()
            code = process.wait(timeout=10)
        out.print("界面已停止。")
        return
    if code != 0:
        err.print(f"[red]Dagster 界面异常退出（退出码 {code}）。[/red]")
        raise typer.Exit(1)


@friendly
def query_snapshot(
    sql: Annotated[str, typer.Argument(help="SQL 查询（只读），如 select * from marts.dim_plan_targets limit 5")],
    as_csv: Annotated[bool, typer.Option("--csv", help="以 CSV 输出到标准输出（全部行，数值不取舍）")] = False,
    max_rows: Annotated[int, typer.Option("--max-rows", help="最多显示的行数")] = DEFAULT_MAX_ROWS,
    vertical: Annotated[
        bool | None,
        typer.Option("--vertical/--table", "-x", help="逐行竖排显示（列名：值）或表格；缺省时放不下的宽结果自动竖排"),
    ] = None,
) -> None:
    """在分析快照（只读，每次构建成功后发布）上执行 SQL 并显示结果；不会阻塞定时构建。

    表：marts.*、catalogue.*、meta.snapshot（发布时间）。数值按其计量单位的小数位显示；列太多时逐行竖排。
    交互式查询：ipwh shell。
    示例：ipwh query "select plan_code, count(*) from marts.dim_plan_targets group by 1"
    """
    import duckdb

    from core.snapshot import open_snapshot
    from orchestration.query_output import print_result

    if not sql.strip():
        raise UsageError('请给出 SQL，例如：ipwh query "select * from marts.dim_plan_targets limit 5"')
    if max_rows < 1:
        raise UsageError(f"--max-rows 应为正整数，收到 {max_rows}")
    settings = Settings.from_env()
    con = open_snapshot(settings)
    try:
        try:
            cursor = con.execute(sql)
        except duckdb.Error as exc:
            raise UsageError(f"SQL 无法执行（快照为只读，仅支持查询）：{_first_line(exc)}") from None
        if cursor.description is None:
            out.print("（语句没有返回结果）")
            return
        columns = [d[0] for d in cursor.description]
        if as_csv:
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(columns)
            for row in cursor.fetchall():
                writer.writerow(["" if v is None else v for v in row])
            return
        rows = cursor.fetchmany(max_rows + 1)
    finally:
        con.close()
    print_result(out, columns, rows[:max_rows], vertical)
    more = f"（仅显示前 {max_rows} 行，用 --max-rows 或 --csv 查看更多）" if len(rows) > max_rows else ""
    out.print(f"{min(len(rows), max_rows)} 行{more}")


@friendly
def shell() -> None:
    """交互式只读 SQL（分析快照）：输入以分号结尾的查询，结果与 ipwh query 相同；.tables 列出表，.quit 退出。

    不需要另装 duckdb 命令行程序（其 1.5 版打不开本仓库 DuckDB 2.0 写的文件）。
    示例：ipwh shell
    """
    from orchestration.shell import run_shell

    run_shell(Settings.from_env(), sys.stdin, out)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@friendly
def remind(
    days: Annotated[int, typer.Option("--days", help="提醒未来几天内到期的报表")] = 7,
    no_mail: Annotated[bool, typer.Option("--no-mail", help="即使配置了 SMTP 也不发邮件")] = False,
) -> None:
    """列出未来几天内到期及逾期未报的单位，写入 alerts/<日期>.txt 与 .csv；配置 IPWH_SMTP_HOST 时发邮件。

    与每日提醒调度相同。示例：ipwh remind --days 7
    """
    from orchestration.reminders import remind as run_remind
    from orchestration.reminders import render_text

    if not 0 <= days <= 366:
        raise UsageError(f"--days 应在 0–366 之间，收到 {days}")
    report = run_remind(Settings.from_env(), days, send_mail=not no_mail)
    out.print(escape(render_text(report)))
    out.print(f"已写入：{report.text_path}、{report.csv_path}")
    if report.mailed_to:
        out.print(f"已发送邮件至：{', '.join(report.mailed_to)}")
