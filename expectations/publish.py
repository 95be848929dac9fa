"""The browsable record of check runs: static HTML pages (Chinese) under <IPWH_HOME>/quality/.

index.html lists every run; runs/<run_id>.html shows each check of a run, its status and the rows
behind every failure (who must fix what). Built from the quality tables, so it never disagrees with them.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import duckdb

STATUS_LABELS = {"passed": "通过", "failed": "未通过", "error": "未能运行（视为未通过）"}
SEVERITY_LABELS = {"error": "错误（阻止上报）", "warning": "警告（需书面说明）"}
STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.passed{color:#2f6f4f}.failed{color:#b00020}.error{color:#b00020;font-weight:bold}
.muted{color:#777}
"""


def _e(value: object) -> str:
    return "—" if value is None else html.escape(str(value))


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
        "select run_id, started_at, finished_at, trigger, as_of, data_as_of from quality.check_runs where run_id = ?",
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
    head = (
        f"<p>运行 {_e(run[0])}（{_e(run[3])}）：{_e(run[1])} 开始，{_e(run[2])} 结束；检查日 {_e(run[4])}；"
        f"数据截至 {_e(run[5])}。<a href='../index.html'>全部运行</a></p>"
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


def _write_index(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    runs = con.execute(
        """
        select r.run_id, r.trigger, r.started_at, r.as_of,
               count(distinct c.check_name) filter (where c.status = 'failed'),
               count(distinct c.check_name) filter (where c.status = 'error'),
               count(distinct c.check_name)
        from quality.check_runs as r left join quality.check_results as c using (run_id)
        where r.finished_at is not null
        group by all order by r.started_at desc limit 500
        """
    ).fetchall()
    rows = "".join(
        f"<tr><td><a href='runs/{_e(_file_name(rid))}'>{_e(rid)}</a></td><td>{_e(trig)}</td><td>{_e(at)}</td>"
        f"<td>{_e(as_of)}</td><td>{total}</td><td class='failed'>{failed}</td><td class='error'>{errors}</td></tr>"
        for rid, trig, at, as_of, failed, errors, total in runs
    )
    explanations = con.execute(
        "select check_name, period_code, reason, explained_by, explained_at from quality.explanations "
        "order by explained_at desc"
    ).fetchall()
    notes = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in explanations)
    body = (
        "<h2>检查运行</h2><table><tr><th>运行</th><th>触发</th><th>开始</th><th>检查日</th><th>检查项</th>"
        f"<th>未通过</th><th>未能运行</th></tr>{rows}</table>"
        "<h2>分析人员说明（警告）</h2><table><tr><th>检查</th><th>报告期</th><th>说明</th><th>说明人</th><th>时间</th></tr>"
        f"{notes}</table>"
    )
    (folder / "index.html").write_text(_page("质量检查 · 知识产权规划监测数据仓库", body), encoding="utf-8")
