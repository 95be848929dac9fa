"""Run the definitions in-process (no server): what `make run` and `ipwh run` do.

`run_all` runs `build_warehouse`, then each returns job for the latest ended period of its type
(as of Settings.today; IPWH_TODAY pins it). Progress is reported as it happens, one line per step
and per asset group, checks by name with their severity; dbt's own log goes to
`<IPWH_HOME>/logs/`, not to the terminal.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from core.settings import Settings, local_now
from orchestration.names import GATE_CHECK

# Exit codes of `ipwh run`.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REFUSED = 3  # the warehouse built, but the gate refused a return: a data problem to act on
EXIT_STOPPED = 130  # stopped by SIGINT/SIGTERM: the step in progress was interrupted, nothing after it ran
SITE_AFTER_RUN_TAG = "ipwh/site_after_run"

STEP_LABELS = {
    "intake_inbox": "接收收件箱",
    "warehouse_dbt": "dbt 构建（目录、模型、测试）",
    "quality_rules": "质量规则检查",
    "gate__month": "质量闸门（月报）",
    "gate__quarter": "质量闸门（季报）",
    "gate__year": "质量闸门（年报）",
    "returns__month": "上报报表（月报）",
    "returns__quarter": "上报报表（季报）",
    "returns__year": "上报报表（年报）",
}
GROUP_LABELS = {
    "raw": "原始表",
    "catalogue": "目录",
    "staging": "暂存层",
    "intermediate": "中间层",
    "marts": "数据集市",
    "gate": "质量闸门",
    "returns": "上报报表",
    "snapshot": "分析快照",
}
SEVERITY_LABELS = {"ERROR": "错误", "WARN": "警告"}


@dataclass
class CheckResult:
    name: str  # asset/key:check_name
    passed: bool
    severity: str  # ERROR | WARN
    blocking: bool
    description: str | None = None
    details: list[str] = field(default_factory=list)


@dataclass
class RunSummary:
    job: str
    success: bool
    partition: str | None = None
    run_id: str | None = None
    materialized: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)  # materialised by keeping what an identical build wrote
    checks: list[CheckResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped_steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. the snapshot could not be published
    seconds: float = 0.0

    @property
    def checks_passed(self) -> int:
        return sum(c.passed for c in self.checks)

    @property
    def checks_failed(self) -> list[str]:
        return [c.name for c in self.checks if not c.passed]

    @property
    def blockers(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed and c.blocking and c.severity == "ERROR"]

    @property
    def interrupted(self) -> bool:
        """Stopped by SIGINT/SIGTERM (Dagster interrupts the step; dagster-dbt stops dbt)."""
        return any("DagsterExecutionInterruptedError" in e for e in self.errors)

    @property
    def gate_closed(self) -> bool:
        """A gate/<type>:gate_clear check failed: the returns of the period were not built."""
        return any(not c.passed and c.name.endswith(f":{GATE_CHECK}") for c in self.checks)

    @property
    def refused(self) -> bool:
        """Stopped by the data, not broken: the gate said no (the run itself succeeds), or the run
        failed only because blocking checks failed."""
        if self.success:
            return self.gate_closed
        return bool(self.blockers) and all(_is_check_failure(e) for e in self.errors)


@dataclass
class Outcome:
    build: RunSummary
    returns: list[RunSummary] = field(default_factory=list)
    not_defined: list[str] = field(default_factory=list)  # period types without returns assets yet

    @property
    def interrupted(self) -> bool:
        return self.build.interrupted or any(r.interrupted for r in self.returns)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_STOPPED
        if not self.build.success and not self.build.refused:
            return EXIT_ERROR
        if any(not r.success and not r.refused for r in self.returns):
            return EXIT_ERROR
        if self.build.refused or any(r.refused for r in self.returns):
            return EXIT_REFUSED
        return EXIT_OK


def _is_check_failure(message: str) -> bool:
    lower = message.lower()
    return ("check" in lower and ("blocking" in lower or "failed" in lower)) or "检查" in message


Echo = Callable[[str], None]


class ProgressHandler(logging.Handler):
    """Turns Dagster events into a few readable lines as they happen."""

    def __init__(self, echo: Echo) -> None:
        super().__init__(level=logging.DEBUG)
        self.echo = echo
        self.started: dict[str, float] = {}
        self.groups: dict[str, dict[str, int]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event") if isinstance(meta, dict) else None
        event = event or getattr(record, "dagster_event", None)
        if event is None:
            return
        try:
            self._handle(event)
        except Exception:  # progress output must never break a run
            return

    def _handle(self, event: Any) -> None:
        kind = event.event_type_value
        step = event.step_key or ""
        label = STEP_LABELS.get(step, step)
        if kind == "STEP_START":
            self.started[step] = time.monotonic()
            self.groups[step] = {}
            self.echo(f"  ▶ {label}…")
        elif kind == "ASSET_MATERIALIZATION":
            key = event.asset_key
            group = key.path[0] if len(key.path) > 1 else "其他"
            counts = self.groups.setdefault(step, {})
            counts[group] = counts.get(group, 0) + 1
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                severity = evaluation.severity.value
                mark = "✗" if severity == "ERROR" else "!"
                blocking = "，阻断" if evaluation.blocking else ""
                name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                self.echo(f"    {mark} 检查未通过（{SEVERITY_LABELS.get(severity, severity)}{blocking}）：{name}")
        elif kind == "STEP_SUCCESS":
            seconds = time.monotonic() - self.started.get(step, time.monotonic())
            counts = self.groups.get(step, {})
            for group, n in counts.items():
                self.echo(f"    {GROUP_LABELS.get(group, group)}：{n} 个")
            if step.startswith("returns__") and not counts:
                self.echo(f"  – {label} 未生成：质量闸门未通过（未写入任何文件）")
            else:
                self.echo(f"  ✓ {label} 完成（{seconds:.0f} 秒）")
        elif kind == "STEP_FAILURE":
            self.echo(f"  ✗ {label} 失败：{_failure_text(event)}")
        elif kind == "HOOK_COMPLETED" and step == "warehouse_dbt":
            self.echo("  ✓ 分析快照已发布（snapshot/warehouse.duckdb 与 Parquet）")
        elif kind == "HOOK_ERRORED":
            self.echo(f"  ! 分析快照未能发布：{_hook_error(event)}")
        elif kind == "STEP_SKIPPED":
            self.echo(f"  – {label} 跳过（上游未完成或被阻断）")


def _failure_text(event: Any) -> str:
    data = event.step_failure_data
    if data and data.user_failure_data and data.user_failure_data.description:
        return data.user_failure_data.description
    error = data.error if data else None
    while error is not None and getattr(error, "cause", None) is not None:
        error = error.cause
    if error is not None and error.cls_name == "DagsterAssetCheckFailedError":
        # Dagster's wording: "N blocking asset checks failed …:\n<asset>: <check>,<check>": keep the names.
        lines = error.message.strip().splitlines()[1:]
        names = "；".join(" ".join(line.split()) for line in lines if line.strip())
        return f"阻断性检查未通过{('：' + names) if names else ''}（详情：ipwh check）"
    if error is not None:
        return " ".join(f"{error.cls_name}: {error.message}".split())[:500]
    return event.message or "步骤失败"


def _hook_error(event: Any) -> str:
    error = getattr(event.event_specific_data, "error", None)
    while error is not None and getattr(error, "cause", None) is not None:
        error = error.cause
    return " ".join(f"{error.message}".split())[:500] if error is not None else (event.message or "")


def _progress_logger_def(echo: Echo):
    from dagster import logger

    @logger(description="ipwh run progress")
    def progress(_init_context: Any) -> logging.Logger:
        log = logging.getLogger("ipwh.progress")
        log.handlers = [ProgressHandler(echo)]
        log.setLevel(logging.DEBUG)
        log.propagate = False
        return log

    return progress


def prepare(settings: Settings) -> None:
    """Directories, the dbt manifest and the raw tables dbt reads; the definitions import after this."""
    settings.ensure_dirs()
    settings.export()
    from core.warehouse import writer
    from orchestration.dbt import prepare_manifest
    from sources.intake.raw_schema import ensure_raw_schema

    prepare_manifest(settings)
    with writer(settings.warehouse) as con:  # waits (with a message) while another process writes
        ensure_raw_schema(con)


def execute(
    job_name: str,
    settings: Settings,
    echo: Echo,
    partition: str | None = None,
    defs: Any = None,
    selection: Selection | None = None,
) -> RunSummary:
    """Run one job of the Definitions in-process against the installation's Dagster instance
    (`selection`: only some of the job's assets and checks)."""
    from dagster import DagsterEventType, DagsterInstance

    if defs is None:
        from orchestration.definitions import build_definitions

        defs = build_definitions(settings)
    log_path = settings.logs / f"{job_name}-{local_now():%Y%m%d-%H%M%S}.log"
    settings.logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    terminal = sys.stdout

    def show(line: str) -> None:
        with contextlib.redirect_stdout(terminal):
            echo(line)

    job = defs.resolve_job_def(job_name)
    if selection is not None:
        job = job.get_subset(asset_selection=set(selection.assets), asset_check_selection=selection.checks)
    job = job.with_logger_defs({"ipwh_progress": _progress_logger_def(show)})
    # dagster-dbt echoes every dbt log line to stdout: keep it in a file, not on the terminal.
    with (
        log_path.open("w", encoding="utf-8") as dbt_log,
        contextlib.redirect_stdout(dbt_log),
        DagsterInstance.get() as instance,
    ):
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            partition_key=partition,
            run_config={"loggers": {"ipwh_progress": {}}},
            tags={SITE_AFTER_RUN_TAG: "true"},  # run_all builds the site once, after the checks
        )
    summary = RunSummary(job=job_name, success=result.success, partition=partition, run_id=result.run_id)
    summary.seconds = round(time.monotonic() - started, 1)
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            summary.materialized.append(event.asset_key.to_user_string())
            if "reused" in event.event_specific_data.materialization.metadata:
                summary.reused.append(event.asset_key.to_user_string())
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            summary.checks.append(_check_result(event.event_specific_data))
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            summary.errors.append(_failure_text(event))
        elif event.event_type == DagsterEventType.HOOK_ERRORED:
            summary.warnings.append(f"分析快照未能发布：{_hook_error(event)}")
        elif event.event_type == DagsterEventType.STEP_SKIPPED:
            summary.skipped_steps.append(event.step_key or "")
    return summary


