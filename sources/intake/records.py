"""Load a record-level patent extract (Parquet or CSV): archived by hash, checked, loaded whole.

An extract is a snapshot of all applications of the city's applicants up to its cut-off date;
the newest extract is the current truth (dbt picks it). DuckDB reads and checks the file in SQL,
so two million rows load in seconds without passing through Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from core.raw_zone import mark_pending, publish
from core.settings import Settings, local_now
from core.warehouse import writer
from sources.catalogue import Catalogue, load
from sources.intake.archive import archive_bytes, display_name, sha256_hex
from sources.intake.duckdb_errors import explain_duckdb_error
from sources.intake.raw_schema import ensure_raw_schema
from sources.intake.readers import sniff

COLUMNS = (
    "application_no",
    "patent_type",
    "application_date",
    "grant_date",
    "applicant_name",
    "applicant_type",
    "is_hightech_firm",
    "is_service_invention",
    "agency_name",
    "region_code",
    "legal_status",
    "lapse_date",
    "ipc_main",
    "is_pct",
    "is_abroad",
    "is_high_value",
)
PATENT_TYPES = ("invention", "utility", "design")
APPLICANT_TYPES = ("firm", "university", "institute", "individual", "public_body")
LEGAL_STATUSES = ("pending", "valid", "lapsed", "rejected", "withdrawn")


@dataclass
class ExtractOutcome:
    file_name: str
    extract_id: str
    loaded: bool
    row_count: int = 0
    duplicate: bool = False
    problems: list[str] = field(default_factory=list)


def load_extract(
    path: Path, as_of: date, settings: Settings, catalogue: Catalogue | None = None, sample: bool = False
) -> ExtractOutcome:
    catalogue = catalogue or load()
    settings.ensure_dirs()
    name = display_name(path.name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return ExtractOutcome(name, "", False, problems=[f"无法读取文件：{exc.strerror or exc}"])
    extract_id = sha256_hex(data)
    kind = sniff(data)
    is_parquet = data[:4] == b"PAR1"
    if not is_parquet and kind != "text":
        return ExtractOutcome(name, extract_id, False, problems=["专利明细应为 Parquet 或 CSV（UTF-8）文件"])
    archive_path = archive_bytes(data, extract_id, "parquet" if is_parquet else "text", settings.archive)
    stored = settings.archive / archive_path
    reader = f"read_parquet('{_sql_path(stored)}')" if is_parquet else f"read_csv('{_sql_path(stored)}', header=true)"
    with writer(settings.warehouse) as con:
        ensure_raw_schema(con)
        if con.execute("select 1 from raw.patent_extracts where extract_id = ?", [extract_id]).fetchone():
            return ExtractOutcome(name, extract_id, False, duplicate=True)
        try:
            con.execute(f"create or replace temp view incoming as select * from {reader}")
            present = [row[0] for row in con.execute("describe incoming").fetchall()]
        except duckdb.Error as exc:
            return ExtractOutcome(name, extract_id, False, problems=[f"文件无法读取：{explain_duckdb_error(exc)}"])
        missing = [c for c in COLUMNS if c not in present]
        if missing:
            return ExtractOutcome(name, extract_id, False, problems=[f"缺少列：{', '.join(missing)}"])
        problems = _check(con, catalogue, as_of)
        if problems:
            return ExtractOutcome(name, extract_id, False, problems=problems)
        columns = ", ".join(COLUMNS)
        changed = ["patent_records", "patent_extracts"]
        mark_pending(settings, changed)
        con.execute("begin transaction")
        try:
            con.execute(
                f"insert into raw.patent_records (extract_id, {columns}) select ?, {_casts()} from incoming",
                [extract_id],
            )
            count = con.execute("select count(*) from raw.patent_records where extract_id = ?", [extract_id]).fetchone()
            row_count = int(count[0]) if count else 0
            con.execute(
                "insert into raw.patent_extracts values (?, ?, ?, ?, ?, ?, ?)",
                [extract_id, name, archive_path, as_of, row_count, local_now(), sample],
            )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        publish(con, settings, changed)  # IPWH_RAW_ZONE; a failure says the extract itself is loaded
    return ExtractOutcome(name, extract_id, True, row_count=row_count)


def _casts() -> str:
    types = {
        "application_date": "date",
        "grant_date": "date",
        "lapse_date": "date",
        "is_hightech_firm": "boolean",
        "is_service_invention": "boolean",
        "is_pct": "boolean",
        "is_abroad": "boolean",
        "is_high_value": "boolean",
    }
    return ", ".join(f"cast({c} as {types.get(c, 'varchar')}) as {c}" for c in COLUMNS)


def _check(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, as_of: date) -> list[str]:
    """Every rule an extract must meet; each failing rule reports its count and a few examples."""
    regions = sorted(r["region_code"] for r in catalogue.rows("regions") if r["region_level"] == "county")
    try:
        con.execute(f"create or replace temp table typed as select {_casts()} from incoming")
    except duckdb.Error as exc:
        return [f"数据类型不符（日期应为 YYYY-MM-DD，标志应为 true/false）：{explain_duckdb_error(exc)}"]
    rules = [
        ("申请号为空", "application_no is null or trim(application_no) = ''"),
        ("专利类型不在 invention/utility/design 之中", f"patent_type not in {PATENT_TYPES}"),
        ("申请人类型不在允许值之中", f"applicant_type not in {APPLICANT_TYPES}"),
        ("法律状态不在允许值之中", f"legal_status not in {LEGAL_STATUSES}"),
        ("地区代码不是目录中的县级地区", f"region_code not in {tuple(regions)}"),
        ("申请日为空或晚于截止日", f"application_date is null or application_date > DATE '{as_of.isoformat()}'"),
        ("授权日早于申请日或晚于截止日", f"grant_date < application_date or grant_date > DATE '{as_of.isoformat()}'"),
        ("有效或失效专利缺少授权日", "legal_status in ('valid', 'lapsed') and grant_date is null"),
        ("标志列为空", "is_pct is null or is_abroad is null or is_service_invention is null or is_high_value is null"),
    ]
    problems = []
    for label, condition in rules:
        rows = con.execute(f"select count(*) over (), application_no from typed where {condition} limit 3").fetchall()
        if rows:
            examples = "、".join(str(r[1]) for r in rows)
            problems.append(f"{label}：{rows[0][0]} 行（如 {examples}）")
    dupes = con.execute("select application_no, count(*) from typed group by 1 having count(*) > 1 limit 3").fetchall()
    if dupes:
        problems.append(f"申请号重复：如 {'、'.join(str(d[0]) for d in dupes)}")
    return problems


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
