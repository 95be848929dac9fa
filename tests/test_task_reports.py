"""Key-task progress reports: the template, intake cell by cell, versions, the CLI and the marts."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pytest
from python_calamine import CalamineWorkbook, SheetVisibleEnum
from typer.testing import CliRunner

from core.settings import Settings
from orchestration.cli import app
from reports.sources import TASK_COLUMNS
from sources.catalogue import Catalogue
from sources.forms import layout
from sources.forms.spec import Assignment, assignment, led_tasks
from sources.forms.xlsx_template import CODE_ROW, FIRST_DATA_ROW, HEADER_ROW, write_xlsx_form
from sources.intake.pipeline import Incoming, Outcome, ingest
from sources.periods import Period
from tests.warehouse_fixtures import mark_return_submitted, query, run_dbt

TODAY = date(2026, 11, 21)
FORM = "key_task_quarterly"
GULOU = "350102.amr"  # leads the 27 tasks of 000 附件1 (deadlines 2023-03 and 2025-06)
CITY = "350100.amr"  # leads most 003 tasks (no deadlines)
runner = CliRunner()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "var", warehouse=tmp_path / "var" / "warehouse.duckdb", today_override=TODAY)
    s.ensure_dirs()
    return s


def gulou(catalogue: Catalogue) -> Assignment:
    return assignment(catalogue, FORM, "350102", GULOU)


def template(catalogue: Catalogue, folder: Path, department: str = GULOU, period: str = "2026Q3") -> Path:
    region = next(d["region_code"] for d in catalogue.rows("departments") if d["department_code"] == department)
    found = assignment(catalogue, FORM, region, department)
    path = folder / f"blank_{department}_{period}.xlsx"
    write_xlsx_form(found, Period.parse(period, "quarter"), path)
    return path


def fill(blank: Path, out: Path, values: dict[str, tuple[str | None, str | None]], edit=None) -> Path:
    """Choose statuses and type progress by task code, as a department would in Excel."""
    book = openpyxl.load_workbook(blank)
    sheet = book[layout.DATA_SHEET]
    for row in sheet.iter_rows():
        code = row[layout.TASK_COL_CODE].value
        if code in values:
            status, text = values[code]
            sheet.cell(row=row[0].row, column=layout.TASK_COL_STATUS + 1).value = status
            sheet.cell(row=row[0].row, column=layout.TASK_COL_PROGRESS + 1).value = text
    if edit:
        edit(book)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out


def all_done(catalogue: Catalogue, department: str = GULOU, status: str = "已完成") -> dict[str, tuple[str, str]]:
    return {t.task_code: (status, f"{t.number} 已按方案推进") for t in led_tasks(catalogue, department)}


def one(settings: Settings, catalogue: Catalogue, path: Path, department: str | None = GULOU) -> Outcome:
    (outcome,) = ingest([Incoming(path, department)], settings, catalogue, actor="test")
    return outcome


def errors(outcome: Outcome) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in outcome.receipt.problems:
        if p.severity == "error":
            out.setdefault(p.code, []).append(p.where)
    return out


def rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def row_of(book: openpyxl.Workbook, task_code: str) -> int:
    for row in book[layout.DATA_SHEET].iter_rows():
        if row[layout.TASK_COL_CODE].value == task_code:
            return row[0].row
    raise KeyError(task_code)


# --- the template -------------------------------------------------------------------------------


def test_template_lists_the_led_tasks_with_protected_inputs(catalogue: Catalogue, tmp_path: Path) -> None:
    path = template(catalogue, tmp_path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [layout.DATA_SHEET, layout.META_SHEET]
    ws, meta_ws = book[layout.DATA_SHEET], book[layout.META_SHEET]
    assert meta_ws.sheet_state == "veryHidden" and ws.protection.sheet
    meta = {r[0]: r[1] for r in meta_ws.iter_rows(values_only=True)}
    tasks = led_tasks(catalogue, GULOU)
    assert meta["form_code"] == FORM and meta["layout"] == layout.TASK_LAYOUT and meta["period"] == "2026Q3"
    assert meta["checksum"] == layout.meta_checksum(meta, [t.task_code for t in tasks])
    assert ws.cell(1, 1).value == "重点任务推进情况季报"
    assert [c.value for c in ws[HEADER_ROW + 1]] == list(layout.TASK_HEADER_LABELS)  # openpyxl rows are 1-based
    assert [c.value for c in ws[CODE_ROW + 1]][:6] == list(layout.TASK_CODE_ROW_LABELS)
    codes = [ws.cell(FIRST_DATA_ROW + 1 + i, 2).value for i in range(len(tasks))]
    assert codes == [t.task_code for t in tasks] and len(tasks) == 27
    first = FIRST_DATA_ROW + 1
    assert ws.cell(first, 4).value == "2023年3月"  # 完成时限 of 1.1
    assert ws.cell(first, 3).protection.locked and not ws.cell(first, 5).protection.locked
    assert not ws.cell(first, 6).protection.locked
    kinds = {(dv.type, str(dv.sqref)) for dv in ws.data_validations.dataValidation}
    assert ("list", f"E{first}") in kinds and ("textLength", f"F{first}") in kinds
    statuses = [r["status_name"] for r in sorted(catalogue.rows("task_statuses"), key=lambda r: int(r["sort_order"]))]
    dv = next(dv for dv in ws.data_validations.dataValidation if str(dv.sqref) == f"E{first}")
    assert dv.formula1 == '"' + ",".join(statuses) + '"'
    assert any(c.value == "填表人：" for row in ws.iter_rows() for c in row)  # signature block
    with path.open("rb") as handle:
        calamine = CalamineWorkbook.from_filelike(handle)
    assert [m.visible for m in calamine.sheets_metadata] == [SheetVisibleEnum.Visible, SheetVisibleEnum.VeryHidden]


def test_element_form_checksums_are_unchanged_by_the_layout_key(catalogue: Catalogue) -> None:
    meta = {"form_code": "f", "template_version": "1", "region_code": "r", "department_code": "d", "period": "p"}
    assert layout.meta_checksum(meta, ["a"]) != layout.meta_checksum({**meta, "layout": "tasks"}, ["a"])
    assert "layout" not in layout.META_KEYS


# --- intake: the happy path and versions ----------------------------------------------------------


def test_filled_form_is_accepted_cell_by_cell_and_the_next_version_supersedes(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    blank = template(catalogue, tmp_path)
    values = all_done(catalogue)
    values["gulou_demo.T5.2"] = ("逾期未完成", "经费未到位")
    first = one(settings, catalogue, fill(blank, tmp_path / "v1.xlsx", values))
    assert first.status == "accepted", first.receipt.problems
    assert first.receipt.version == 1 and "榕知统16表" in (first.receipt.form_label or "")
    got = rows(
        settings,
        "select task_code, status, progress_text, sheet, cell, progress_cell, version, department_code, period_code "
        "from raw.task_reports where task_code = 'gulou_demo.T5.2'",
    )
    row = FIRST_DATA_ROW + 1 + [t.task_code for t in led_tasks(catalogue, GULOU)].index("gulou_demo.T5.2")
    assert got == [("gulou_demo.T5.2", "逾期未完成", "经费未到位", "填报表", f"E{row}", f"F{row}", 1, GULOU, "2026Q3")]
    assert rows(settings, "select count(*) from raw.task_reports") == [(27,)]
    assert rows(
        settings,
        f"select form_code, version from raw.submissions where submission_id = '{first.receipt.submission_id}'",
    ) == [(FORM, 1)]
    values["gulou_demo.T5.2"] = ("已完成", "已补齐经费并完成")
    second = one(settings, catalogue, fill(blank, tmp_path / "v2.xlsx", values))
    assert second.status == "accepted" and second.receipt.version == 2
    assert second.receipt.superseded == first.receipt.submission_id
    assert rows(settings, "select version, count(*) from raw.task_reports group by 1 order by 1") == [(1, 27), (2, 27)]
    again = one(settings, catalogue, tmp_path / "v2.xlsx")
    assert again.status == "duplicate"


def test_a_submitted_quarter_refuses_a_new_task_report_version(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    blank = template(catalogue, tmp_path)
    values = all_done(catalogue)
    first = one(settings, catalogue, fill(blank, tmp_path / "v1.xlsx", values))
    assert first.status == "accepted", first.receipt.problems
    mark_return_submitted(settings.warehouse, "2026Q3")
    values["gulou_demo.T5.2"] = ("逾期未完成", "改口：经费未到位")
    second = one(settings, catalogue, fill(blank, tmp_path / "v2.xlsx", values))
    assert second.status == "rejected" and "period_locked" in errors(second)
    assert "2026年第3季度的上报报表已报送" in second.receipt_path.read_text(encoding="utf-8")
    assert rows(settings, "select distinct version from raw.task_reports") == [(1,)]


def test_tasks_not_yet_due_may_be_left_blank(settings: Settings, catalogue: Catalogue, tmp_path: Path) -> None:
    # 003's tasks carry no deadline: a blank status is not an error and records nothing for that task.
    blank = template(catalogue, tmp_path, CITY)
    tasks = led_tasks(catalogue, CITY)
    values = {tasks[0].task_code: ("推进中", "按计划推进")}
    outcome = one(settings, catalogue, fill(blank, tmp_path / "city.xlsx", values), CITY)
    assert outcome.status == "accepted", outcome.receipt.problems
    assert rows(settings, "select task_code, status from raw.task_reports") == [(tasks[0].task_code, "推进中")]


# --- intake: malformed input ----------------------------------------------------------------------


def test_unknown_status_is_rejected_with_its_cell_and_the_allowed_list(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    values = all_done(catalogue)
    values["gulou_demo.T1.2"] = ("基本完成", "差不多了")
    outcome = one(settings, catalogue, fill(template(catalogue, tmp_path), tmp_path / "bad.xlsx", values))
    assert outcome.status == "rejected"
    assert errors(outcome) == {"unknown_status": [f"填报表!E{FIRST_DATA_ROW + 2}"]}
    text = outcome.receipt_path.read_text(encoding="utf-8")
    assert "基本完成" in text and "未启动、推进中、已完成、逾期未完成、持续推进" in text and "修改方法" in text
    assert rows(settings, "select count(*) from raw.task_reports") == [(0,)]


def test_missing_status_for_a_task_past_its_deadline_is_an_error(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    values = all_done(catalogue)
    values["gulou_demo.T1.1"] = (None, "只写了进展")  # deadline 2023-03 has passed by 2026Q3
    outcome = one(settings, catalogue, fill(template(catalogue, tmp_path), tmp_path / "blank.xlsx", values))
    assert errors(outcome) == {"required_blank": [f"填报表!E{FIRST_DATA_ROW + 1}"]}
    assert "2023年3月" in outcome.receipt.problems[0].message


def test_progress_text_over_the_catalogue_limit_is_rejected(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    limit = int(catalogue.rows("task_forms")[0]["progress_max_chars"])
    values = all_done(catalogue)
    values["gulou_demo.T2.1"] = ("推进中", "进" * (limit + 1))
    outcome = one(settings, catalogue, fill(template(catalogue, tmp_path), tmp_path / "long.xlsx", values))
    assert errors(outcome) == {"text_too_long": [f"填报表!F{FIRST_DATA_ROW + 3}"]}
    values["gulou_demo.T2.1"] = ("推进中", "进" * limit)
    assert (
        one(settings, catalogue, fill(template(catalogue, tmp_path), tmp_path / "ok.xlsx", values)).status == "accepted"
    )


def test_deleted_and_inserted_rows_are_rejected(settings: Settings, catalogue: Catalogue, tmp_path: Path) -> None:
    blank = template(catalogue, tmp_path)

    def delete(book: openpyxl.Workbook) -> None:
        book[layout.DATA_SHEET].delete_rows(row_of(book, "gulou_demo.T3.2"))

    outcome = one(settings, catalogue, fill(blank, tmp_path / "deleted.xlsx", all_done(catalogue), delete))
    assert "missing_row" in errors(outcome)
    assert any(p.element_code == "gulou_demo.T3.2" for p in outcome.receipt.problems)

    def insert(book: openpyxl.Workbook) -> None:
        ws = book[layout.DATA_SHEET]
        r = row_of(book, "gulou_demo.T3.2")
        ws.insert_rows(r)
        ws.cell(r, layout.TASK_COL_STATUS + 1).value = "已完成"

    outcome = one(settings, catalogue, fill(blank, tmp_path / "inserted.xlsx", all_done(catalogue), insert))
    assert "row_without_code" in errors(outcome)


def test_a_task_led_by_another_department_is_rejected(settings: Settings, catalogue: Catalogue, tmp_path: Path) -> None:
    def swap(book: openpyxl.Workbook) -> None:
        book[layout.DATA_SHEET].cell(
            row_of(book, "gulou_demo.T7.6"), layout.TASK_COL_CODE + 1
        ).value = "fz_protection_zone.T3.1"  # led by the city court

    outcome = one(
        settings, catalogue, fill(template(catalogue, tmp_path), tmp_path / "x.xlsx", all_done(catalogue), swap)
    )
    found = errors(outcome)
    assert "task_not_led" in found and "missing_row" in found
    assert "福州市中级人民法院" in next(p.message for p in outcome.receipt.problems if p.code == "task_not_led")


def test_wrong_department_folder_and_edited_metadata_are_rejected(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    filled = fill(template(catalogue, tmp_path), tmp_path / "f.xlsx", all_done(catalogue))
    assert "inbox_mismatch" in errors(one(settings, catalogue, filled, CITY))

    def other_department(book: openpyxl.Workbook) -> None:
        for row in book[layout.META_SHEET].iter_rows():
            if row[0].value == "department_code":
                row[1].value = "350103.amr"  # leads no task

    copied = fill(template(catalogue, tmp_path), tmp_path / "g.xlsx", all_done(catalogue), other_department)
    found = errors(one(settings, catalogue, copied, None))
    assert "wrong_department" in found


def test_a_csv_cannot_carry_the_task_form(settings: Settings, catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "tasks.csv"
    path.write_text(
        "form_code,template_version,region_code,department_code,period,element_code,value\n"
        f"{FORM},1,350102,{GULOU},2026Q3,gulou_demo.T1.1,已完成\n",
        encoding="utf-8",
    )
    assert "wrong_format" in errors(one(settings, catalogue, path))


# --- CLI --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tasks", "template", "-d", "350103.amr", "-p", "2026Q3"], "不是任何重点任务的牵头单位"),
        (["tasks", "template", "-d", "nope", "-p", "2026Q3"], "未知的单位编码"),
        (["tasks", "template", "-d", GULOU, "-p", "2026-09"], "应为季报如 2026Q3"),
        (["tasks", "template", "-d", GULOU, "-p", "2026Q3", "--form", "ip_creation_monthly"], "未知的任务报表"),
        (["tasks", "list", "--plan", "nope"], "未知的规划编码"),
    ],
)
def test_bad_cli_arguments_exit_2_with_a_chinese_message(ipwh_home: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_cli_template_writes_the_form(ipwh_home: Path) -> None:
    result = runner.invoke(app, ["tasks", "template", "-d", "350100.court", "-p", "2026Q3"])
    assert result.exit_code == 0, result.output
    path = ipwh_home / "templates" / "350100.court" / f"{FORM}_2026Q3.xlsx"
    assert path.is_file() and "任务 1 项" in result.output


# --- marts --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> Path:
    """Reports through the real intake, then dbt on the task models, as of 2026-11-21."""
    root = tmp_path_factory.mktemp("tasks")
    s = Settings(home=root / "var", warehouse=root / "var" / "warehouse.duckdb", today_override=TODAY)
    s.ensure_dirs()
    q2 = template(catalogue, root, GULOU, "2026Q2")
    q3 = template(catalogue, root, GULOU, "2026Q3")
    values = all_done(catalogue)
    values["gulou_demo.T1.1"] = ("推进中", "Q2 仍在推进")
    values["gulou_demo.T5.2"] = ("逾期未完成", "未完成")
    fill(q2, root / "in" / "q2.xlsx", values)
    values["gulou_demo.T1.1"] = ("已完成", "Q3 已完成")
    del values["gulou_demo.T2.3"]  # left blank in Q3: its Q2 status stays the latest
    values["gulou_demo.T2.3"] = ("持续推进", "Q3 v1")
    fill(q3, root / "in" / "q3.xlsx", values)
    values["gulou_demo.T2.3"] = ("已完成", "Q3 v2 更正")
    fill(q3, root / "in" / "q3_v2.xlsx", values)
    court = template(catalogue, root, "350100.court", "2026Q3")
    fill(court, root / "in" / "court.xlsx", {"fz_protection_zone.T3.1": ("持续推进", "三合一改革")})
    outcomes = [one(s, catalogue, root / "in" / name, None) for name in ("q2.xlsx", "q3.xlsx", "q3_v2.xlsx")]
    outcomes.append(one(s, catalogue, root / "in" / "court.xlsx", None))
    assert [o.status for o in outcomes] == ["accepted"] * 4
    run_dbt(s.warehouse, root, as_of="2026-11-21", select="+path:models/marts/tasks")
    shutil.rmtree(root / "target", ignore_errors=True)
    return s.warehouse


@pytest.fixture(scope="module", autouse=True)
def _cautious_tests(request: pytest.FixtureRequest) -> None:
    mp = pytest.MonkeyPatch()
    mp.setenv("DBT_INDIRECT_SELECTION", "cautious")  # only tests whose parents are all built
    request.addfinalizer(mp.undo)


def progress(path: Path, task: str) -> dict:
    (row,) = query(path, "select * from marts.fct_task_progress where task_code = ?", [task])
    return row


def test_progress_has_every_task_with_the_exact_columns(warehouse: Path, catalogue: Catalogue) -> None:
    got = query(warehouse, "select * from marts.fct_task_progress order by task_code")
    assert len(got) == len(catalogue.rows("plan_tasks"))
    assert list(got[0]) == list(TASK_COLUMNS)  # the columns the returns read


def test_overdue_is_judged_as_of_the_var_from_the_latest_report(warehouse: Path) -> None:
    done = progress(warehouse, "gulou_demo.T1.1")  # 推进中 in Q2, 已完成 in Q3
    assert (done["latest_report_period"], done["reported_status"], done["is_overdue"], done["days_overdue"]) == (
        "2026Q3",
        "已完成",
        False,
        0,
    )
    stuck = progress(warehouse, "gulou_demo.T5.2")  # 2025-06-30 → 2026-11-21 = 509 days
    assert (stuck["reported_status"], stuck["is_overdue"], stuck["days_overdue"]) == ("逾期未完成", True, 509)
    corrected = progress(warehouse, "gulou_demo.T2.3")  # version 2 wins
    assert (corrected["reported_status"], corrected["reported_progress"]) == ("已完成", "Q3 v2 更正")
    court = progress(warehouse, "fz_protection_zone.T3.1")  # no deadline: never overdue
    assert (court["reported_status"], court["is_overdue"], court["lead_units"]) == (
        "持续推进",
        False,
        "福州市中级人民法院",
    )
    never = progress(warehouse, "fz_protection_zone.T1.1")  # no lead unit in 003, never reported
    assert never["latest_report_period"] is None and never["lead_units"] is None and not never["is_overdue"]
    assert "、" in progress(warehouse, "gulou_demo.T1.2")["responsible_units"]


def test_task_reports_keep_one_latest_row_per_task_and_period(warehouse: Path) -> None:
    got = query(
        warehouse,
        "select period_code, reported_status, version, is_done from marts.fct_task_reports "
        "where task_code = 'gulou_demo.T2.3' order by period_code",
    )
    assert got == [
        {"period_code": "2026Q2", "reported_status": "已完成", "version": 1, "is_done": True},
        {"period_code": "2026Q3", "reported_status": "已完成", "version": 2, "is_done": True},
    ]
    assert query(warehouse, "select count(*) as n from marts.fct_task_reports") == [{"n": 27 + 27 + 1}]
