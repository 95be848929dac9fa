"""The dbt project runs on DuckDB and on Spark (make test-spark): no model, test or yaml expression may
use a construct only DuckDB reads. Those live in one place, the duckdb__/default__ macros of
dbt_project/macros/engine.sql, which have a spark__ twin each. Offline: no Spark needed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.settings import DBT_PROJECT_DIR

# DuckDB-only spelling → what to write instead (both engines read it).
DUCKDB_ONLY: dict[str, str] = {
    r"\bvarchar\b": "string",
    r"\barg_(max|min)\s*\(": "max_by / min_by",
    r"\*\s*exclude\s*\(": "star_except()",
    r"\bunion\s+(all\s+)?by\s+name\b": "union all with the same columns in the same order",
    r"^\s*unpivot\s+\w+": "select … unpivot (value for name in (…))",
    r"//": "int_div()",
    r"\bstrftime\s*\(": "year_month() or date_format-free arithmetic",
    r"\blist_contains\s*\(": "split_contains()",
    r"\bstring_split\s*\(": "split_contains() / split_to_rows()",
    r"\bstarts_with\s*\(": "left(text, length(prefix)) = prefix",
    r"\bregexp_(full_match|matches)\s*\(": "regex_full_match() / regex_contains()",
    r"\bdate_diff\s*\(": "days_between()",
    r"\bto_(months|years|days)\s*\(": "add_months()",
    r"\bgenerate_series\s*\(": "join_integer_series()",
    r"\bunnest\s*\(": "join_integer_series() / split_to_rows()",
    r"\bstring_agg\s*\(": "ordered_string_agg()",
    r"::": "cast(… as …)",
    r"\blist_\w+\s*\(": "an array function behind a macro in engine.sql",
}
ENGINE_MACROS = DBT_PROJECT_DIR / "macros" / "engine.sql"
# `expression: "…"` (or '…', or bare up to the end of a flow mapping) in the yaml files.
EXPRESSION = re.compile(r"expression:\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^\n}]+)")


def _strip_comments(sql: str) -> str:
    sql = re.sub(r"\{#.*?#\}", "", sql, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", "", sql)


def _sql_sources() -> list[Path]:
    found = []
    for folder in ("models", "tests", "macros", "seeds"):
        found += sorted((DBT_PROJECT_DIR / folder).rglob("*.sql"))
    return [p for p in found if p != ENGINE_MACROS]


def _yaml_expressions() -> list[tuple[Path, str]]:
    """The SQL inside yaml files: expression_is_true arguments and the like."""
    found = []
    for path in sorted(DBT_PROJECT_DIR.rglob("*.yml")):
        if "target" in path.relative_to(DBT_PROJECT_DIR).parts:
            continue
        text = path.read_text("utf-8")
        found += [(path, m.group(1)) for m in EXPRESSION.finditer(text)]
    return found


def duckdb_only_constructs(sql: str) -> list[str]:
    """The DuckDB-only constructs in `sql` (comments ignored), each with its neutral replacement."""
    body = _strip_comments(sql)
    return [
        f"{m.group(0).strip()!r} → {advice}"
        for pattern, advice in DUCKDB_ONLY.items()
        for m in re.finditer(pattern, body, flags=re.IGNORECASE | re.MULTILINE)
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "select cast(x as varchar) from t",
        "select arg_max(a, b) from t",
        "select * exclude (a) from t",
        "select 1 union all by name select 2",
        "with u as (\n    unpivot t on a, b into name n value v\n) select * from u",
        "select a // b from t",
        "select strftime(d, '%Y-%m') from t",
        "select 1 where list_contains(string_split(a, '|'), b)",
        "select 1 where starts_with(a, b)",
        "select regexp_full_match(a, 'x')",
        "select date_diff('day', a, b)",
        "select d + to_months(1)",
        "select * from unnest(generate_series(1, 3))",
        "select string_agg(a, ',' order by a) from t",
        "select a::int from t",
    ],
)
def test_each_duckdb_only_construct_is_caught(sql: str) -> None:
    assert duckdb_only_constructs(sql)


def test_neutral_sql_and_comments_pass() -> None:
    sql = "-- a // comment with string_agg(\nselect max_by(a, b), {{ days_between('a', 'b') }} from t {# x::int #}"
    assert duckdb_only_constructs(sql) == []


def test_models_tests_and_macros_use_no_duckdb_only_sql() -> None:
    offences = [
        f"{path.relative_to(DBT_PROJECT_DIR)}: {found}"
        for path in _sql_sources()
        for found in duckdb_only_constructs(path.read_text("utf-8"))
    ]
    assert offences == [], "\n".join(offences)


def test_yaml_expressions_use_no_duckdb_only_sql() -> None:
    expressions = _yaml_expressions()
    assert len(expressions) > 20  # the catalogue's expression_is_true tests were found
    offences = [
        f"{path.relative_to(DBT_PROJECT_DIR)}: {found}"
        for path, expression in expressions
        for found in duckdb_only_constructs(expression)
    ]
    assert offences == [], "\n".join(offences)


def test_every_engine_macro_has_a_duckdb_and_a_spark_form() -> None:
    text = ENGINE_MACROS.read_text("utf-8")
    dispatched = re.findall(r"adapter\.dispatch\('(\w+)', 'ip_warehouse'\)", text)
    assert len(dispatched) >= 10
    missing = [
        f"{name}: {prefix}"
        for name in dispatched
        for prefix in ("default__", "spark__")
        if f"macro {prefix}{name}(" not in text
    ]
    assert missing == []