def _check_result(evaluation: Any) -> CheckResult:
    details = []
    for label, value in (evaluation.metadata or {}).items():
        text = getattr(value, "value", value)
        if isinstance(text, str | int | float) and not isinstance(text, bool):
            details.append(f"{label}：{text}")
    return CheckResult(
        name=f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}",
        passed=evaluation.passed,
        severity=evaluation.severity.value,
        blocking=bool(evaluation.blocking),
        description=evaluation.description,
        details=details[:10],
    )


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM stops a run the way Ctrl-C does: KeyboardInterrupt outside Dagster, an interrupted step
    inside it (Dagster maps both signals while a job executes). Connections close as the stack unwinds,
    and dbt, which dies with this process (orchestration/dbt_child.py), releases the warehouse."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_all(settings: Settings, echo: Echo = print, defs: Any = None, full: bool = False) -> Outcome:
    """build_warehouse, then the returns of the latest ended period of each type; a signal stops it all.
    `full`: load the catalogue and run all its tests even when it has not changed."""
    with stop_on_signals():
        return _run_all(settings, echo, defs, full)


def _run_all(settings: Settings, echo: Echo, defs: Any, full: bool) -> Outcome:
    from orchestration.names import MAIN_JOB, RETURNS_JOBS
    from orchestration.partitions import latest_ended_partition, period_of_partition

    prepare(settings)
    _merge_portal_queue(settings, echo)
    if defs is None:
        from orchestration.definitions import build_definitions

        defs = build_definitions(settings)
    selection = None if full else build_selection(settings, defs)
    echo(f"作业 {MAIN_JOB}：" + ("" if selection is None else f"（{selection.note}）"))
    build = execute(MAIN_JOB, settings, echo, defs=defs, selection=selection)
    outcome = Outcome(build=build)
    if build.interrupted or (not build.success and not build.refused):
        return outcome
    defined = {job.name for job in defs.resolve_all_job_defs()}
    for period_type, job_name in RETURNS_JOBS.items():
        if job_name not in defined:
            outcome.not_defined.append(period_type)
            continue
        key = latest_ended_partition(period_type, settings.today)
        if key is None:
            continue
        period = period_of_partition(period_type, key)
        if not full and _draft_current(settings, period):
            echo(f"作业 {job_name}（{period.label}，分区 {key}）：报表所读的数据与检查结果未变，草稿保持不变，不启动")
            outcome.returns.append(
                RunSummary(job=job_name, success=True, partition=key, reused=[f"returns/{period_type}"])
            )
            continue
        echo(f"作业 {job_name}（{period.label}，分区 {key}）：")
        outcome.returns.append(execute(job_name, settings, echo, partition=key, defs=defs))
        if outcome.returns[-1].interrupted:
            return outcome  # stopped: nothing after the interrupted step runs
    refresh_snapshot_and_site(settings, echo)
    return outcome


