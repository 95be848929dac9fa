"""What the warehouse records about its own builds (schema `build_state`), readable from every layer.

Orchestration writes these rows (orchestration/build_inputs.py, orchestration/seed_state.py); the
layers below read them to tell whether what they would produce has already been produced from the
very same inputs (reports/reuse.py, the site's build key).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import duckdb

SCHEMA = "build_state"
MODEL_INPUTS_TABLE = f"{SCHEMA}.model_inputs"
REPO_ROOT = Path(__file__).resolve().parents[1]


def built_models_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint of what every model was last built from, or None when no complete build is on record
    (never built, or the last build failed or built only some models)."""
    if not table_exists(con, MODEL_INPUTS_TABLE):
        return None
    found = con.execute(f"select fingerprint from {MODEL_INPUTS_TABLE}").fetchone()
    return None if found is None else str(found[0])


def table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """Asked of the catalogue, not by a failing query: inside a caller's transaction a failed query
    would abort that transaction."""
    schema, table = qualified.split(".")
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchone()
    return bool(found and found[0])


@cache
def code_digest(packages: tuple[str, ...]) -> str:
    """SHA-256 of every file of these top-level packages (tests and caches aside): what a product
    built by that code (a return, the site) depends on besides its data."""
    digest = hashlib.sha256()
    for package in packages:
        for path in sorted((REPO_ROOT / package).rglob("*")):
            parts = path.relative_to(REPO_ROOT).parts
            if path.is_file() and "__pycache__" not in parts and "tests" not in parts and path.suffix != ".pyc":
                digest.update("/".join(parts).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
