"""The industry IP centre registry (004): designations, re-reviews and revocations as events.

The IP office keeps the registry: one centre at a time (`ipwh centres designate`) or a CSV file
(`ipwh centres import`). A file is archived by hash first, then checked row by row; one error
rejects the whole file and nothing is recorded. Events go to the append-only raw.centre_registry;
an event already recorded (same centre, event and date) is skipped, so importing the same
registry again, or a longer version of it, records only what is new.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from core.settings import Settings, local_now
from core.warehouse import writer
from sources.catalogue import Catalogue
from sources.forms.layout import CSV_ENCODINGS
from sources.intake.archive import archive_bytes, display_name, sha256_hex
from sources.intake.raw_schema import ensure_raw_schema

PROGRAMME = "industry_centres"  # plans.csv plan_code of the 004 programme
EVENTS = {"designated": "认定", "re_reviewed": "复核", "revoked": "撤销"}
EVENT_ALIASES = {**{k: k for k in EVENTS}, **{v: k for k, v in EVENTS.items()}}
REQUIRED_COLUMNS = ("centre_code", "event", "event_date")
COLUMNS = (
    "centre_code",
    "centre_name",
    "applicant_name",
    "applicant_kind",
    "industry",
    "region_code",
    "event",
    "event_date",
    "document_no",
    "note",
)
DESIGNATION_FIELDS = ("centre_name", "applicant_name", "applicant_kind", "industry", "region_code")
CENTRE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$")
MAX_FIELD_CHARS = 200
REGISTRY_COLUMNS = (
    "event_id",
    *COLUMNS,
    "source",
    "source_sha256",
    "source_line",
    "recorded_at",
    "recorded_by",
    "is_sample",
)


@dataclass(frozen=True)
class Centre:
    """A centre as the registry knows it now (its latest designation and latest event)."""

    code: str
    name: str
    designated_on: date
    last_event: str
    last_event_date: date
    is_sample: bool

    @property
    def is_revoked(self) -> bool:
        return self.last_event == "revoked"


@dataclass
class ImportResult:
    file_name: str
    sha256: str
    recorded: int = 0
    skipped: int = 0  # rows already in the registry
    duplicate_file: bool = False
    problems: list[str] = field(default_factory=list)  # Chinese, one per line: 第N行 列：问题

    @property
    def ok(self) -> bool:
        return not self.problems


def registered_centres(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> dict[str, Centre]:
    """Every centre of the catalogue seed (industry_centres.csv) and the raw registry, by code."""
    ensure_raw_schema(con)
    events = con.execute(
        """
        select centre_code, centre_name, event, event_date, is_sample
        from raw.centre_registry order by centre_code, event_date, recorded_at, event_id
        """
    ).fetchall()
    rows = [
        (r["centre_code"], r["centre_name"], "designated", date.fromisoformat(r["designated_on"]), False)
        for r in catalogue.rows("industry_centres")
        if r["centre_code"] and r["designated_on"]
    ]
    out: dict[str, Centre] = {}
    for code, name, event, day, sample in sorted([*rows, *events], key=lambda e: (e[0], e[3])):
        known = out.get(code)
        if event == "designated":
            out[code] = Centre(code, name or (known.name if known else code), day, event, day, bool(sample))
        elif known:
            out[code] = Centre(code, known.name, known.designated_on, event, day, known.is_sample)
    return out


def import_registry(
    data: bytes,
    file_name: str,
    settings: Settings,
    catalogue: Catalogue,
    *,
    sample: bool = False,
    actor: str = "ipwh",
) -> ImportResult:
    """Check and record a registry CSV; nothing is recorded when any row has an error."""
    sha = sha256_hex(data)
    result = ImportResult(display_name(file_name), sha)
    settings.ensure_dirs()
    archive_bytes(data, sha, "text", settings.archive)
    with writer(settings.warehouse) as con:
        centres = registered_centres(con, catalogue)
        if con.execute("select count(*) from raw.centre_registry where source_sha256 = ?", [sha]).fetchone()[0]:
            result.duplicate_file = True
            return result
        rows = _parse(data, result)
        if result.problems:
            return result
        events = _check_rows(rows, centres, catalogue, settings.today, result, _recorded_keys(con))
        if result.problems:
            return result
        new = []
        for line_no, event in events:
            new.append(
                {
                    **event,
                    "event_id": "R" + hashlib.sha256(f"{sha}:{line_no}".encode()).hexdigest()[:20],
                    "source": f"import:{result.file_name}",
                    "source_sha256": sha,
                    "source_line": line_no,
                    "recorded_at": local_now().replace(microsecond=0),
                    "recorded_by": actor,
                    "is_sample": sample,
                }
            )
        _insert(con, new)
        result.recorded = len(new)
    return result


def record_event(
    settings: Settings, catalogue: Catalogue, fields: dict[str, str], *, sample: bool = False, actor: str = "ipwh"
) -> ImportResult:
    """One event typed on the command line (`ipwh centres designate`), checked like an imported row."""
    result = ImportResult("命令行", "")
    settings.ensure_dirs()
    with writer(settings.warehouse) as con:
        centres = registered_centres(con, catalogue)
        row = {c: (fields.get(c) or "").strip() for c in COLUMNS}
        events = _check_rows([(0, row)], centres, catalogue, settings.today, result, _recorded_keys(con))
        if result.problems:
            result.problems = [p.removeprefix("第0行 ") for p in result.problems]
            return result
        if not events:
            return result  # already recorded (result.skipped = 1)
        ((_, event),) = events
        now = local_now().replace(microsecond=0)
        digest = hashlib.sha256(f"{sorted(event.items())}{now}".encode()).hexdigest()[:20]
        _insert(
            con,
            [
                {
                    **event,
                    "event_id": f"R{digest}",
                    "source": "cli",
                    "source_sha256": None,
                    "source_line": None,
                    "recorded_at": now,
                    "recorded_by": actor,
                    "is_sample": sample,
                }
            ],
        )
        result.recorded = 1
    return result


def _parse(data: bytes, result: ImportResult) -> list[tuple[int, dict[str, str]]]:
    if not data.strip():
        result.problems.append("文件为空")
        return []
    text = None
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None or "\x00" in text:
        result.problems.append("文件不是 UTF-8 或 GBK 编码的 CSV 文本")
        return []
    try:
        lines = [line for line in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in line)]
    except csv.Error as exc:
        result.problems.append(f"CSV 格式有误：{exc}")
        return []
    if not lines:
        result.problems.append("文件没有内容")
        return []
    header = [h.strip().lower() for h in lines[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        result.problems.append(f"第1行 表头缺少列：{', '.join(missing)}（应为 {','.join(COLUMNS)}）")
        return []
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        result.problems.append(f"第1行 表头有无法识别的列：{', '.join(unknown)}（可用列：{','.join(COLUMNS)}）")
        return []
    out = []
    for line_no, line in enumerate(lines[1:], start=2):
        if len(line) > len(header):
            result.problems.append(f"第{line_no}行 列数（{len(line)}）多于表头（{len(header)}）")
            continue
        cells = {name: (line[i].strip() if i < len(line) else "") for i, name in enumerate(header)}
        out.append((line_no, {c: cells.get(c, "") for c in COLUMNS}))
    if not out and not result.problems:
        result.problems.append("文件只有表头，没有记录")
    return out


def _check_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
    centres: dict[str, Centre],
    catalogue: Catalogue,
    today: date,
    result: ImportResult,
    recorded: set[tuple[str, str, date]],
) -> list[tuple[int, dict[str, object]]]:
    """Valid new events in order; rows already recorded (same centre, event, date) are skipped."""
    kinds = catalogue.codes("centre_applicant_kinds", "applicant_kind")
    kind_names = {r["applicant_kind_name"]: r["applicant_kind"] for r in catalogue.rows("centre_applicant_kinds")}
    regions = {r["region_code"]: r for r in catalogue.rows("regions")}
    plan = catalogue.plans.get(PROGRAMME, {})
    home = plan.get("region_code", "")
    start = date.fromisoformat(plan["start_date"]) if plan.get("start_date") else None
    state = {code: (c.last_event, c.designated_on) for code, c in centres.items()}
    out: list[tuple[int, dict[str, object]]] = []
    for line_no, row in rows:
        where = f"第{line_no}行"
        bad = result.problems.append
        before = len(result.problems)
        for name, text in row.items():
            if len(text) > MAX_FIELD_CHARS:
                bad(f"{where} {name}：内容过长（{len(text)} 字，上限 {MAX_FIELD_CHARS} 字）")
        code = row["centre_code"]
        if not CENTRE_CODE.match(code):
            bad(f"{where} centre_code：{code!r} 不是有效的中心编码（2–40 位字母、数字、- 或 _，用作收件夹名）")
        event = EVENT_ALIASES.get(row["event"].lower() if row["event"].isascii() else row["event"])
        if event is None:
            bad(f"{where} event：{row['event']!r} 无法识别，应为 designated/认定、re_reviewed/复核 或 revoked/撤销")
        day = _date(row["event_date"])
        if day is None:
            bad(f"{where} event_date：{row['event_date']!r} 不是日期，应为 2024-05-10 这样的格式")
        elif day > today:
            bad(
                f"{where} event_date：{day.isoformat()} 晚于今天（{today.isoformat()}）：名册只登记已作出的认定、"
                "复核或撤销；到期的复核见 ipwh centres list 的“下次复核”"
            )
        elif start and day < start:
            bad(f"{where} event_date：{day.isoformat()} 早于工作方案印发日 {start.isoformat()}（004）")
        kind = row["applicant_kind"]
        kind = kind_names.get(kind, kind)
        if event == "designated":
            for name in DESIGNATION_FIELDS:
                if not row[name]:
                    bad(f"{where} {name}：认定记录必须填写")
            if row["applicant_kind"] and kind not in kinds:
                options = "、".join(f"{k}（{n}）" for n, k in kind_names.items())
                bad(f"{where} applicant_kind：{row['applicant_kind']!r} 不是可申报单位类型，应为 {options}")
            region = row["region_code"]
            if region and region not in regions:
                bad(f"{where} region_code：{region!r} 不在区划目录中（应为 6 位区划代码，如 350102）")
            elif region and home and not _within(region, home, regions):
                bad(f"{where} region_code：{region}（{regions[region]['region_name']}）不在福州市范围内")
        if len(result.problems) > before or event is None or day is None or not CENTRE_CODE.match(code):
            continue
        if (code, event, day) in recorded:
            result.skipped += 1
            continue
        recorded.add((code, event, day))
        last = state.get(code)
        if event == "designated" and last and last[0] != "revoked":
            bad(f"{where} centre_code：{code} 已于 {last[1].isoformat()} 认定且未撤销，不能重复认定")
            continue
        if event != "designated":
            if last is None:
                bad(f"{where} centre_code：{code} 不在名册中，不能{EVENTS[event]}（请先登记认定）")
                continue
            if last[0] == "revoked":
                bad(f"{where} centre_code：{code} 已撤销，不能{EVENTS[event]}")
                continue
            if day < last[1]:
                bad(f"{where} event_date：{EVENTS[event]}日期 {day.isoformat()} 早于认定日期 {last[1].isoformat()}")
                continue
        state[code] = (event, day if event == "designated" else (last[1] if last else day))
        out.append(
            (
                line_no,
                {
                    "centre_code": code,
                    "centre_name": row["centre_name"] or None,
                    "applicant_name": row["applicant_name"] or None,
                    "applicant_kind": kind or None,
                    "industry": row["industry"] or None,
                    "region_code": row["region_code"] or None,
                    "event": event,
                    "event_date": day,
                    "document_no": row["document_no"] or None,
                    "note": row["note"] or None,
                },
            )
        )
    return out


def _date(text: str) -> date | None:
    text = text.strip().replace("/", "-").replace(".", "-")
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", text) or re.match(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$", text)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _within(code: str, ancestor: str, regions: dict[str, dict[str, str]]) -> bool:
    seen = 0
    while code and seen < 10:
        if code == ancestor:
            return True
        code = regions.get(code, {}).get("parent_code", "")
        seen += 1
    return False


def _recorded_keys(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str, date]]:
    return {
        (c, e, d)
        for c, e, d in con.execute("select centre_code, event, event_date from raw.centre_registry").fetchall()
    }


def _insert(con: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    frame = pd.DataFrame(rows, columns=list(REGISTRY_COLUMNS))
    columns = ", ".join(REGISTRY_COLUMNS)
    con.execute("begin transaction")
    try:
        con.register("incoming_registry", frame)
        con.execute(f"insert into raw.centre_registry ({columns}) select {columns} from incoming_registry")
        con.unregister("incoming_registry")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def registry_rows_text(rows: list[dict[str, str]]) -> bytes:
    """A registry CSV (UTF-8) from rows keyed by COLUMNS: what the demo and tests import."""
    buffer = io.StringIO()
    writer_ = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer_.writeheader()
    for row in rows:
        writer_.writerow({c: row.get(c, "") for c in COLUMNS})
    return buffer.getvalue().encode("utf-8")
