"""The returns as Dagster assets: one per period type, partitioned by reporting period, downstream
of the gate asset of the same type. Each materialisation calls the same build as `ipwh returns
build`, which asks the gate again: while it is closed nothing is written and the asset is simply not
materialised (the gate's failed check carries the reasons), so a refusal is not a step failure.
No `from __future__ import annotations` here: Dagster reads the `context` annotation at definition time."""

from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.partitions import PERIOD_PARTITIONS, period_of_partition
from sources.periods import PERIOD_TYPES

_LABEL = {"month": "月报", "quarter": "季报", "year": "年报"}


def _returns_asset(period_type: str) -> AssetsDefinition:
    @asset(
        key=AssetKey(["returns", period_type]),
        group_name="returns",
        partitions_def=PERIOD_PARTITIONS[period_type],
        deps=[AssetKey(["gate", period_type])],
        output_required=False,
        description=f"上报报表（{_LABEL[period_type]}）：发件箱中该报告期的全部报表与清单（须通过质量关口）。",
    )
    def _build(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        from core.settings import Settings
        from reports.build import GateClosed, ReturnsError, build_in_warehouse
        from reports.registry import SubmitError

        settings = Settings.from_env()
        period = period_of_partition(period_type, context.partition_key)
        try:
            outcome = build_in_warehouse(settings.warehouse, settings.outbox, period, reuse_draft=True)
        except GateClosed as exc:
            hint = f"处理：ipwh check --period {period.code}"
            context.log.warning(f"{exc}\n{hint}")
            _record_refusal(context, settings, f"{exc} {hint}")
            return
        except (ReturnsError, SubmitError) as exc:
            raise Failure(description=str(exc)) from None
        if outcome.reused:
            context.log.info(f"{period.label}第 {outcome.version} 版草稿的输入未变，沿用已生成的文件：{outcome.folder}")
            yield MaterializeResult(
                metadata={
                    "period": period.code,
                    "version": outcome.version,
                    "folder": MetadataValue.path(str(outcome.folder)),
                    "reused": True,
                }
            )
            return
        metadata: dict[str, Any] = {
            "period": period.code,
            "version": outcome.version,
            "folder": MetadataValue.path(str(outcome.folder)),
            "files": MetadataValue.json({b.file_name: b.sha256 for b in outcome.built}),
        }
        if outcome.unchanged_from is not None:
            metadata["unchanged_from_submitted_version"] = outcome.unchanged_from
        if outcome.failed:
            raise Failure(
                description="；".join(f"{code}：{message}" for code, message in outcome.failed.items()),
                metadata=metadata,
            )
        yield MaterializeResult(metadata=metadata)

    return _build


def _record_refusal(context: AssetExecutionContext, settings: Any, reason: str) -> None:
    """A refusal in alerts/failures.log, where operators look for runs that need them."""
    from core.failure_log import FailureRecord, record_failure
    from core.settings import local_now

    record = FailureRecord(
        local_now(),
        context.run.job_name,
        context.run.run_id,
        [context.op_execution_context.op.name],
        " ".join(reason.split()),
        "上报被质量关卡拦下",
    )
    record_failure(record, settings)


def return_assets() -> list[Any]:
    return [_returns_asset(period_type) for period_type in PERIOD_TYPES]
