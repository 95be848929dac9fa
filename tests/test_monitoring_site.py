"""The monitoring site (ipwh site): every plan, target and region has its page, and the figures on
the pages equal the marts'; text from the catalogue and submissions is escaped; downloads and the
'what changed' page work. Built from the shared sample; the browser checks are in
test_monitoring_site_browser.py."""

from __future__ import annotations

import csv
import html
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb
import openpyxl
import pytest
from typer.testing import CliRunner

from core.settings import Settings
from monitoring_site.build import build_site
from monitoring_site.formatting import slug
from orchestration.cli import app
from tests.sample_cache import AS_OF
from tests.site_support import BuiltSite, build_sample_site, shown

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return build_sample_site(tmp_path_factory)


def _decimals(site: BuiltSite) -> dict[str, int]:
    return dict(site.mart("select unit_code, decimals from catalogue.units"))


def test_every_plan_target_and_region_has_a_page(site: BuiltSite) -> None:
    plans = [r[0] for r in site.mart("select plan_code from catalogue.plans")]
    targets = [r[0] for r in site.mart("select target_code from marts.fct_target_progress")]
    assert len(targets) > 40
    index = site.page("index.html")
    for plan in plans:
        assert f'href="plans/{slug(plan)}.html"' in index
        assert (site.folder / "plans" / f"{slug(plan)}.html").exists()
    for target in targets:
        assert (site.folder / "targets" / f"{slug(target)}.html").exists(), target
        assert (site.folder / "downloads" / f"{slug(target)}.csv").exists()
        assert (site.folder / "downloads" / f"{slug(target)}.xlsx").exists()
    for region in ("350100", "350102", "350125"):
        assert (site.folder / "regions" / f"{region}.html").exists()
    for page in ("quality.html", "changes.html", "static/vendor/echarts/echarts.min.js"):
        assert (site.folder / page).exists()


def test_home_counts_targets_by_status_as_the_marts_do(site: BuiltSite) -> None:
    index = site.page("index.html")
    head = index.split("<h2>各规划目标进展</h2>", 1)[1].split("</thead>", 1)[0]
    columns = re.findall(r'<span class="badge [a-z-]+">([^<]+)</span>', head)
    assert {"已完成", "未完成", "进度正常", "需加快", "滞后", "数据不足"} <= set(columns)
    rows = site.mart(
        "select p.plan_title, p.doc_number, count(t.target_code), "
        "count(*) filter (where t.status = '滞后'), count(*) filter (where t.status = '已完成') "
        "from catalogue.plans p left join marts.fct_target_progress t using (plan_code) group by all"
    )
    for title, doc_number, total, behind, done in rows:
        row = re.search(rf"<tr>\s*<td><a [^>]*>{re.escape(html.escape(title))}</a>.*?</tr>", index, re.S)
        assert row, title
        counts = map(int, re.findall(r'<td class="num">(\d+)</td>', row.group(0)))
        cells = dict(zip([*columns, "合计"], counts, strict=True))
        assert cells["已完成"] == done and cells["滞后"] == behind and cells["合计"] == total, title
        assert html.escape(doc_number or "—") in row.group(0)
    assert "最新数据截至" in index and "质量关卡" in index


def test_plan_page_lists_every_target_with_its_text_citation_and_status(site: BuiltSite) -> None:
    rows = site.mart(
        "select plan_code, target_code, target_text, citation, status from marts.fct_target_progress "
        "where plan_code = 'fz_14th'"
    )
    page = site.page("plans/fz_14th.html")
    for _plan, target, text, citation, _status in rows:
        assert f'href="../targets/{slug(target)}.html"' in page
        assert html.escape(text) in page
        assert html.escape(citation) in page
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    statuses = re.findall(r'<span class="badge ([a-z-]+)">([^<]+)</span>', body)
    assert sorted(s for _cls, s in statuses) == sorted(r[4] for r in rows), "one badge per target, with its text"


def test_target_pages_show_the_marts_figures(site: BuiltSite) -> None:
    decimals = _decimals(site)
    rows = site.mart(
        "select target_code, current_value, target_unit_code, target_unit_name, status, completion_pct, "
        "time_elapsed_pct from marts.fct_target_progress"
    )
    checked = 0
    for code, current, unit, unit_name, status, completion, elapsed in rows:
        page = site.page(f"targets/{slug(code)}.html")
        assert f">{status}</span>" in page, code
        if current is not None:
            assert f"<th>现值</th><td>{shown(current, decimals[unit])} {unit_name}" in page, code
            checked += 1
        if completion is not None:
            assert f"<th>完成率</th><td>{shown(completion, 1)}%" in page, code
        if elapsed is not None:
            assert f"<th>序时进度</th><td>{shown(elapsed, 1)}%" in page, code
    assert checked > 30


