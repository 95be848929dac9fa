"""The file layouts of a form, shared by the writers (templates) and the readers (intake).

A filled form is read by code, not by position: each data row carries its data element's code in
the 代码 (乙) column, and the machine-readable metadata sits on a very hidden sheet. Rows may
move (a department inserts or deletes a row) without the reader losing track of what is what.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# --- .xlsx ----------------------------------------------------------------------------------
DATA_SHEET = "填报表"
META_SHEET = "_meta"  # very hidden; key in column A, value in column B, one pair per row
INSTRUCTIONS_TITLE = "填报说明"

# Data-sheet columns (0-based, as python-calamine returns them) and their code-row labels.
COL_NAME = 0  # A 指标名称 (甲)
COL_CODE = 1  # B 代码 (乙): the row's display code (01, 02 …); templates before it carry the element code
COL_UNIT = 2  # C 计量单位 (丙)
COL_VALUE = 3  # D 本期 (1): the only column a department types into
COL_NOTE = 4  # E 填报要求 (2): 必填 / 选填 and the allowed range
COLUMN_LETTERS = "ABCDE"
HEADER_LABELS = ("指标名称", "代码", "计量单位", "本期数值", "填报要求")
CODE_ROW_LABELS = ("甲", "乙", "丙", "1", "2")

# Signature block: label cell text -> the value sits in the cell to its right.
SIGNATURE_LABELS = {
    "单位负责人：": "head_of_unit",
    "统计负责人：": "head_of_statistics",
    "填表人：": "filled_by",
    "联系电话：": "phone",
    "报出日期：": "reported_on",
}

# Metadata keys, in the order they are written.
META_KEYS = (
    "form_code",
    "template_version",
    "region_code",
    "department_code",
    "period",
    "sample",  # "1" when the workbook carries sample data (示例数据), else "0"
    "checksum",  # see meta_checksum()
)

# --- layout kinds ------------------------------------------------------------------------------
# A form is laid out one of two ways; the kind is written on the metadata sheet (key `layout`,
# absent on element forms, which predate it) and chosen from the catalogue by `layout_kind_of`.
ELEMENT_LAYOUT = "elements"  # one data element a row: value in D (forms.csv)
TASK_LAYOUT = "tasks"  # one key task a row: status in E, progress text in F (task_forms.csv)
META_LAYOUT_KEY = "layout"

# Task-report data sheet columns (0-based) and their code-row labels.
TASK_COL_GROUP = 0  # A 重点任务 (甲)
TASK_COL_CODE = 1  # B 任务代码 (乙): the task code
TASK_COL_CONTENT = 2  # C 任务内容（摘要） (丙)
TASK_COL_DEADLINE = 3  # D 完成时限 (丁)
TASK_COL_STATUS = 4  # E 推进状态 (1): dropdown from task_statuses.csv
TASK_COL_PROGRESS = 5  # F 进展情况 (2): free text, length-limited
TASK_COLUMN_LETTERS = "ABCDEF"
TASK_HEADER_LABELS = ("重点任务", "任务代码", "任务内容（摘要）", "完成时限", "推进状态", "进展情况")
TASK_CODE_ROW_LABELS = ("甲", "乙", "丙", "丁", "1", "2")
TASK_CONTENT_CHARS = 60  # the content is abbreviated to this many characters on the form


@dataclass(frozen=True)
class SheetLayout:
    """Where a layout keeps its row codes and the cells a department types into."""

    kind: str
    code_col: int
    code_pattern: re.Pattern[str]
    input_cols: tuple[tuple[str, int], ...]  # (field, column); the first is the row's main cell


LAYOUTS = {
    ELEMENT_LAYOUT: SheetLayout(
        ELEMENT_LAYOUT, COL_CODE, re.compile(r"^(?:[a-z][a-z0-9_]{1,63}|\d{2,3})$"), (("value", COL_VALUE),)
    ),
    TASK_LAYOUT: SheetLayout(
        TASK_LAYOUT,
        TASK_COL_CODE,
        re.compile(r"^[a-z][a-z0-9_]{1,63}\.[A-Za-z0-9_.]{1,32}$"),
        (("status", TASK_COL_STATUS), ("progress", TASK_COL_PROGRESS)),
    ),
}


# --- .csv -----------------------------------------------------------------------------------
# One row per element; the identifying columns repeat on every row (what export tools produce).
CSV_REQUIRED_COLUMNS = (
    "form_code",
    "template_version",
    "region_code",
    "department_code",
    "period",
    "element_code",
    "value",
)
CSV_OPTIONAL_COLUMNS = ("element_name", "unit", "sample")
CSV_COLUMNS = (
    "form_code",
    "template_version",
    "region_code",
    "department_code",
    "period",
    "element_code",
    "element_name",
    "unit",
    "value",
)
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # utf-8-sig also reads plain UTF-8; GB18030 is a superset of GBK


DISPLAY_CODE = re.compile(r"^\d{2,3}$")


def display_code(row_no: int) -> str:
    """The code a clerk reads in the 代码 column: the form's row number from the catalogue, 01, 02 …

    Intake maps it back to the data element through the form's rows; the checksum still covers the
    element codes, so a template made before display codes (element codes in column B) stays valid.
    """
    return f"{row_no:02d}"


def meta_checksum(meta: dict[str, str], element_codes: list[str]) -> str:
    """Integrity check over the identifying metadata and the form's rows.

    It catches a hand-edited metadata sheet (a copied form with its period changed, say) and a
    template whose rows no longer match its version. It is not a signature: anyone with this
    code can recompute it.
    """
    parts = [meta.get(key, "") for key in META_KEYS if key not in ("checksum", "sample")]
    if meta.get(META_LAYOUT_KEY):  # element forms carry no layout key: their checksums are unchanged
        parts.append(meta[META_LAYOUT_KEY])
    payload = "|".join([*parts, ",".join(element_codes)])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def cell_name(row: int, col: int) -> str:
    """0-based (row, col) to an A1 reference: (0, 3) -> 'D1'."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"
