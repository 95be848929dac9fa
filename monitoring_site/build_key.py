"""Whether the site on disk already shows what a rebuild would show, so a run that changed nothing
leaves it be (building it takes seconds of pandas and templates).

The site is a function of the marts and catalogue (what the models were built from:
core/build_state.py), the latest check run's outcomes and the analysts' explanations (the gate state
and the quality page), the day it is built for, and its own code. Their key is written into the
site folder with every build (`.inputs-key`); the check run's id and times are left out, so an idle
run's fresh check run with the same outcomes does not count as a change. A missing or different key,
or no complete model build on record, means a rebuild.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb

from core.build_state import built_models_fingerprint, code_digest, table_exists

FORMAT = "ipwh-site-inputs/1"
KEY_FILE = ".inputs-key"
CODE = ("core", "sources", "expectations", "reports", "monitoring_site")


def _quality(con: duckdb.DuckDBPyConnection) -> list[list[str]]:
    if not table_exists(con, "quality.check_results") or not table_exists(con, "quality.explanations"):
        return []
    try:
        results = con.execute(
            """
            select check_name, asset_key, severity, status, period_code, checked_rows, failed_rows, message
            from quality.check_results
            where run_id = (
                select run_id from quality.check_runs where finished_at is not null order by finished_at desc limit 1
            )
            order by all
            """
        ).fetchall()
        explained = con.execute("select * exclude (run_id) from quality.explanations order by all").fetchall()
    except duckdb.Error:
        return []
    return [[str(v) for v in row] for row in [*results, ("explanations",), *explained]]


def site_inputs_key(con: duckdb.DuckDBPyConnection, today: date) -> str | None:
    models = built_models_fingerprint(con)
    if models is None:
        return None
    parts = [FORMAT, models, _quality(con), today.isoformat(), code_digest(CODE)]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def site_current(folder: Path, key: str | None) -> bool:
    if key is None or not (folder / "index.html").is_file():
        return False
    try:
        return (folder / KEY_FILE).read_text(encoding="utf-8") == key
    except OSError:
        return False
