"""Run the main job in-process (no server): what `make run` and `ipwh run` do."""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestration.settings import Settings


@dataclass
class RunSummary:
    success: bool
    materialized: list[str] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def run_main_job(settings: Settings) -> RunSummary:
    settings.ensure_dirs()
    settings.export()
    # Heavy imports only here: the rest of the CLI stays fast.
    from dagster import DagsterEventType, DagsterInstance

    from orchestration.dbt import prepare_manifest

    prepare_manifest()
    # dbt reads the raw tables as sources: they must exist before the first file arrives.
    from orchestration.warehouse import writer
    from sources.intake.raw_schema import ensure_raw_schema

    with writer(settings.warehouse) as con:
        ensure_raw_schema(con)
    # Imported after the manifest is fresh: the module builds the one Definitions on import.
    from orchestration.definitions import MAIN_JOB, defs

    job = defs.resolve_job_def(MAIN_JOB)
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
    summary = RunSummary(success=result.success)
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            summary.materialized.append(event.asset_key.to_user_string())
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            if evaluation.passed:
                summary.checks_passed += 1
            else:
                summary.checks_failed.append(name)
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            summary.errors.append(event.message or "步骤失败")
    summary.success = summary.success and not summary.checks_failed
    return summary