def test_county_breakdown_equals_the_mart_with_yoy(site: BuiltSite) -> None:
    target, period, unit = site.mart(
        "select target_code, latest_period_code, target_unit_code from marts.fct_target_progress "
        "where plan_code = 'fz_14th' and indicator_code = 'invention_patents_per_10k'"
    )[0]
    counties = site.mart(
        "select v.region_name, v.value, v.yoy_pct from marts.fct_indicator_values v "
        "join catalogue.regions r using (region_code) "
        "where v.indicator_code = 'invention_patents_per_10k' and r.parent_code = '350100' and v.period_code = ? "
        "and v.value is not null order by v.value desc",
        [period],
    )
    assert len(counties) >= 10
    page = site.page(f"targets/{slug(target)}.html")
    section = page.split("<h2>各县（市、区）", 1)[1].split("<h2>", 1)[0]
    decimals = _decimals(site)[unit]
    for rank, (name, value, yoy) in enumerate(counties, start=1):
        yoy_text = "—" if yoy is None else f"{float(yoy):+,.1f}%"
        row = f'<td class="num">{rank}</td><td>{name}</td><td class="num">{shown(value, decimals)}</td>'
        assert row in section, name
        assert yoy_text in section
    assert 'data-chart="chart-county"' in section, "the bar chart sits beside the table"


def test_quality_page_names_the_late_and_missing_departments(site: BuiltSite) -> None:
    late = site.mart(
        "select department_name, period_code from marts.fct_submission_completeness "
        "where period_code = '2026Q3' and (is_late or is_missing)"
    )
    assert late, "the sample plants a late and a missing quarterly form"
    section = site.page("quality.html").split("<h2>", 2)[1]
    for department, period in late:
        assert html.escape(department) in section and period in section
    page = site.page("quality.html")
    history = page.split("质量关卡历史", 1)[1]
    assert re.search(r"<td>test</td>", history), "the check run of the fixture is in the gate history"
    index = site.page("index.html")
    assert "关闭（不得上报）" in index, "the sample's first run shuts the gate"


