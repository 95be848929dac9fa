"""Run every rule once, record the run in the warehouse (schema `quality`), publish the HTML page.

A rule that raises, cannot import its library, or finds no data is recorded with status 'error':
it counts as failed, never as a pass. One entry point for every run path (Dagster, `ipwh check`, tests).
When the caller says what the warehouse was built from (`built`) and nothing the rules read has changed
since the latest run, the run is recorded with that run's results instead of evaluating them again
(expectations/reuse.py).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from expectations.context import CheckContext
from expectations.outcomes import NoDataToCheck
from expectations.results import CheckOutcome, ensure_quality_schema, record_outcomes
from expectations.rules import Rule, load_rules
from sources.catalogue import Catalogue

RuleFunction = Callable[[CheckContext, Rule], CheckOutcome]


def _registry() -> dict[str, RuleFunction]:
    from expectations import cross_checks, document_checks, ge_rules, series_checks, submission_checks

    return {
        "ge_forms": ge_rules.check_form_suites,
        "ge_mart": ge_rules.check_mart_suite,
        "counties_sum": cross_checks.check_counties_sum,
        "sources_agree": cross_checks.check_sources_agree,
        "parts_le_totals": cross_checks.check_parts_le_totals,
        "outlier": series_checks.check_outliers,
        "unit_slip": series_checks.check_unit_slip,
        "forms_submitted": submission_checks.check_forms_submitted,
        "forms_on_time": submission_checks.check_forms_on_time,
        "document_conflict": document_checks.check_document_conflict,
    }


@dataclass(frozen=True)
class CheckRun:
    run_id: str
    as_of: date
    started_at: datetime
    finished_at: datetime
    outcomes: tuple[CheckOutcome, ...]
    seconds: dict[str, float]
    reused_from: str | None = None  # the run that evaluated these outcomes, when this one took them over


def evaluate_rule(ctx: CheckContext, rule: Rule, registry: dict[str, RuleFunction] | None = None) -> CheckOutcome:
    """One rule's outcome; anything that stops it from answering becomes status 'error'."""
    try:
        function = (registry or _registry())[rule.kind]
        return function(ctx, rule)
    except NoDataToCheck as exc:
        message = f"{rule.name}：无法检查——{exc}"
    except ImportError as exc:
        message = f"{rule.name}：无法导入检查所需的组件（{exc}），视为未通过"
    except Exception as exc:
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        message = f"{rule.name}：检查运行出错（{last}），视为未通过"
    return CheckOutcome(rule.code, rule.asset_key, rule.severity, "error", message)


def data_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The latest acceptance the build saw, of any kind of submission (figures and task reports).

    The gate compares it with the latest acceptance in raw.submission_events (`latest_acceptance`):
    both count every accepted submission, so a fresh build always clears the comparison."""
    try:
        return con.execute("select max(accepted_at) from intermediate.int_submissions__accepted").fetchone()[0]
    except duckdb.Error:
        return None


def run_checks(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    trigger: str,
    as_of: date,
    catalogue: Catalogue,
    rules: Sequence[Rule] | None = None,
    now: Callable[[], datetime] | None = None,
    built: str | None = None,
) -> CheckRun:
    """Evaluate `rules` (default: every rule in rules.csv) and append the run to the quality tables.

    `built`: what the warehouse's models were built from and its raw tables hold (the caller knows);
    with it, a run whose inputs equal the latest run's takes that run's outcomes over. Without it,
    every rule is evaluated."""
    from core.settings import local_now
    from expectations.reuse import check_inputs, copy_outcomes, reusable_run

    clock = now or local_now
    ensure_quality_schema(con)
    chosen = tuple(rules if rules is not None else load_rules())
    inputs = check_inputs(built, as_of, chosen, catalogue.seeds_dir) if built else None
    source = reusable_run(con, inputs) if inputs else None
    started = clock()
    seen = data_as_of(con)
    con.execute("insert into quality.check_runs values (?, ?, null, ?, ?, ?)", [run_id, started, trigger, as_of, seen])
    if inputs:
        con.execute("insert into quality.run_inputs values (?, ?, ?)", [run_id, inputs, source[1] if source else None])
    seconds: dict[str, float] = {}
    if source:
        outcomes = copy_outcomes(con, source[0], run_id)
        finished = clock()
    else:
        ctx = CheckContext(con=con, catalogue=catalogue, as_of=as_of)
        registry = _registry()
        evaluated: list[CheckOutcome] = []
        for rule in chosen:
            tick = time.perf_counter()
            evaluated.append(evaluate_rule(ctx, rule, registry))
            seconds[rule.code] = time.perf_counter() - tick
        finished = clock()
        record_outcomes(con, run_id, evaluated, finished)
        outcomes = tuple(evaluated)
    con.execute("update quality.check_runs set finished_at = ? where run_id = ?", [finished, run_id])
    return CheckRun(run_id, as_of, started, finished, outcomes, seconds, source[1] if source else None)
