"""The browsable record of check runs: static HTML pages (Chinese) under <IPWH_HOME>/quality/.

index.html lists every run with the gate's verdict on the latest ended month, quarter and year and
its counts; runs/<run_id>.html shows each check of a run, its status and the rows behind every
failure (who must fix what). Built from the quality tables, so it never disagrees with them; the
verdicts are the gate's own (`gate_decision`), taken when the run is published and kept beside its
page (runs/<run_id>.gate.json), since the gate always judges the latest run.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date, datetime
from pathlib import Path

import duckdb

from expectations.gate import gate_decision
from sources.periods import Period

STATUS_LABELS = {"passed": "通过", "failed": "未通过", "error": "未能运行（视为未通过）"}
SEVERITY_LABELS = {"error": "错误（阻止上报）", "warning": "警告（需书面说明）"}
STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.passed{color:#2f6f4f}.failed{color:#b00020}.error{color:#b00020;font-weight:bold}
.muted{color:#777}td.n{text-align:right}
"""
PERIOD_TYPES = ("month", "quarter", "year")


def _e(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")  # to the second: runs minutes apart stay distinct
    return "—" if value is None else html.escape(str(value))


def _count(value: int | None, alarm: str) -> str:
    """A count cell: red only when something is wrong (a zero is good news, never red)."""
    n = value or 0
    return f"<td class='n {alarm}'>{n}</td>" if n else f"<td class='n'>{n}</td>"


def gate_periods(as_of: date) -> list[Period]:
    """The latest month, quarter and year that ended before `as_of`: what the returns would report."""
    containing = {
        "month": Period.of("month", as_of.year, as_of.month),
        "quarter": Period.of("quarter", as_of.year, (as_of.month - 1) // 3 + 1),
        "year": Period.of("year", as_of.year),
    }
    return [containing[t].previous() for t in PERIOD_TYPES]


def _gate_file(folder: Path, run_id: str) -> Path:
    return folder / "runs" / (_file_name(run_id)[: -len(".html")] + ".gate.json")


def _record_verdicts(con: duckdb.DuckDBPyConnection, folder: Path, run_id: str, as_of: date) -> list[dict]:
    verdicts = []
    for period in gate_periods(as_of):
        decision = gate_decision(con, period)
        verdicts.append(
            {
                "period": period.code,
                "passed": decision.passed,
                "blockers": len(decision.blockers),
                "explained": len(decision.explained),
                "run_id": decision.run_id,
            }
        )
    _gate_file(folder, run_id).write_text(json.dumps(verdicts, ensure_ascii=False), encoding="utf-8")
    return verdicts


def _verdict_text(verdicts: list[dict] | None) -> str:
    if not verdicts:
        return "<span class='muted'>—</span>"
    parts = []
    for v in verdicts:
        if v["passed"]:
            note = f"（{v['explained']} 项警告已说明）" if v["explained"] else ""
            parts.append(f"<span class='passed'>{_e(v['period'])} 通过{note}</span>")
        else:
            parts.append(f"<span class='failed'>{_e(v['period'])} 未通过（{v['blockers']} 项）</span>")
    return "<br>".join(parts)


def _file_name(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", run_id) + ".html"


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{_e(title)}</h1>{body}</body></html>"
    )


def publish(con: duckdb.DuckDBPyConnection, folder: Path, run_id: str) -> Path:
    """Write the run's page and refresh the index; returns the run's page."""
    (folder / "runs").mkdir(parents=True, exist_ok=True)
    run = con.execute(
        "select r.run_id, r.started_at, r.finished_at, r.trigger, r.as_of, r.data_as_of, i.reused_from "
        "from quality.check_runs as r left join quality.run_inputs as i using (run_id) where r.run_id = ?",
        [run_id],
    ).fetchone()
    results = con.execute(
        "select check_name, asset_key, severity, status, period_code, checked_rows, failed_rows, message "
        "from quality.check_results where run_id = ? order by status = 'passed', severity, check_name, period_code",
        [run_id],
    ).fetchall()
    failures = con.execute(
        "select check_name, severity, period_code, region_code, department_code, form_code, subject_code, observed, "
        "expected, message, fix, submission_id from quality.check_failures where run_id = ? "
        "order by check_name, period_code desc, department_code",
        [run_id],
    ).fetchall()
    verdicts = _record_verdicts(con, folder, run_id, run[4])
    head = (
        f"<p>运行 {_e(run[0])}（{_e(run[3])}）：{_e(run[1])} 开始，{_e(run[2])} 结束；检查日 {_e(run[4])}；"
        f"数据截至 {_e(run[5])}。<a href='../index.html'>全部运行</a></p>"
        f"{_reuse_note(run[6], '')}"
        f"<p>上报关卡（本次运行）：{_verdict_text(verdicts)}</p>"
    )
    rows = "".join(
        f"<tr><td>{_e(c)}</td><td>{_e(a)}</td><td>{_e(SEVERITY_LABELS.get(s, s))}</td>"
        f"<td class='{_e(st)}'>{_e(STATUS_LABELS.get(st, st))}</td><td>{_e(p)}</td><td>{_e(n)}</td><td>{_e(f)}</td>"
        f"<td>{_e(m)}</td></tr>"
        for c, a, s, st, p, n, f, m in results
    )
    checks = (
        "<h2>检查</h2><table><tr><th>检查</th><th>守护的资产</th><th>严重程度</th><th>结果</th><th>报告期</th>"
        f"<th>检查行数</th><th>问题行数</th><th>说明</th></tr>{rows}</table>"
    )
    fail_rows = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in failures)
    detail = (
        "<h2>问题明细（由谁整改什么）</h2><table><tr><th>检查</th><th>严重程度</th><th>报告期</th><th>区划</th>"
        "<th>整改单位</th><th>报表</th><th>数据项/规则</th><th>实际</th><th>应为</th><th>问题</th><th>整改要求</th>"
        f"<th>回执编号</th></tr>{fail_rows}</table>"
        if failures
        else "<p class='passed'>本次运行没有问题行。</p>"
    )
    page = folder / "runs" / _file_name(run_id)
    page.write_text(_page(f"质量检查结果 · {run_id}", head + checks + detail), encoding="utf-8")
    _write_index(con, folder)
    return page


def _reuse_note(reused_from: str | None, prefix: str) -> str:
    """What the page says of a run that took over another run's outcomes: which, and why."""
    if not reused_from:
        return ""
    link = f"<a href='{prefix}{_e(_file_name(reused_from))}'>{_e(reused_from)}</a>"
    return (
        "<p class='muted'>本次运行未重新评估规则：规则所读的模型与原始数据、目录、规则文件及检查日"
        f"自上次运行以来均未改变，以下结果沿用运行 {link} 的评估结果。</p>"
    )


def _write_index(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    runs = con.execute(
        """
        select r.run_id, r.trigger, r.started_at, r.finished_at, r.as_of, r.data_as_of, i.reused_from,
               count(distinct c.check_name),
               count(distinct c.check_name) filter (where c.status = 'failed'),
               count(distinct c.check_name) filter (where c.status = 'error'),
               coalesce(sum(c.failed_rows), 0)
        from quality.check_runs as r left join quality.check_results as c using (run_id)
        left join quality.run_inputs as i using (run_id)
        where r.finished_at is not null
        group by all order by r.started_at desc limit 500
        """
    ).fetchall()
    rows = []
    for rid, trig, started, finished, as_of, data_as_of, reused, total, failed, errors, failed_rows in runs:
        gate = _gate_file(folder, rid)
        verdicts = json.loads(gate.read_text(encoding="utf-8")) if gate.exists() else None
        evaluated = (
            f"沿用 <a href='runs/{_e(_file_name(reused))}'>{_e(reused)}</a>（输入未变）" if reused else "本次评估"
        )
        rows.append(
            f"<tr><td><a href='runs/{_e(_file_name(rid))}'>{_e(rid)}</a></td><td>{_e(trig)}</td><td>{evaluated}</td>"
            f"<td>{_e(started)}</td><td>{_e(finished)}</td><td>{_e(as_of)}</td><td>{_e(data_as_of)}</td>"
            f"<td>{_verdict_text(verdicts)}</td><td class='n'>{total}</td>{_count(failed, 'failed')}"
            f"{_count(errors, 'error')}{_count(failed_rows, 'failed')}</tr>"
        )
    explanations = con.execute(
        "select check_name, period_code, reason, explained_by, explained_at from quality.explanations "
        "order by explained_at desc"
    ).fetchall()
    notes = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in explanations)
    body = (
        "<p>每次运行检查全部规则（规则所读的数据、目录、规则与检查日均未改变时，沿用上次运行的评估结果，并注明沿用哪次）；“上报关卡”为该次运行后最近结束的月、季、年报告期能否上报"
        "（错误未消除或警告未书面说明即未通过；处理：ipwh check --period 报告期）。</p>"
        "<h2>检查运行</h2><table><tr><th>运行</th><th>触发</th><th>规则评估</th><th>开始</th><th>结束</th><th>检查日</th>"
        "<th>数据截至</th><th>上报关卡</th><th>检查项</th><th>未通过</th><th>未能运行</th><th>问题行</th></tr>"
        f"{''.join(rows)}</table>"
        "<h2>分析人员说明（警告）</h2><table><tr><th>检查</th><th>报告期</th><th>说明</th><th>说明人</th><th>时间</th></tr>"
        f"{notes}</table>"
    )
    (folder / "index.html").write_text(_page("质量检查 · 知识产权规划监测数据仓库", body), encoding="utf-8")