def test_downloads_hold_the_data_behind_the_target_page(site: BuiltSite) -> None:
    target = site.mart(
        "select target_code from marts.fct_target_progress where plan_code = 'fz_14th' order by target_no limit 1"
    )[0][0]
    with open(site.folder / "downloads" / f"{slug(target)}.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    kinds = {r["数据"] for r in rows}
    assert {"年度实际值", "分地区", "目标路径与预计"} <= kinds
    book = openpyxl.load_workbook(site.folder / "downloads" / f"{slug(target)}.xlsx", read_only=True)
    sheet = book["数据"]
    assert sheet.max_row == len(rows) + 2  # title row, header row, data
    book.close()


def test_every_link_in_the_site_resolves_to_a_file(site: BuiltSite) -> None:
    broken = []
    for page in site.folder.rglob("*.html"):
        for link in re.findall(r'(?:href|src)="([^"]+)"', page.read_text(encoding="utf-8")):
            parsed = urlparse(link)
            assert not parsed.scheme and not parsed.netloc, f"{page}: {link} leaves the site"
            if not (page.parent / unquote(parsed.path)).resolve().exists():
                broken.append(f"{page.relative_to(site.folder)} → {link}")
    assert not broken, broken[:10]


def _hostile_copy(site: BuiltSite, root: Path) -> Settings:
    settings = Settings(home=root, warehouse=root / "warehouse.duckdb", today_override=AS_OF)
    settings.snapshot.mkdir(parents=True)
    shutil.copyfile(site.settings.snapshot_db, settings.snapshot_db)
    return settings


SCRIPT = "<script>alert('x')</script>"


def test_hostile_catalogue_and_submission_text_is_escaped_everywhere(site: BuiltSite, tmp_path: Path) -> None:
    settings = _hostile_copy(site, tmp_path / "var")
    with duckdb.connect(str(settings.snapshot_db)) as con:
        con.execute("update catalogue.plans set plan_title = ? where plan_code = 'fz_14th'", [f"规划{SCRIPT}"])
        con.execute(
            "update marts.fct_target_progress set target_text = ?, target_code = '../../evil\"><b>' "
            "where target_code = (select min(target_code) from marts.fct_target_progress where plan_code = 'fz_14th')",
            ['<img src=x onerror="alert(1)">'],
        )
        con.execute(
            "update marts.fct_indicator_values set region_name = ? where region_code = '350102'",
            ['=HYPERLINK("http://evil")</script><script>alert(2)</script>'],
        )
        con.execute("update marts.fct_submission_completeness set department_name = ?", [f"局{SCRIPT}"])
    result = build_site(settings)
    for page in result.folder.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert SCRIPT not in text and "<img src=x" not in text and "<script>alert(2)" not in text, page
    index = (result.folder / "index.html").read_text(encoding="utf-8")
    assert "规划&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in index
    evil = slug('../../evil"><b>')
    assert (result.folder / "targets" / f"{evil}.html").exists(), "a hostile code becomes a safe file name"
    assert not (tmp_path / "evil").exists()
    with open(result.folder / "downloads" / f"{evil}.csv", encoding="utf-8-sig") as handle:
        regions = {row["地区"] for row in csv.DictReader(handle)}
    assert '\'=HYPERLINK("http://evil")</script><script>alert(2)</script>' in regions, "no formula in the CSV"
    book = openpyxl.load_workbook(result.folder / "downloads" / f"{evil}.xlsx")
    cells = [c for row in book["数据"].iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells), "written as text, not as a formula"


def test_what_changed_lists_a_corrected_figure_with_its_reason(site: BuiltSite, tmp_path: Path) -> None:
    settings = _hostile_copy(site, tmp_path / "var")
    first = build_site(settings)
    assert "第一次生成" in (first.folder / "changes.html").read_text(encoding="utf-8")
    with duckdb.connect(str(settings.snapshot_db)) as con:
        con.execute(
            "update marts.fct_indicator_values set value = value + 1 where indicator_code = 'valid_invention_patents' "
            "and region_code = '350125' and period_code = '2025'"
        )
        con.execute(
            "update marts.fct_submission_completeness set latest_version = latest_version + 1 "
            "where region_code = '350125' and period_code = '2025-12'"
        )
    second = build_site(settings)
    page = (second.folder / "changes.html").read_text(encoding="utf-8")
    row = re.search(r"<tr><td>有效发明专利数量（永泰县，2025年）</td>.*?</tr>", page)
    assert row and "部门报送了新版本（更正）" in row.group(0)
    assert page.count("<tr><td>") == 1 + 0, "only the changed figure is listed"


def test_ipwh_site_without_a_snapshot_says_so_in_chinese(ipwh_home: Path) -> None:
    result = CliRunner().invoke(app, ["site"])
    assert result.exit_code == 1
    assert "分析快照" in result.output and "Traceback" not in result.output


def test_ipwh_site_writes_the_site_and_reports_the_pages(site: BuiltSite, tmp_path: Path, monkeypatch) -> None:
    settings = _hostile_copy(site, tmp_path / "var")
    monkeypatch.setenv("IPWH_HOME", str(settings.home))
    monkeypatch.setenv("IPWH_TODAY", AS_OF.isoformat())
    result = CliRunner().invoke(app, ["site"])
    assert result.exit_code == 0, result.output
    assert "监测网站已生成" in result.output and (settings.home / "site" / "index.html").exists()


def test_target_page_traces_the_latest_figure_to_the_departments_forms(site: BuiltSite) -> None:
    target, period = site.mart(
        "select target_code, latest_period_code from marts.fct_target_progress "
        "where plan_code = 'fz_14th' and indicator_code = 'invention_patents_per_10k'"
    )[0]
    expected = site.mart(
        """
        select c.department_name, c.table_no, count(*), count(*) filter (where c.is_received)
        from marts.fct_submission_completeness c
        join catalogue.regions r on r.region_code = c.region_code
        where c.is_expected and (c.region_code = '350100' or r.parent_code = '350100')
          and year(c.period_end) = ? and c.form_code in (
            select form_code from catalogue.form_elements where element_code in (
              select element_code from catalogue.indicator_terms where indicator_code = 'invention_patents_per_10k'))
        group by all
        """,
        [int(period)],
    )
    assert len(expected) >= 20
    section = site.page(f"targets/{slug(target)}.html").split("<h2>报送情况", 1)[1].split("<h2>", 1)[0]
    assert section.count("<tr><td>") == len(expected)
    for department, table_no, due, received in expected:
        cells = f"<td>{html.escape(department)}</td>"
        row = next(r for r in section.split("<tr>") if cells in r and f"<td>{table_no}</td>" in r)
        assert f'<td class="num">{due}</td><td class="num">{received}</td>' in row, department
