"""DuckDB's errors on a file someone sent, in words the sender can act on (Chinese, no engine jargon).

The engine's English ("Conversion Error: invalid date field format …") is matched here and
reworded; an error not recognised still gets a Chinese sentence naming what kind of problem it is,
never the raw English text.
"""

from __future__ import annotations

import re

import duckdb

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), chinese)
    for pattern, chinese in (
        (
            r'converting column "([^"]+)"\. Could not convert string "([^"]*)" to \'DATE',
            "列 {0} 的值“{1}”不是有效的日期（应为 YYYY-MM-DD，如 2026-10-31）",
        ),
        (
            r'converting column "([^"]+)"\. Could not convert string "([^"]*)" to \'BOOL',
            "列 {0} 的值“{1}”不是是/否值（应为 true 或 false）",
        ),
        (r'converting column "([^"]+)"\. Could not convert string "([^"]*)"', "列 {0} 的值“{1}”类型不符"),
        (r'date field value out of range: "([^"]*)"', "日期“{0}”不存在（月份或日期超出范围）"),
        (r'invalid date field format: "([^"]*)"', "“{0}”不是日期，应为 YYYY-MM-DD，如 2026-10-31"),
        (r"Could not convert string '([^']*)' to BOOL", "“{0}”不是是/否值，应为 true 或 false"),
        (r"Could not convert string '([^']*)' to (INT\w*|BIGINT|DOUBLE|DECIMAL\S*)", "“{0}”不是数字"),
        (r"Could not convert string '([^']*)' to (\w+)", "“{0}”的类型不符"),
        (r"No magic bytes found", "Parquet 文件不完整或已损坏（文件尾缺少 Parquet 标记）"),
        (r"not a parquet file|Invalid Parquet|parquet", "Parquet 文件无法读取（可能已损坏或不是 Parquet 格式）"),
        (r"Error when sniffing file|CSV Error|sniff", "CSV 文件无法解析（请检查分隔符、引号与列数是否一致）"),
        (r"Invalid unicode|UTF-8", "文件含有不是 UTF-8 编码的字符（请另存为 UTF-8）"),
        (r"Binder Error: Referenced column \"?([^\"\s]+)\"? not found", "找不到列 {0}"),
    )
)
_LINE = re.compile(r"\bline:? (\d+)", re.IGNORECASE)


def explain_duckdb_error(exc: duckdb.Error | str) -> str:
    """A Chinese sentence for a DuckDB error raised while reading or converting a sent file."""
    text = str(exc)
    for pattern, chinese in _PATTERNS:
        found = pattern.search(text)
        if found:
            message = chinese.format(*found.groups())
            line = _LINE.search(text)
            return f"{message}（第 {line.group(1)} 行）" if line else message
    kind = "数据类型转换失败" if "Conversion" in text else "文件内容无法读取"
    return f"{kind}：请检查文件格式与各列取值"
