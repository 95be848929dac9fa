"""Hand-made raw data for the indicator models: a temporary warehouse with the raw tables, rows
inserted the way intake would write them, a dbt build, and queries on the marts.

Used by tests/test_indicator_models.py (golden tests) and tests/test_indicator_properties.py
(hypothesis). dbt writes its target/ and logs/ into the temporary folder, never into the project.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from core.settings import DBT_PROJECT_DIR, SEEDS_DIR
from orchestration.dbt import dbt_executable
from sources.catalogue import Catalogue
from sources.intake.raw_schema import ensure_raw_schema
from sources.periods import Period

CATALOGUE = Catalogue(SEEDS_DIR)


def _departments() -> dict[str, str]:
    return {row["department_code"]: row["region_code"] for row in CATALOGUE.rows("departments")}


def _form_period_types() -> dict[str, str]:
    return {row["form_code"]: row["period_type"] for row in CATALOGUE.rows("forms")}


def child_regions(parent_code: str) -> list[str]:
    """The region codes directly under `parent_code`, from the catalogue (e.g. Fuzhou's 13 counties)."""
    return sorted(r["region_code"] for r in CATALOGUE.rows("regions") if r["parent_code"] == parent_code)


@dataclass
class RawData:
    """Rows for the raw tables, built in memory and written in one go."""

    submissions: list[tuple] = field(default_factory=list)
    values: list[tuple] = field(default_factory=list)
    extracts: list[tuple] = field(default_factory=list)
    records: list[tuple] = field(default_factory=list)
    _counter: int = 0

    def submit(
        self,
        form_code: str,
        department_code: str,
        period: str,
        values: dict[str, Any],
        *,
        version: int = 1,
        received_at: datetime | None = None,
        is_sample: bool = False,
        outcome: str = "accepted",
    ) -> str:
        """One received file with its figures (`values`: element_code -> number or None for blank)."""
        period_type = _form_period_types()[form_code]
        parsed = Period.parse(period, period_type)
        region = _departments()[department_code]
        received = received_at or datetime.combine(parsed.end + timedelta(days=5), datetime.min.time())
        self._counter += 1
        sid = f"S{self._counter:06d}"
        sha = f"{self._counter:064x}"
        self.submissions.append(
            (
                sid,
                sha,
                f"{sid}.xlsx",
                f"archive/{sid}.xlsx",
                "xlsx",
                received,
                None,
                form_code,
                1,
                department_code,
                region,
                period,
                period_type,
                version if outcome == "accepted" else None,
                outcome,
                0 if outcome == "accepted" else 1,
                0,
                is_sample,
                "填表人",
                "0591-00000000",
                None,
            )
        )
        if outcome == "accepted":
            for row, (element, value) in enumerate(values.items(), start=1):
                number = None if value is None else Decimal(str(value))
                self.values.append(
                    (
                        sid,
                        version,
                        form_code,
                        department_code,
                        region,
                        period,
                        period_type,
                        element,
                        number,
                        None if number is None else str(number),
                        "Sheet1",
                        f"C{row + 5}",
                        sha,
                        received,
                        is_sample,
                    )
                )
        return sid

    def extract(self, records: list[dict[str, Any]], as_of: date, *, is_sample: bool = False) -> str:
        """A patent-record extract; each record is a dict of raw.patent_records columns (defaults filled)."""
        self._counter += 1
        extract_id = f"E{self._counter:063x}"
        loaded = datetime.combine(as_of, datetime.min.time()) + timedelta(hours=self._counter)
        self.extracts.append(
            (extract_id, f"{extract_id}.csv", f"archive/{extract_id}.csv", as_of, len(records), loaded, is_sample)
        )
        for i, rec in enumerate(records):
            r = {
                "application_no": f"CN{self._counter:04d}{i:08d}",
                "patent_type": "invention",
                "application_date": date(2020, 1, 1),
                "grant_date": None,
                "applicant_name": "某公司",
                "applicant_type": "firm",
                "is_hightech_firm": False,
                "is_service_invention": False,
                "agency_name": None,
                "region_code": "350102",
                "legal_status": "pending",
                "lapse_date": None,
                "ipc_main": None,
                "is_pct": False,
                "is_abroad": False,
                "is_high_value": False,
                **rec,
            }
            self.records.append(
                (
                    extract_id,
                    r["application_no"],
                    r["patent_type"],
                    r["application_date"],
                    r["grant_date"],
                    r["applicant_name"],
                    r["applicant_type"],
                    r["is_hightech_firm"],
                    r["is_service_invention"],
                    r["agency_name"],
                    r["region_code"],
                    r["legal_status"],
                    r["lapse_date"],
                    r["ipc_main"],
                    r["is_pct"],
                    r["is_abroad"],
                    r["is_high_value"],
                )
            )
        return extract_id

    def write(self, con: duckdb.DuckDBPyConnection, *, replace: bool = True) -> None:
        ensure_raw_schema(con)
        if replace:
            for table in ("submission_values", "submissions", "patent_records", "patent_extracts"):
                con.execute(f"delete from raw.{table}")
        for table, rows, width in (
            ("submissions", self.submissions, 21),
            ("submission_values", self.values, 15),
            ("patent_extracts", self.extracts, 7),
            ("patent_records", self.records, 17),
        ):
            if rows:
                marks = ", ".join(["?"] * width)
                con.executemany(f"insert into raw.{table} values ({marks})", rows)


def run_dbt(
    warehouse: Path,
    work_dir: Path,
    *,
    as_of: str,
    command: str = "build",
    select: str | None = None,
    exclude: str | None = None,
    extra_vars: dict[str, Any] | None = None,
    project_dir: Path = DBT_PROJECT_DIR,
) -> subprocess.CompletedProcess[str]:
    """Run dbt on `warehouse` with its target/ and logs/ under `work_dir`; raises with the output on failure."""
    variables = {"as_of": as_of, **(extra_vars or {})}
    args = [
        dbt_executable(),
        command,
        "--profiles-dir",
        str(project_dir),
        "--project-dir",
        str(project_dir),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
        "--vars",
        json.dumps(variables),
    ]
    if select:
        args += ["--select", select]
    if exclude:
        args += ["--exclude", exclude]
    env = {**os.environ, "IPWH_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(args, cwd=project_dir, env=env, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise AssertionError(f"dbt {command} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}")
    return result


def build_warehouse(path: Path, data: RawData, *, as_of: str, command: str = "build", **kwargs: Any) -> Path:
    """Create `path` with the raw tables holding `data`, then run dbt on it."""
    with duckdb.connect(str(path)) as con:
        data.write(con)
    run_dbt(path, path.parent, as_of=as_of, command=command, **kwargs)
    return path


def query(path: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    with duckdb.connect(str(path), read_only=True) as con:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def months(year: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, 13)]


def quarters(year: int) -> list[str]:
    return [f"{year}Q{q}" for q in range(1, 5)]


def mark_return_submitted(warehouse: Path, period_code: str) -> None:
    """Record that the returns for `period_code` went upward (as `ipwh returns submit` does), locking the period."""
    from reports.registry import ensure_schema

    period = Period.parse(period_code)
    with duckdb.connect(str(warehouse)) as con:
        ensure_schema(con)
        con.execute(
            "insert into returns.submissions values (?, ?, ?, 1, '张三', ?, 'x', 'p.zip', 'y', 0, false, null)",
            [f"R{period.code}-v1", period.code, period.period_type, datetime(2026, 11, 21, 9, 0)],
        )
