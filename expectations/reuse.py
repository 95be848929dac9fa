"""A check run on unchanged inputs takes over the outcomes of the run before it instead of evaluating.

A rule's outcome depends only on what it reads and how it judges: the warehouse's built models and
raw tables (the caller says what they were built from and hold, orchestration/build_inputs.py), the
catalogue files, the rules (rules.csv, settings.csv, return_forms.csv and the expectations code),
the libraries that compute them and the as-of day. These make the run's inputs digest, recorded
with every run (`quality.run_inputs`). When the latest finished run has the same
digest and none of its rules failed to run, a new run is still recorded (history, gate and pages
stay run by run) but its results are copies of that run's, and `reused_from` names the run that
evaluated them. Anything else, a changed byte of any input or no digest known, evaluates afresh.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date
from importlib.metadata import version
from pathlib import Path

import duckdb

from expectations.results import CheckOutcome, Failure
from expectations.rules import Rule

FORMAT = "ipwh-check-inputs/1"
HERE = Path(__file__).resolve().parent
SOURCES = HERE.parent / "sources"
# What the rules' code is: this package (rules and their CSV files) and the catalogue and periods
# code it reads the seeds and periods with.
CODE_FILES = ("catalogue.py", "periods.py")
LIBRARIES = ("duckdb", "great_expectations", "numpy", "pandas")


def _files_digest(root: Path, paths: Sequence[Path]) -> bytes:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.digest()


def code_files() -> list[Path]:
    own = sorted(p for p in HERE.rglob("*") if p.is_file() and p.suffix in (".py", ".csv"))
    return own + [SOURCES / name for name in CODE_FILES]


def check_inputs(built: str, as_of: date, rules: Sequence[Rule], seeds_dir: Path) -> str:
    """The digest of everything a run of `rules` reads and how it judges, given `built` (the warehouse)."""
    digest = hashlib.sha256(json.dumps([FORMAT, built, as_of.isoformat()]).encode())
    digest.update(json.dumps([repr(rule) for rule in rules], ensure_ascii=False).encode())
    digest.update(json.dumps([version(name) for name in LIBRARIES]).encode())
    digest.update(_files_digest(HERE.parent, code_files()))
    digest.update(_files_digest(seeds_dir, sorted(p for p in seeds_dir.rglob("*") if p.is_file())))
    return digest.hexdigest()


def reusable_run(con: duckdb.DuckDBPyConnection, inputs: str) -> tuple[str, str] | None:
    """(run to copy, run that evaluated) when the latest finished run had these very inputs and every
    rule of it ran; None otherwise. A rule that could not run (status 'error') is asked again."""
    latest = con.execute(
        "select r.run_id, i.inputs_digest, coalesce(i.reused_from, r.run_id) "
        "from quality.check_runs as r left join quality.run_inputs as i using (run_id) "
        "where r.finished_at is not null order by r.finished_at desc limit 1"
    ).fetchone()
    if latest is None or latest[1] != inputs:
        return None
    errors = con.execute(
        "select count(*) from quality.check_results where run_id = ? and status = 'error'", [latest[0]]
    ).fetchone()[0]
    results = con.execute("select count(*) from quality.check_results where run_id = ?", [latest[0]]).fetchone()[0]
    return (latest[0], latest[2]) if results and not errors else None


RESULT_COLUMNS = (
    "check_name, asset_key, severity, status, period_code, checked_rows, failed_rows, message, evaluated_at"
)
FAILURE_COLUMNS = (
    "check_name, severity, period_code, region_code, department_code, form_code, subject_code, observed, expected, "
    "message, fix, submission_id"
)


def copy_outcomes(con: duckdb.DuckDBPyConnection, source: str, run_id: str) -> tuple[CheckOutcome, ...]:
    """Record `source`'s results and failing rows again under `run_id` (in their order, with the time
    they were evaluated), and return them as outcomes."""
    con.execute(
        f"insert into quality.check_results (run_id, {RESULT_COLUMNS}) "
        f"select ?, {RESULT_COLUMNS} from quality.check_results where run_id = ? order by rowid",
        [run_id, source],
    )
    con.execute(
        f"insert into quality.check_failures (run_id, {FAILURE_COLUMNS}) "
        f"select ?, {FAILURE_COLUMNS} from quality.check_failures where run_id = ? order by rowid",
        [run_id, source],
    )
    return read_outcomes(con, run_id)


def read_outcomes(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[CheckOutcome, ...]:
    """A recorded run's outcomes, rule by rule in the order they were recorded, failures in theirs."""
    failures: dict[str, list[Failure]] = {}
    for check, *fields in con.execute(
        "select check_name, message, period_code, region_code, department_code, form_code, subject_code, observed, "
        "expected, fix, submission_id from quality.check_failures where run_id = ? order by rowid",
        [run_id],
    ).fetchall():
        failures.setdefault(check, []).append(Failure(*fields))
    outcomes: dict[str, CheckOutcome] = {}
    for check, asset_key, severity, status, checked_rows, message in con.execute(
        "select check_name, asset_key, severity, status, checked_rows, message from quality.check_results "
        "where run_id = ? order by rowid",
        [run_id],
    ).fetchall():
        if check not in outcomes:  # a failed rule has a row per failing period, all alike but the period
            outcomes[check] = CheckOutcome(
                check, asset_key, severity, status, message, checked_rows, failures.get(check, [])
            )
    return tuple(outcomes.values())
