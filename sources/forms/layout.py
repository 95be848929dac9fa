"""The file layouts of a form, shared by the writers (templates) and the readers (intake).

A filled form is read by code, not by position: each data row carries its data element's code in
the 代码 (乙) column, and the machine-readable metadata sits on a very hidden sheet. Rows may
move (a department inserts or deletes a row) without the reader losing track of what is what.
"""

from __future__ import annotations

import hashlib

# --- .xlsx ----------------------------------------------------------------------------------
DATA_SHEET = "填报表"
META_SHEET = "_meta"  # very hidden; key in column A, value in column B, one pair per row
INSTRUCTIONS_TITLE = "填报说明"

# Data-sheet columns (0-based, as python-calamine returns them) and their code-row labels.
COL_NAME = 0  # A 指标名称 (甲)
COL_CODE = 1  # B 代码 (乙): the element code
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


def meta_checksum(meta: dict[str, str], element_codes: list[str]) -> str:
    """Integrity check over the identifying metadata and the form's rows.

    It catches a hand-edited metadata sheet (a copied form with its period changed, say) and a
    template whose rows no longer match its version. It is not a signature: anyone with this
    code can recompute it.
    """
    parts = [meta.get(key, "") for key in META_KEYS if key not in ("checksum", "sample")]
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
