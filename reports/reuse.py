"""A draft return rebuilt from the very same inputs gives the very same files: such a rebuild is skipped.

A version not yet submitted is rebuilt by every run (reports/build.py: same inputs, same bytes). Most
runs change nothing a return reads, so the build records, beside each draft it writes, a key of
everything its bytes depend on (`build_state.returns_built`):

- what every model was built from (core/build_state.py: raw tables, catalogue, dbt project, as-of day);
- the gate's decision for the period (blockers, explained warnings and the failures they explain),
  without the check run's id and time, which change with every run;
- the period's submitted version and that manifest's hash (a correction is built against it);
- the code and definitions that render returns, and the installation's region (IPWH_REGION).

The next build of the same draft compares keys; when they agree and the draft's files on disk still
hash as its manifest says, nothing is written. No complete model build on record means no key, so
everything is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb

from core.build_state import SCHEMA, built_models_fingerprint, code_digest, table_exists
from expectations.gate import GateDecision

FORMAT = "ipwh-returns-inputs/1"
TABLE = f"{SCHEMA}.returns_built"
CODE = ("core", "sources", "expectations", "reports")  # what renders a return


def _decision(decision: GateDecision) -> dict[str, Any]:
    return {
        "period": decision.period_code,
        "blockers": [asdict(i) for i in decision.blockers],
        "explained": [asdict(i) for i in decision.explained],
    }


def inputs_key(
    con: duckdb.DuckDBPyConnection,
    *,
    period_code: str,
    returns: list[str],
    decision: GateDecision,
    explained_failures: dict[tuple[str, str | None], set[str]],
    submitted: int | None,
    previous_sha256: str | None,
    region_override: str | None,
) -> str | None:
    """The key of a draft's inputs, or None when the models' inputs are not on record."""
    models = built_models_fingerprint(con)
    if models is None:
        return None
    failures = sorted([list(k), sorted(v)] for k, v in explained_failures.items())
    parts = [
        FORMAT,
        models,
        code_digest(CODE),
        period_code,
        returns,
        _decision(decision),
        failures,
        submitted,
        previous_sha256,
        region_override,
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


def _manifest_intact(folder: Path, manifest_sha256: str) -> bool:
    """The draft's manifest is the one recorded and every file it lists still hashes as listed."""
    manifest_file = folder / "manifest.json"
    try:
        data = manifest_file.read_bytes()
        if hashlib.sha256(data).hexdigest() != manifest_sha256:
            return False
        manifest = json.loads(data)
        listed = {r["file"]: r["sha256"] for r in manifest.get("returns", [])}
        for dataset in (manifest.get("sdmx") or {}, (manifest.get("sdmx") or {}).get("elements") or {}):
            for kind in ("data", "structure"):
                if dataset.get(kind):
                    listed[dataset[kind]] = dataset[f"{kind}_sha256"]
        if manifest.get("change_list"):
            listed.setdefault(manifest["change_list"], None)
        for name, sha in listed.items():
            path = folder / name
            if not path.is_file() or (sha is not None and hashlib.sha256(path.read_bytes()).hexdigest() != sha):
                return False
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True


def reusable(con: duckdb.DuckDBPyConnection, period_code: str, version: int, key: str, folder: Path) -> bool:
    """Whether the draft `version` of the period on disk was built from inputs with this very key."""
    if not table_exists(con, TABLE):
        return False
    found = con.execute(
        f"select inputs_key, manifest_sha256 from {TABLE} where period_code = ? and version = ?",
        [period_code, version],
    ).fetchone()
    return found is not None and found[0] == key and _manifest_intact(folder, found[1])


def record_built(con: duckdb.DuckDBPyConnection, period_code: str, version: int, key: str | None, folder: Path) -> None:
    """Remember the key of the draft just written (None: forget it, so the next build writes again)."""
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(
        f"create table if not exists {TABLE} (period_code varchar, version integer, inputs_key varchar, "
        "manifest_sha256 varchar, primary key (period_code, version))"
    )
    con.execute(f"delete from {TABLE} where period_code = ? and version = ?", [period_code, version])
    if key is None:
        return
    sha = hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    con.execute(f"insert into {TABLE} values (?, ?, ?, ?)", [period_code, version, key, sha])