def _draft_current(settings: Settings, period: Any) -> bool:
    """The period's draft returns were built from exactly what a returns run would read now (reports/reuse.py)."""
    from reports.build import draft_current_in_warehouse

    try:
        return draft_current_in_warehouse(settings.warehouse, settings.outbox, period)
    except Exception:  # cannot tell: the returns run decides, and says why if it fails
        return False


@dataclass(frozen=True)
class Selection:
    """Part of a job: these assets, and these checks (None: every check of the selected assets)."""

    assets: tuple[Any, ...]
    checks: frozenset[Any] | None
    note: str


def build_selection(settings: Settings, defs: Any) -> Selection | None:
    """What of `build_warehouse` this run needs, or None for all of it.

    - nothing to receive and the models' inputs unchanged since they were last built
      (orchestration/build_inputs.py): intake and the quality checks only, no dbt;
    - the catalogue, project and as-of day of the last complete build: intake, the models downstream
      of the raw tables that changed since (or that intake writes, when the inbox holds files), their
      tests and the quality checks;
    - the warehouse holds this very catalogue (orchestration/seed_state.py): everything but the seeds
      and their tests."""
    from core.warehouse import read_only
    from orchestration.build_inputs import changed_raw_tables, downstream_of_raw
    from orchestration.dbt import dbt_project, dbt_vars, project_fingerprint, seed_keys
    from orchestration.intake_assets import INTAKE_KEYS, tables_intake_may_write
    from orchestration.names import MAIN_JOB
    from orchestration.quality_checks import rule_check_keys
    from orchestration.seed_state import seeds_current, seeds_fingerprint
    from sources.intake.pipeline import inbox_files

    if not settings.warehouse.exists():
        return None
    seeds = seed_keys(dbt_project(settings).manifest_path)
    fingerprint = seeds_fingerprint()
    project = project_fingerprint(dbt_vars(settings))
    try:
        with read_only(settings.warehouse) as con:
            if not seeds_current(con, fingerprint, seeds.values()):
                return None
            changed = changed_raw_tables(con, fingerprint, project)  # None: not comparable, build all
    except Exception:  # unreadable now: the full build will say why
        return None
    waiting = inbox_files(settings)
    rules = frozenset(rule_check_keys())
    if changed == set() and not waiting:
        return Selection(tuple(INTAKE_KEYS), rules, "数据、目录与模型均未变：沿用已建的模型，只重跑质量检查")
    job = defs.resolve_job_def(MAIN_JOB)
    keys = job.asset_layer.selected_asset_keys
    if changed is not None:
        tables = changed | tables_intake_may_write(waiting)
        graph = job.asset_layer.asset_graph
        deps = {key: set(graph.get(key).parent_keys) for key in keys}
        wanted = (downstream_of_raw(deps, tables) | set(INTAKE_KEYS)) & set(keys)
        checks = {c for c in graph.asset_check_keys if c.asset_key in wanted} | rules
        note = f"目录与模型未变，只重建受影响的原始表（{'、'.join(sorted(tables))}）下游的模型及其测试"
        return Selection(_sorted(wanted), frozenset(checks), note)
    return Selection(_sorted(k for k in keys if k not in seeds), None, "目录未变，不重新载入目录及其测试")


