"""Build the returns of one period into the outbox: gate first, then every definition, then the manifest.

Outbox layout: <outbox>/<period>/v<N>/<return_code>_<period>.xlsx, manifest.json beside them, and for
a correction (N > 1) change_list.csv against the submitted version N−1. A submitted version's folder
is never written again; rebuilding a version not yet submitted replaces it (same inputs give the
same bytes). A version is written whole into a hidden folder beside it and swapped in at once, so
the files and the manifest of a version always agree.
"""

from __future__ import annotations

import csv
import ctypes
import hashlib
import io
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from core.faults import fault_point
from expectations.gate import GateDecision, GateIssue, gate_decision
from reports import registry, reuse, sdmx
from reports.sources import SOURCES, ReturnDataMissing, Row, SourceResult
from reports.spec import ReturnDefinition, load_conventions, load_definitions
from reports.trace import Tracer, TraceRow
from reports.writer import Change, RenderInput, render
from sources.forms.xlsx_template import SAMPLE_MARK, write_bytes_atomic
from sources.periods import Period

MANIFEST = "manifest.json"
CHANGE_LIST = "change_list.csv"
MANIFEST_FORMAT = "ipwh-returns-manifest/1"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class ReturnsError(Exception):
    """A returns command that cannot go ahead; the message (Chinese) says why and what to do."""


class GateClosed(ReturnsError):
    def __init__(self, decision: GateDecision) -> None:
        self.decision = decision
        lines = [f"质量关口未通过，{decision.period_code} 的报表未生成（未写入任何文件）："]
        lines += [f"  - {describe_issue(i)}" for i in decision.blockers]
        super().__init__("\n".join(lines))


@dataclass
class BuiltReturn:
    definition: ReturnDefinition
    title: str
    file_name: str
    data: bytes
    inputs: list[str]
    rows: list[dict[str, Any]]
    sample: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class BuildOutcome:
    period: Period
    version: int
    folder: Path
    built: list[BuiltReturn] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    unchanged_from: int | None = None  # set when the build equals the submitted version: nothing written
    reused: bool = False  # the draft on disk was built from the very same inputs: nothing written
    changes: list[tuple[str, Change]] = field(default_factory=list)

    @property
    def manifest_path(self) -> Path:
        return self.folder / MANIFEST


def describe_issue(issue: GateIssue) -> str:
    period = f"（{issue.period_code}）" if issue.period_code else ""
    kind = {"error": "错误", "warning": "警告"}.get(issue.severity, issue.severity)
    state = {"failed": "未通过", "error": "无法运行"}.get(issue.status, issue.status)
    extra = f"，{issue.failed_rows} 行" if issue.failed_rows else ""
    hint = "；请分析人员写明说明" if issue.severity == "warning" and issue.status == "failed" else ""
    return f"[{kind}] {issue.check_name}{period} {state}{extra}：{issue.message}{hint}"


