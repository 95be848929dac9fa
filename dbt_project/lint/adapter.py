"""`adapter` for sqlfluff's jinja templater (library_path in .sqlfluff), which has no dbt adapter:
`adapter.dispatch` picks the duckdb__ or default__ macro, so the models are linted as the DuckDB SQL
dbt builds by default. dbt itself never imports this file."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context


@pass_context
def dispatch(context: Context, macro_name: str, macro_namespace: str | None = None) -> Any:
    for prefix in ("duckdb__", "default__"):
        macro = context.resolve_or_missing(prefix + macro_name)
        if callable(macro):
            return macro
    raise LookupError(f"no duckdb__ or default__ implementation of {macro_name}")
