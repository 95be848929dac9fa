"""Returns built from a copy of the sample warehouse, read back with openpyxl and python-calamine and
checked against the marts: values, number formats, layout cells, print setup, 示例数据 marks,
traceability, explained warnings, byte identity and formula injection."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from reports.build import BuildOutcome, ReturnsError, build_period
from reports.spec import load_definitions
from sources.forms.xlsx_template import SAMPLE_MARK, number_format
from sources.periods import Period
from tests.print_support import (
    NOTE_LINE,
    header_pages_without_rows,
    overlapping_words,
    page_texts,
    page_words,
    require_soffice,
    to_pdf,
)
from tests.test_returns_support import (
    INJECTIONS,
    add_task_and_centre_marts,
    explain_warning,
    open_gate,
    sample_warehouse,
)

PERIODS = ("2026-10", "2026Q3", "2025")
REASON = "通报数口径为受理日，部门报送为授权公告日，差异属正常"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    warehouse = sample_warehouse(tmp_path_factory)
    outbox = warehouse.parent / "outbox"
    with duckdb.connect(str(warehouse)) as con:
        run_id = open_gate(con)
        explain_warning(con, run_id, "2026-10", "valid_invention_patents", REASON)
        add_task_and_centre_marts(con)
        outcomes = {code: build_period(con, outbox, Period.parse(code)) for code in PERIODS}
    return {"warehouse": warehouse, "outbox": outbox, "outcomes": outcomes}


def q(built: dict[str, object], sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(built["warehouse"]), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def outcome(built: dict[str, object], period: str) -> BuildOutcome:
    return built["outcomes"][period]  # type: ignore[index]


def path_of(built: dict[str, object], period: str, code: str) -> Path:
    return outcome(built, period).folder / f"{code}_{period}.xlsx"


def main_rows(ws: openpyxl.worksheet.worksheet.Worksheet) -> list[list[object]]:
    """The data rows: from row 9 (after header and code rows) to the blank row before the signature."""
    rows = []
    for row in ws.iter_rows(min_row=9):
        if all(c.value is None for c in row):
            break
        rows.append(list(row))
    return rows


def test_each_period_type_gets_the_returns_its_definitions_list(built) -> None:
    definitions = load_definitions()
    for period in PERIODS:
        o = outcome(built, period)
        expected = {code for code, d in definitions.items() if d.exists_for(Period.parse(period).period_type)}
        assert {b.definition.code for b in o.built} == expected
        assert not o.failed
        manifest = json.loads((o.folder / "manifest.json").read_bytes())
        assert manifest["period"] == period and manifest["version"] == 1 and manifest["sample"] is True
        for entry in manifest["returns"]:
            data = (o.folder / entry["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert not list(o.folder.glob(".*.tmp"))
    assert [p.name for p in outcome(built, "2026-10").folder.parent.iterdir()] == ["v1"]


def test_fz14_values_and_formats_match_the_marts(built) -> None:
    wb = openpyxl.load_workbook(path_of(built, "2026Q3", "r1_fz14_monitoring"))
    ws = wb.worksheets[0]
    expected = {
        no: (value, unit, decimals, target, baseline)
        for no, value, unit, decimals, target, baseline in q(
            built,
            """
            select t.target_no, iv.value * iu.to_base_factor / tu.to_base_factor, t.target_unit_name, tu.decimals,
                   t.target_value, p.baseline_value
            from marts.dim_plan_targets t
            join catalogue.units tu on tu.unit_code = t.target_unit_code
            join catalogue.indicators i using (indicator_code)
            join catalogue.units iu on iu.unit_code = i.unit_code
            left join marts.fct_target_progress p using (target_code)
            left join marts.fct_indicator_values iv
              on iv.indicator_code = t.indicator_code and iv.region_code = t.region_code
             and iv.period_code = '2026Q3'
            where t.plan_code = 'fz_14th'
            """,
        )
    }
    rows = main_rows(ws)
    assert len(rows) == len(expected) == 6
    for row in rows:
        no = row[0].value
        value, unit, decimals, target, baseline = expected[no]
        assert row[2].value == unit
        assert row[3].value == pytest.approx(float(baseline))
        assert row[4].value == pytest.approx(float(target))
        assert row[4].number_format == number_format(decimals)
        if value is None:
            assert row[5].value == "—"
        else:
            assert row[5].value == pytest.approx(float(round(Decimal(value), decimals)))
            assert row[5].number_format == number_format(decimals)
        assert row[9].number_format == number_format(2)  # 完成率: the % unit's decimals
    history = dict(
        q(
            built,
            "select target_no, status from marts.fct_target_progress_history h "
            "join marts.dim_plan_targets using (target_code) "
            "where h.plan_code = 'fz_14th' and evaluation_date = date '2025-12-31'",
        )
    )
    assert {r[0].value: r[11].value for r in rows} == history


def test_layout_follows_the_statistical_form_convention(built) -> None:
    wb = openpyxl.load_workbook(path_of(built, "2026-10", "r1_fz14_monitoring"))
    ws = wb.worksheets[0]
    issuer = q(
        built,
        "select d.department_name from catalogue.returns r join catalogue.departments d"
        " on d.department_code = r.issuing_department_code where r.return_code = 'r1_fz14_monitoring'",
    )[0][0]
    cells = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert ws["A1"].value.endswith(f"（{SAMPLE_MARK}）") and "十四五" in ws["A1"].value
    assert {"表号：", "制定机关：", "批准文号：", "有效期至：", "榕知监1表", issuer} <= cells
    assert "填报单位：福州市市场监督管理局（知识产权局）" in cells and "报告期：2026年10月" in cells
    assert [c.value for c in ws[8]][:5] == ["甲", "乙", "丙", "1", "2"]
    assert [c.value for c in ws[7]][3:5] == ["2020年", "2025年目标"]
    assert {"单位负责人：", "统计负责人：", "填表人：", "联系电话："} <= cells
    assert "说明：" in cells
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.print_title_rows == "$7:$8"
    assert ws.freeze_panes == "A9"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws["B9"].font.name == "宋体" and ws["A1"].font.name == "黑体"
    assert ws.column_dimensions["B"].width >= 30
    assert wb.sheetnames == ["十四五指标监测", "趋势图", "数据来源"]
    assert all(len(name) <= 31 for name in wb.sheetnames)


def test_every_sheet_of_every_sample_return_is_marked(built) -> None:
    for period in PERIODS:
        for b in outcome(built, period).built:
            wb = openpyxl.load_workbook(outcome(built, period).folder / b.file_name)
            for ws in wb.worksheets:
                assert SAMPLE_MARK in ws["A1"].value, (b.file_name, ws.title)
                assert SAMPLE_MARK in ws.oddHeader.center.text, (b.file_name, ws.title)


def test_trace_sheet_names_the_submissions_behind_each_figure(built) -> None:
    o = outcome(built, "2026-10")
    wb = openpyxl.load_workbook(path_of(built, "2026-10", "r1_fz14_monitoring"))
    ws = wb["数据来源"]
    header = next(r for r in ws.iter_rows(values_only=True) if r[0] == "项目")
    index = {name: i for i, name in enumerate(header)}
    rows = [r for r in ws.iter_rows(values_only=True) if r[0] and " · " in str(r[0])]
    assert rows
    raw = {
        sid: (sha, version)
        for sid, sha, version in q(
            built, "select submission_id, file_sha256, version from raw.submissions where outcome = 'accepted'"
        )
    }
    for r in rows:
        sid = r[index["报送编号"]]
        assert raw[sid] == (r[index["文件 SHA-256"]], r[index["版本"]])
    manifest = json.loads(o.manifest_path.read_bytes())
    r1 = next(e for e in manifest["returns"] if e["code"] == "r1_fz14_monitoring")
    assert set(r1["inputs"]) == {r[index["报送编号"]] for r in rows}
    assert {i["submission_id"] for i in manifest["inputs"]} >= set(r1["inputs"])
    # the month's valid invention patents come from the city's own monthly form, cell by cell
    month = [r for r in rows if r[0].startswith("2.") and r[1] == "2026-10"]
    assert month and all(r[index["单元格"]].startswith("填报表!D") for r in month)


def test_submission_status_counts_match_the_completeness_mart(built) -> None:
    ws = openpyxl.load_workbook(path_of(built, "2026Q3", "r6_submission_status")).worksheets[0]
    rows = {r[0].value: [c.value for c in r] for r in main_rows(ws)}
    expected = q(
        built,
        """
        select coalesce(d.department_name, c.department_name), count(*), count(*) filter (where is_received),
               count(*) filter (where is_on_time), count(*) filter (where is_late), count(*) filter (where is_missing)
        from marts.fct_submission_completeness c left join catalogue.departments d using (department_code)
        where is_expected and period_end between date '2026-07-01' and date '2026-09-30'
        group by all
        """,
    )
    assert len(rows) == len(expected) + 1  # + 合计
    for name, n, received, on_time, late, missing in expected:
        assert rows[name][2:7] == [n, received, on_time, late, missing]
    total = rows["合计"]
    assert total[2] == sum(e[1] for e in expected) and total[3] == sum(e[2] for e in expected)


def test_explained_warning_goes_into_the_notes_of_the_affected_returns_only(built) -> None:
    def notes(code: str) -> str:
        ws = openpyxl.load_workbook(path_of(built, "2026-10", code)).worksheets[0]
        return "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)

    assert REASON in notes("r1_fz14_monitoring") and "李四" in notes("r1_fz14_monitoring")
    assert REASON not in notes("r6_submission_status")
    manifest = json.loads(outcome(built, "2026-10").manifest_path.read_bytes())
    assert manifest["gate"]["explained"][0]["explanation"] == REASON


def test_calamine_reads_the_same_figures(built) -> None:
    path = path_of(built, "2025", "r2_fz13_completion")
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    data = [r for r in sheet[8:] if r and isinstance(r[0], int | float) and r[0] != ""]
    actual = {int(r[0]): (r[3], r[4], r[6], r[7]) for r in data}
    expected = q(
        built,
        "select target_no, target_value, current_value, final_verdict, reported_verdict "
        "from marts.fct_target_progress where plan_code = 'fz_13th'",
    )
    assert len(actual) == len(expected) == 4
    for no, target, current, verdict, reported in expected:
        assert actual[no][0] == pytest.approx(float(target))
        assert actual[no][1] == pytest.approx(float(current), abs=0.01)
        assert actual[no][2:] == (verdict, reported)


def test_chart_sheet_draws_every_target_against_its_path(built) -> None:
    path = path_of(built, "2025", "r1_fz14_monitoring")
    with zipfile.ZipFile(path) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 6
    ws = openpyxl.load_workbook(path)["趋势图"]
    labels = [c.value for c in ws["C"] if c.value in ("实际值", "目标路径", "规划期累计")]
    assert labels.count("目标路径") == 6


def test_task_and_centre_returns_keep_typed_text_as_text(built) -> None:
    files = [path_of(built, "2026Q3", "r5_key_tasks"), path_of(built, "2025", "r7_industry_centres")]
    found = []
    for path in files:
        ws = openpyxl.load_workbook(path).worksheets[0]
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in INJECTIONS:
                    assert cell.data_type == "s", (path.name, cell.coordinate)
                    found.append(cell.value)
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    assert set(found) == {INJECTIONS[0], INJECTIONS[1], INJECTIONS[3], INJECTIONS[4]}
    ws = openpyxl.load_workbook(files[0]).worksheets[0]
    groups = [r[0].value for r in main_rows(ws) if r[0].value in ("鼓楼示范县方案", "保护示范区方案")]
    assert groups == ["鼓楼示范县方案", "保护示范区方案"]


def test_same_inputs_give_byte_identical_files(built, tmp_path: Path) -> None:
    with duckdb.connect(str(built["warehouse"])) as con:
        again = build_period(con, tmp_path / "outbox", Period.parse("2026-10"))
    first = outcome(built, "2026-10")
    assert [b.sha256 for b in again.built] == [b.sha256 for b in first.built]
    for b in first.built:
        assert (again.folder / b.file_name).read_bytes() == (first.folder / b.file_name).read_bytes()
    assert (again.folder / "manifest.json").read_bytes() == (first.folder / "manifest.json").read_bytes()


def test_missing_mart_fails_that_return_clearly(built, tmp_path: Path) -> None:
    with duckdb.connect(str(built["warehouse"])) as con:
        con.execute("begin transaction")
        con.execute("drop table marts.fct_task_progress")
        try:
            o = build_period(con, tmp_path / "outbox", Period.parse("2026Q3"))
        finally:
            con.execute("rollback")
    assert "marts.fct_task_progress" in o.failed["r5_key_tasks"]
    assert "r5_key_tasks" not in {b.definition.code for b in o.built}
    manifest = json.loads(o.manifest_path.read_bytes())
    assert manifest["failed"][0]["code"] == "r5_key_tasks"


# --- the returns as an official reads them -------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z_]+\.[A-Za-z_]+|\b[a-z]+_[a-z0-9_]+\b|\b\d{3} (附件|主要)")


def notes_of(ws: openpyxl.worksheet.worksheet.Worksheet) -> list[str]:
    texts = [str(c.value) for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    start = texts.index("说明：")
    return texts[start + 1 :]


def test_issuing_body_is_the_catalogues_form_designer_not_the_plans_issuer(built) -> None:
    expected = dict(
        q(
            built,
            "select r.table_no, d.department_name from catalogue.returns r"
            " join catalogue.departments d on d.department_code = r.issuing_department_code",
        )
    )
    plan_issuers = {name for (name,) in q(built, "select issuer from catalogue.plans")}
    for period in PERIODS:
        for b in outcome(built, period).built:
            ws = openpyxl.load_workbook(outcome(built, period).folder / b.file_name).worksheets[0]
            cells = {c.coordinate: c.value for row in ws.iter_rows() for c in row}
            label = next(k for k, v in cells.items() if v == "制定机关：")
            value = ws.cell(ws[label].row, ws[label].column + 1).value
            assert value == expected[b.definition.table_no], b.file_name
            assert value not in plan_issuers, b.file_name  # e.g. 榕知监5表 is not 鼓楼区人民政府's form


def test_a_return_missing_from_the_catalogue_is_refused_by_name(built, tmp_path: Path) -> None:
    with duckdb.connect(str(built["warehouse"])) as con:
        con.execute("begin transaction")
        con.execute("delete from catalogue.returns where return_code = 'r6_submission_status'")
        try:
            o = build_period(con, tmp_path / "outbox", Period.parse("2026-10"), only=["r6_submission_status"])
        except ReturnsError as exc:
            message = str(exc)
        else:
            message = o.failed.get("r6_submission_status", "")
        finally:
            con.execute("rollback")
    assert "returns.csv" in message and "r6_submission_status" in message and "制定机关" in message


def test_notes_speak_words_not_table_names(built) -> None:
    for period in PERIODS:
        for b in outcome(built, period).built:
            ws = openpyxl.load_workbook(outcome(built, period).folder / b.file_name).worksheets[0]
            for note in notes_of(ws):
                assert not _IDENTIFIER.search(note), (b.file_name, note)


def test_definitions_notes_hold_no_schema_or_seed_names() -> None:
    for d in load_definitions().values():
        for note in (*d.notes, d.trace_intro or "", d.trace_empty or ""):
            assert not _IDENTIFIER.search(re.sub(r"\{[a-z_]+\}", "", note)), (d.code, note)


def test_centre_return_prints_years_without_a_thousands_separator(built, tmp_path: Path) -> None:
    path = path_of(built, "2025", "r7_industry_centres")
    ws = openpyxl.load_workbook(path).worksheets[0]
    years = [r[9] for r in main_rows(ws) if isinstance(r[9].value, int | float)]
    assert years and all(c.number_format == "0" for c in years)
    pages = page_texts(to_pdf(path, tmp_path))
    assert "2024" in pages[0] and "2,024" not in pages[0] and "2,025" not in pages[0]


def test_flags_are_red_only_when_the_answer_needs_attention(built) -> None:
    agrees = openpyxl.load_workbook(path_of(built, "2025", "r2_fz13_completion")).worksheets[0]
    cells = [r[8] for r in main_rows(agrees)]
    assert cells and all(c.value == "是" for c in cells)
    assert all(not c.font.b and (c.font.color is None or c.font.color.rgb != "FFC00000") for c in cells)
    overdue = openpyxl.load_workbook(path_of(built, "2026Q3", "r5_key_tasks")).worksheets[0]
    flags = {r[9].value: r[9].font for r in main_rows(overdue) if r[9].value in ("是", "否")}
    assert (flags["是"].color.rgb == "FFC00000" and flags["否"].color is None) or flags["否"].color.rgb != "FFC00000"


def test_task_return_traces_reported_progress_to_the_lead_units_reports(built) -> None:
    ws = openpyxl.load_workbook(path_of(built, "2026Q3", "r5_key_tasks"))["数据来源"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "本表数值不直接来自部门报送（见主表说明）。" not in texts
    assert any("牵头单位报告" in t for t in texts)
    reported = {
        (task, sid)
        for task, sid in q(
            built,
            "select task_code, submission_id from marts.fct_task_reports where period_code = '2026Q3'"
            " and task_code in ('gulou_demo.T1.1', 'gulou_demo.T1.2')",
        )
    }
    header = next(r for r in ws.iter_rows(values_only=True) if r[0] == "项目")
    index = {name: i for i, name in enumerate(header)}
    rows = [r for r in ws.iter_rows(values_only=True) if r[0] and " · " in str(r[0])]
    traced = {(r[0].split(" · ")[0], r[index["报送编号"]]) for r in rows}
    assert reported and traced == reported
    assert all(r[index["报表"]].startswith("榕知统16表") for r in rows)


def test_printed_returns_never_show_the_header_over_no_rows(built, tmp_path: Path) -> None:
    require_soffice()
    for period in ("2026Q3", "2025"):
        for b in outcome(built, period).built:
            pages = page_texts(to_pdf(outcome(built, period).folder / b.file_name, tmp_path / period))
            bad = header_pages_without_rows(pages, after=("单位负责人", "说明"), after_pattern=NOTE_LINE)
            assert not bad, (b.file_name, bad)


def test_printed_trace_sheets_never_print_text_over_text(built, tmp_path: Path) -> None:
    require_soffice()
    for period, code in (("2026Q3", "r4a_gulou_demo"), ("2026Q3", "r5_key_tasks"), ("2026-10", "r1_fz14_monitoring")):
        pdf = to_pdf(path_of(built, period, code), tmp_path / period)
        pages = page_texts(pdf)
        words = page_words(pdf)
        traced = [i for i, text in enumerate(pages) if "报送编号" in text and "SHA-256" in text]
        assert traced, code
        for i in traced:
            assert not overlapping_words(words[i]), (code, i + 1, overlapping_words(words[i])[:3])


def test_a_rebuild_stopped_before_its_manifest_leaves_the_previous_version_whole(
    built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reports import build as build_module

    outbox = tmp_path / "outbox"
    period = Period.parse("2026-10")
    real_render = build_module.render

    def stop_before_manifest(*_args: object) -> bytes:
        raise KeyboardInterrupt  # the process dies between the returns and their manifest

    with duckdb.connect(str(built["warehouse"])) as con:
        first = build_period(con, outbox, period)
        before = {p.name: p.read_bytes() for p in first.folder.iterdir()}
        monkeypatch.setattr(build_module, "render", lambda ri: real_render(ri) + b"changed")  # new figures
        monkeypatch.setattr(build_module, "_manifest", stop_before_manifest)
        with pytest.raises(KeyboardInterrupt):
            build_period(con, outbox, period)
    assert {p.name: p.read_bytes() for p in first.folder.iterdir()} == before
    manifest = json.loads((first.folder / "manifest.json").read_bytes())
    for entry in manifest["returns"]:
        assert hashlib.sha256((first.folder / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    assert [p.name for p in first.folder.parent.iterdir()] == ["v1"]