def latest_ended_periods(today: date) -> list[Period]:
    """The latest month, quarter and year that have ended by `today`."""
    month = Period.of("month", today.year, today.month).previous()
    quarter = Period.of("quarter", today.year, (today.month - 1) // 3 + 1).previous()
    year = Period.of("year", today.year - 1)
    return [month, quarter, year]


def period_folder(outbox: Path, period: Period) -> Path:
    return outbox / period.code


def version_folder(outbox: Path, period: Period, version: int) -> Path:
    return period_folder(outbox, period) / f"v{version}"


@dataclass
class _Plan:
    """What a build of a period's returns starts from (read before anything is written)."""

    decision: GateDecision
    selected: list[ReturnDefinition]
    submitted: int | None
    previous: dict[str, Any] | None
    explained_failures: dict[tuple[str, str | None], set[str]]
    key: str | None  # reports/reuse.py; None: never reused
    outcome: BuildOutcome


def _plan(
    con: duckdb.DuckDBPyConnection,
    outbox: Path,
    period: Period,
    only: list[str] | None,
    reason: str | None,
    definitions: dict[str, ReturnDefinition] | None,
) -> _Plan:
    decision = gate_decision(con, period)
    if not decision.passed:
        raise GateClosed(decision)
    defs = definitions or load_definitions()
    if only:
        unknown = [code for code in only if code not in defs]
        if unknown:
            raise ReturnsError(f"没有这些报表：{'、'.join(unknown)}。可选：{'、'.join(defs)}")
        defs = {code: defs[code] for code in only}
    selected = [d for d in defs.values() if d.exists_for(period.period_type)]
    if not selected:
        raise ReturnsError(f"没有适用于{period.label}（{period.period_type}）的报表。")
    registry.ensure_schema(con)
    submitted = registry.latest_submitted_version(con, period.code)
    version = (submitted or 0) + 1
    outcome = BuildOutcome(period, version, version_folder(outbox, period, version))
    previous = registry.read_submitted_manifest(con, outbox, period, submitted) if submitted else None
    explained_failures = _failure_subjects(con, decision)
    key = None
    if not only and not reason and definitions is None:
        from core.settings import Settings  # the installation's region (IPWH_REGION) shapes the SDMX files

        key = reuse.inputs_key(
            con,
            period_code=period.code,
            returns=[d.code for d in selected],
            decision=decision,
            explained_failures=explained_failures,
            submitted=submitted,
            previous_sha256=previous.get("_sha256") if previous else None,
            region_override=Settings.from_env().region_override,
        )
    return _Plan(decision, selected, submitted, previous, explained_failures, key, outcome)


def draft_is_current(con: duckdb.DuckDBPyConnection, outbox: Path, period: Period) -> bool:
    """Whether the period's draft on disk was built from the very inputs a build would use now, so
    `build_period(..., reuse_draft=True)` would write nothing (False while the gate is closed)."""
    try:
        plan = _plan(con, outbox, period, None, None, None)
    except (GateClosed, ReturnsError, registry.SubmitError):
        return False
    return plan.key is not None and reuse.reusable(
        con, period.code, plan.outcome.version, plan.key, plan.outcome.folder
    )


def build_period(
    con: duckdb.DuckDBPyConnection,
    outbox: Path,
    period: Period,
    *,
    only: list[str] | None = None,
    reason: str | None = None,
    definitions: dict[str, ReturnDefinition] | None = None,
    reuse_draft: bool = False,
) -> BuildOutcome:
    """Build every return that exists for `period`'s type; raise GateClosed (writing nothing) when the
    gate is closed. Returns that fail (a missing mart) are listed in the outcome and the manifest.
    `reuse_draft`: leave the draft on disk as it is when it was built from the very same inputs
    (reports/reuse.py); the outcome then says `reused` and lists nothing built."""
    plan = _plan(con, outbox, period, only, reason, definitions)
    decision, previous, submitted, key, outcome = plan.decision, plan.previous, plan.submitted, plan.key, plan.outcome
    version, explained_failures, selected = outcome.version, plan.explained_failures, plan.selected
    conventions = load_conventions()
    if reuse_draft and key is not None and reuse.reusable(con, period.code, version, key, outcome.folder):
        outcome.reused = True
        return outcome
    for d in selected:
        try:
            outcome.built.append(
                _build_one(con, d, period, decision, explained_failures, conventions, version, previous, reason)
            )
        except ReturnDataMissing as exc:
            outcome.failed[d.code] = str(exc)
    if previous is not None:
        old = {r["code"]: r for r in previous["returns"]}
        same = (
            all(b.definition.code in old and _rows_equal(old[b.definition.code]["rows"], b.rows) for b in outcome.built)
            and not outcome.failed
        )
        if same and {b.definition.code for b in outcome.built} == set(old):
            outcome.unchanged_from = submitted
            return outcome
        outcome.changes = [
            (b.definition.code, ch)
            for b in outcome.built
            for ch in _changes(old.get(b.definition.code), b, reason, previous)
        ]
    _write(con, outcome, decision, previous, submitted)
    reuse.record_built(con, period.code, version, key, outcome.folder)
    return outcome


# --- one return ---------------------------------------------------------------------------------------


def _build_one(
    con: duckdb.DuckDBPyConnection,
    d: ReturnDefinition,
    period: Period,
    decision: GateDecision,
    explained_failures: dict[tuple[str, str | None], set[str]],
    conventions: dict[str, Any],
    version: int,
    previous: dict[str, Any] | None,
    reason: str | None,
) -> BuiltReturn:
    source = SOURCES.get(d.source)
    if source is None:
        raise ReturnsError(f"报表定义 {d.path.name} 的 source {d.source!r} 未知（可用：{'、'.join(SOURCES)}）")
    result = source(con, period, d.params)
    context = {**result.context, "period_label": period.label, "period_code": period.code}
    title = fill(d.title, context)
    traces: list[TraceRow] = []
    row_inputs: list[set[str]] = []
    tracer = Tracer(con, [key for row in result.rows for key in row.get("_trace", [])])
    for row in result.rows:
        ids: set[str] = set()
        for key in row.get("_trace", []):
            found = tracer.trace(key, f"{_row_label(d, row)} · {key.label}")
            traces.extend(found)
            ids.update(t.submission_id for t in found if t.value_source != "专利明细")
        row_inputs.append(ids)
    issuer = _issuing_body(con, d)
    notes = _notes(d, result, context, decision, explained_failures)
    pct = _percent_decimals(con, str(conventions.get("percent_unit", "percent")))
    rows = _figures(d, result.rows, row_inputs, pct)
    changes = None
    if previous is not None:
        old = next((r for r in previous["returns"] if r["code"] == d.code), None)
        changes = _changes(old, BuiltReturn(d, title, "", b"", [], rows, result.sample), reason, previous)
    ri = RenderInput(
        definition=d,
        result=result,
        period_label=period.label,
        title=title,
        issuer=issuer,
        reporting_unit=_department_name(con, d.reporting_unit),
        notes=notes,
        traces=traces,
        created=_created(result, traces, period),
        version=version,
        percent_decimals=pct,
        status_colours=dict(conventions.get("status_colours") or {}),
        target_paths=dict(conventions.get("target_paths") or {}),
        changes=changes,
        headers=[fill(c.header, context) for c in d.columns],
    )
    inputs = sorted(set().union(*row_inputs)) if row_inputs else []
    return BuiltReturn(d, title, f"{d.code}_{period.code}.xlsx", render(ri), inputs, rows, result.sample)


def fill(template: str, context: dict[str, str]) -> str:
    """Replace {placeholders} from the source's context; an unknown one stays visible, never guessed."""
    return _PLACEHOLDER.sub(lambda m: str(context.get(m.group(1), m.group(0))), template)


def _row_label(d: ReturnDefinition, row: Row) -> str:
    no = row.get("target_no")
    label = str(row.get(d.row_label) or row.get(d.row_key) or "")
    return f"{no}. {label}" if no is not None else label


def _department_name(con: duckdb.DuckDBPyConnection, code: str) -> str:
    sql = "select department_name from catalogue.departments where department_code = ?"
    found = con.execute(sql, [code]).fetchone()
    if not found:
        raise ReturnsError(f"目录中没有部门 {code}（报表的制定机关或填报单位）。")
    return str(found[0])


def _issuing_body(con: duckdb.DuckDBPyConnection, d: ReturnDefinition) -> str:
    """制定机关: the body that designed the return (catalogue.returns), never the plan's issuer."""
    sql = "select table_no, issuing_department_code from catalogue.returns where return_code = ?"
    try:
        found = con.execute(sql, [d.code]).fetchone()
    except duckdb.CatalogException as exc:
        raise ReturnsError("仓库中没有目录表 catalogue.returns（上报报表的制定机关）：请先运行 ipwh run。") from exc
    if not found:
        raise ReturnsError(f"目录 returns.csv 中没有报表 {d.code}（{d.table_no}）：请补上它的制定机关。")
    table_no, department = found
    if table_no != d.table_no:
        raise ReturnsError(f"目录 returns.csv 中报表 {d.code} 的表号为 {table_no}，报表定义为 {d.table_no}：请核对。")
    return _department_name(con, str(department))


def _percent_decimals(con: duckdb.DuckDBPyConnection, unit_code: str) -> int:
    found = con.execute("select decimals from catalogue.units where unit_code = ?", [unit_code]).fetchone()
    return int(found[0]) if found else 2


def _created(result: SourceResult, traces: list[TraceRow], period: Period) -> datetime:
    """The document's created time, from the data: the latest input received, else the data's end."""
    received = [t.received_at for t in traces if t.received_at is not None]
    if received:
        return max(received).replace(microsecond=0)
    if result.as_of:
        return datetime.fromisoformat(result.as_of).replace(microsecond=0)
    return datetime.combine(period.end, time(0, 0))


def _failure_subjects(con: duckdb.DuckDBPyConnection, decision: GateDecision) -> dict[tuple[str, str | None], set[str]]:
    """For each explained warning, the codes its failed rows name (element or indicator, department, form)."""
    out: dict[tuple[str, str | None], set[str]] = {}
    for issue in decision.explained:
        rows = con.execute(
            """
            select subject_code, department_code, form_code from quality.check_failures
            where run_id = ? and check_name = ? and period_code is not distinct from ?
            """,
            [decision.run_id, issue.check_name, issue.period_code],
        ).fetchall()
        out[(issue.check_name, issue.period_code)] = {v for row in rows for v in row if v}
    return out


def _subjects(con_rows: list[Row]) -> set[str]:
    return {s for row in con_rows for s in row.get("_subjects", set())}


def _notes(
    d: ReturnDefinition,
    result: SourceResult,
    context: dict[str, str],
    decision: GateDecision,
    explained_failures: dict[tuple[str, str | None], set[str]],
) -> list[str]:
    notes: list[str] = []
    if result.sample:
        notes.append(f"本表由{SAMPLE_MARK}生成，仅供演示和测试，不得作为正式统计数据使用或报送。")
    notes += [fill(n, context) for n in d.notes]
    notes += result.notes
    notes.append(
        "“—”表示无数据或不适用。表中数值均来自通过质量检查的数据；每个数值所依据的部门报送"
        "（报送单位、报表、版本、文件 SHA-256、接收时间）见“数据来源”工作表。"
    )
    subjects = _subjects(result.rows)
    for issue in decision.explained:
        codes = explained_failures.get((issue.check_name, issue.period_code), set())
        if codes and not codes & subjects:
            continue  # the warning concerns figures this return does not show
        when = f"，{issue.explained_at:%Y-%m-%d}" if issue.explained_at else ""
        period = f"（{issue.period_code}）" if issue.period_code else ""
        notes.append(
            f"质量检查提示{period}：{issue.message}。分析人员说明：{issue.explanation}（{issue.explained_by}{when}）"
        )
    return notes


# --- figures, changes, manifest -------------------------------------------------------------------------


def _text(value: object, kind: str, decimals: int, pct: int) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if kind == "year" and isinstance(value, Decimal | int | float):
        return str(int(value))
    if kind in ("value", "pct", "count") and isinstance(value, Decimal | int | float):
        places = {"value": decimals, "pct": pct, "count": 0}[kind]
        return format(round(Decimal(str(value)), places), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _figures(d: ReturnDefinition, rows: list[Row], inputs: list[set[str]], pct: int) -> list[dict[str, Any]]:
    out = []
    for row, ids in zip(rows, inputs, strict=True):
        decimals = int(row.get("_decimals") or 0)
        out.append(
            {
                "key": str(row.get(d.row_key) if not row.get("_total") else "合计"),
                "label": _row_label(d, row),
                "values": {c.code: _text(row.get(c.key), c.kind, decimals, pct) for c in d.columns},
                "inputs": sorted(ids),
            }
        )
    return out


def _rows_equal(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> bool:
    return [(r["key"], r["values"]) for r in old] == [(r["key"], r["values"]) for r in new]


def _changes(
    old: dict[str, Any] | None, built: BuiltReturn, reason: str | None, previous: dict[str, Any]
) -> list[Change]:
    headers = {c.code: c.header for c in built.definition.columns}
    old_rows = {r["key"]: r for r in (old or {}).get("rows", [])}
    old_inputs = {i["submission_id"]: i for i in previous.get("inputs", [])}
    out: list[Change] = []
    for row in built.rows:
        before = old_rows.get(row["key"])
        for code, after in row["values"].items():
            was = before["values"].get(code, "") if before else ""
            if was == after:
                continue
            out.append(
                Change(
                    row["label"],
                    f"{code} {headers.get(code, '')}",
                    was or "—",
                    after or "—",
                    _delta(was, after),
                    _why(before, row, old_inputs, reason),
                )
            )
    return out


def _delta(before: str, after: str) -> str:
    try:
        return format(Decimal(after) - Decimal(before), "+f")
    except (ArithmeticError, ValueError):
        return "—"


def _why(before: dict[str, Any] | None, row: dict[str, Any], old_inputs: dict[str, Any], reason: str | None) -> str:
    parts = []
    if before is None:
        parts.append("新增项目")
    else:
        added = sorted(set(row["inputs"]) - set(before["inputs"]))
        dropped = sorted(set(before["inputs"]) - set(row["inputs"]))
        if added:
            parts.append(f"依据的报送有更新：新用 {'、'.join(added)}")
        if dropped:
            parts.append(
                f"不再使用 {'、'.join(dropped)}"
                + ("（已被新版本取代）" if any(i in old_inputs for i in dropped) else "")
            )
        if not added and not dropped:
            parts.append("依据的报送未变，计算口径、目录或质量说明有更新")
    if reason:
        parts.append(f"更正原因：{reason}")
    return "；".join(parts)


def _input_details(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = con.execute(
        """
        select submission_id, form_code, department_code, period, version, file_sha256, received_at, is_sample
        from raw.submissions where list_contains(?, submission_id) order by submission_id
        """,
        [ids],
    ).fetchall()
    return [
        {
            "submission_id": sid,
            "form_code": form,
            "department_code": dept,
            "period": p,
            "version": v,
            "file_sha256": sha,
            "received_at": at.isoformat() if at else None,
            "is_sample": bool(sample),
        }
        for sid, form, dept, p, v, sha, at, sample in rows
    ]


def _catalogue_version(con: duckdb.DuckDBPyConnection) -> str:
    digest = hashlib.sha256()
    for (table,) in con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = 'catalogue' and table_catalog = current_database() order by 1"
    ).fetchall():
        for row in con.execute(f'select * from catalogue."{table}" order by all').fetchall():
            digest.update(repr(row).encode("utf-8"))
    return digest.hexdigest()


def _write(
    con: duckdb.DuckDBPyConnection,
    outcome: BuildOutcome,
    decision: GateDecision,
    previous: dict[str, Any] | None,
    submitted: int | None,
) -> None:
    """Write the version into a hidden folder beside it, then swap that folder in whole: the outbox
    never holds a version whose manifest disagrees with its files, whenever the process stops."""
    folder = outcome.folder
    recover_versions(folder.parent)
    staging = folder.parent / f".{folder.name}{_STAGING}{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for built in outcome.built:
            write_bytes_atomic(staging / built.file_name, built.data)
            fault_point("returns_mid_write")
        if previous is not None:
            write_bytes_atomic(staging / CHANGE_LIST, change_list_csv(outcome.changes))
        exchange = _write_sdmx(con, outcome, staging, previous is not None)
        manifest = _manifest(con, outcome, decision, previous, submitted, exchange)
        write_bytes_atomic(staging / MANIFEST, manifest)
        _swap_in(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_sdmx(
    con: duckdb.DuckDBPyConnection, outcome: BuildOutcome, folder: Path, correction: bool
) -> dict[str, Any] | None:
    """The figures as SDMX-CSV with their structure; listed (and so signed) in the manifest."""
    if not sdmx.available(con):
        return None
    from core.settings import Settings  # the installation's region (IPWH_REGION)

    try:
        region, region_name = sdmx.reporting_region(con, Settings.from_env().region_override)
    except sdmx.SdmxError as exc:
        raise ReturnsError(str(exc)) from exc
    figures, dsd = sdmx.data(con, outcome.period, correction), sdmx.structure(con)
    elements = sdmx.element_data(con, outcome.period, correction, region)
    element_dsd = sdmx.element_structure(con)
    written = {
        sdmx.data_file(outcome.period): figures,
        sdmx.STRUCTURE_FILE: dsd,
        sdmx.element_file(outcome.period): elements,
        sdmx.ELEMENT_STRUCTURE_FILE: element_dsd,
    }
    for name, data in written.items():
        write_bytes_atomic(folder / name, data)
    return {
        "region_code": region,
        "region_name": region_name,
        "data": sdmx.data_file(outcome.period),
        "data_sha256": hashlib.sha256(figures).hexdigest(),
        "structure": sdmx.STRUCTURE_FILE,
        "structure_sha256": hashlib.sha256(dsd).hexdigest(),
        "structure_id": sdmx.STRUCTURE_ID,
        "observations": sdmx.check(figures, dsd),
        "elements": {
            "data": sdmx.element_file(outcome.period),
            "data_sha256": hashlib.sha256(elements).hexdigest(),
            "structure": sdmx.ELEMENT_STRUCTURE_FILE,
            "structure_sha256": hashlib.sha256(element_dsd).hexdigest(),
            "structure_id": sdmx.ELEMENT_STRUCTURE_ID,
            "observations": sdmx.check(elements, element_dsd),
        },
    }


_STAGING = ".building-"  # .v<N>.building-<pid>: a version being written
_REPLACED = ".replaced-"  # .v<N>.replaced-<pid>: the draft a rebuild replaces, until the new one is in


def _swap_in(staging: Path, folder: Path) -> None:
    """Make `staging` the version folder; a draft already there (never a submitted version) is replaced."""
    if not folder.exists():
        os.rename(staging, folder)
        return
    if _exchange(staging, folder):  # one atomic step: the folder is the old version or the new one
        shutil.rmtree(staging, ignore_errors=True)
        return
    replaced = folder.parent / f".{folder.name}{_REPLACED}{os.getpid()}"
    os.rename(folder, replaced)  # a crash between these two renames is undone by recover_versions
    os.rename(staging, folder)
    shutil.rmtree(replaced, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def recover_versions(period_folder: Path) -> None:
    """Undo what a build stopped midway left: a half-written version is dropped; a draft moved aside
    for its replacement comes back when the replacement never arrived."""
    if not period_folder.is_dir():
        return
    for path in period_folder.iterdir():
        if not path.name.startswith("."):
            continue
        if _STAGING in path.name:
            shutil.rmtree(path, ignore_errors=True)
        elif _REPLACED in path.name:
            version = period_folder / path.name[1:].split(_REPLACED)[0]
            if version.exists():
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.rename(path, version)


def _manifest(
    con: duckdb.DuckDBPyConnection,
    outcome: BuildOutcome,
    decision: GateDecision,
    previous: dict[str, Any] | None,
    submitted: int | None,
    exchange: dict[str, Any] | None = None,
) -> bytes:
    ids = sorted({i for b in outcome.built for i in b.inputs})
    doc = {
        "format": MANIFEST_FORMAT,
        "period": outcome.period.code,
        "period_type": outcome.period.period_type,
        "period_label": outcome.period.label,
        "version": outcome.version,
        "corrects": {"version": submitted, "manifest_sha256": previous.get("_sha256")} if previous else None,
        "sample": any(b.sample for b in outcome.built),
        "gate": {
            "run_id": decision.run_id,
            "checked_at": decision.checked_at.isoformat() if decision.checked_at else None,
            "explained": [
                {
                    "check_name": i.check_name,
                    "period_code": i.period_code,
                    "explanation": i.explanation,
                    "explained_by": i.explained_by,
                }
                for i in decision.explained
            ],
        },
        "catalogue_sha256": _catalogue_version(con),
        "returns": [
            {
                "code": b.definition.code,
                "title": b.title,
                "table_no": b.definition.table_no,
                "file": b.file_name,
                "sha256": b.sha256,
                "bytes": len(b.data),
                "sample": b.sample,
                "inputs": b.inputs,
                "rows": b.rows,
            }
            for b in outcome.built
        ],
        "failed": [{"code": code, "error": message} for code, message in sorted(outcome.failed.items())],
        "change_list": CHANGE_LIST if previous is not None else None,
        "sdmx": exchange,
        "inputs": _input_details(con, ids),
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


def change_list_csv(changes: list[tuple[str, Change]]) -> bytes:
    """The change list as CSV (UTF-8 with BOM for Excel); cells that could start a formula are quoted as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["报表", "项目", "栏次", "原报数值", "更正后数值", "增减", "原因"])
    for code, ch in changes:
        writer.writerow(
            [_csv_safe(v) for v in (code, ch.row_label, ch.column, ch.before, ch.after, ch.delta, ch.reason)]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_safe(text: str) -> str:
    if text and text[0] in "=+-@\t\r" and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def build_in_warehouse(warehouse: Path, outbox: Path, period: Period, **options: Any) -> BuildOutcome:
    """What the CLI and the Dagster assets call: one writing connection, then `build_period`.

    With IPWH_MARTS_SOURCE=parquet:<folder> the marts and catalogue are read from that folder and the
    rest from the warehouse, read-only (core/marts.py); the returns' registry is only read here."""
    from core.marts import open_marts
    from core.settings import Settings
    from core.warehouse import WarehouseUnavailable, writer

    if not warehouse.exists():
        raise WarehouseUnavailable(f"仓库文件 {warehouse} 尚不存在：请先运行 `make run`（或 `ipwh run`）建立仓库。")
    settings = Settings.from_env()
    if settings.marts_parquet is not None:
        with open_marts(settings, warehouse) as con:
            return build_period(con, outbox, period, **options)
    with writer(warehouse) as con:
        return build_period(con, outbox, period, **options)


def draft_current_in_warehouse(warehouse: Path, outbox: Path, period: Period) -> bool:
    """`draft_is_current` on the installation's warehouse (False when it cannot be asked, or when the
    marts are read from Parquet: the warehouse's build record does not describe them)."""
    from core.settings import Settings
    from core.warehouse import writer

    if not warehouse.exists() or Settings.from_env().marts_parquet is not None:
        return False
    with writer(warehouse) as con:
        return draft_is_current(con, outbox, period)
