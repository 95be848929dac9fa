"""Names of the Dagster jobs, shared by the definitions, the runner and the CLI (no Dagster import)."""

from __future__ import annotations

from core.settings import WAREHOUSE_TAG

MAIN_JOB = "build_warehouse"
INTAKE_JOB = "refresh_from_inbox"
REMIND_JOB = "remind_departments"
RETURNS_JOBS = {"month": "returns_month", "quarter": "returns_quarter", "year": "returns_year"}
GATE_CHECK = "gate_clear"  # the check on gate/<period type> that says whether the returns may be built
# Every job that opens the warehouse carries WAREHOUSE_TAG, valued with its engine: the run queue
# (core/settings.py, dagster.yaml) starts one such run at a time per engine.
WAREHOUSE_RUN_TAGS = {WAREHOUSE_TAG: "duckdb"}