def _sorted(keys: Any) -> tuple[Any, ...]:
    return tuple(sorted(keys, key=lambda k: k.to_user_string()))


def refresh_snapshot_and_site(settings: Settings, echo: Echo) -> None:
    """Publish the snapshot again once the checks have run, so it and the site carry this run's gate state.

    Both are left as they are when what they show (the marts, the catalogue, the check outcomes and
    explanations, the day: monitoring_site/build_key.py) is what they already show; the snapshot's
    quality tables then lack only the check runs that changed nothing."""
    from core.snapshot import INPUTS_KEY_FILE, publish_snapshot
    from core.warehouse import read_only
    from monitoring_site.build import build_site
    from monitoring_site.build_key import site_current, site_inputs_key

    folder = settings.home / "site"
    snapshot_key = settings.snapshot / INPUTS_KEY_FILE
    try:
        with read_only(settings.warehouse) as con:
            # Marts read from Parquet (IPWH_MARTS_SOURCE): the warehouse's build record does not
            # describe them, so no key and the site is rebuilt.
            key = None if settings.marts_parquet else site_inputs_key(con, settings.today)
        if key is not None and site_current(folder, key) and _read_text(snapshot_key) == key:
            echo(f"分析快照与监测网站所示的数据和检查结果未变：快照与页面保持不变（{folder / 'index.html'}）")
            return
        publish_snapshot(settings, run_id="ipwh run")
        if key is not None:
            snapshot_key.write_text(key, encoding="utf-8")
        if site_current(folder, key):
            echo(f"监测网站所示的数据与检查结果未变，页面保持不变：{folder / 'index.html'}")
            return
        site = build_site(settings, inputs_key=key)
    except Exception as exc:  # the warehouse and returns are built; only the readers' copies lag
        echo(f"  ! 分析快照或监测网站未能更新：{exc}")
        return
    echo(f"监测网站已更新：{site.folder / 'index.html'}（{len(site.pages)} 个页面，{site.seconds} 秒）")


def _read_text(path: Any) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _merge_portal_queue(settings: Settings, echo: Echo) -> None:
    """Portal submissions still queued (no portal server running) are recorded before the build reads raw."""
    from sources.intake.queue import merge, pending

    if not pending(settings):
        return
    merged = merge(settings)
    if merged is not None:
        echo(f"已记录 {len(merged)} 份排队的网上报送。")


def run_main_job(settings: Settings) -> RunSummary:
    """The build alone (kept for tests and callers that want no returns)."""
    from orchestration.names import MAIN_JOB

    prepare(settings)
    return execute(MAIN_JOB, settings, lambda _line: None)
