"""Benchmark: `dbt build` of every model at province scale (a script, not a pytest test).

Fujian: 9 cities and 84 county-level units (Fuzhou's 13 real ones, the others synthetic), every
form submitted by every assigned department for every period from 2019-01 to the as-of month, and
N patent records (default 2 million). The dbt project is copied to a temporary folder whose
regions.csv and departments.csv are replaced by the province-scale ones; the repository is not
touched. Prints the seconds and peak RSS of `dbt build` (seeds, models, data and unit tests).

    .venv/bin/python tests/benchmarks/bench_dbt_province.py                 # 2,000,000 records
    .venv/bin/python tests/benchmarks/bench_dbt_province.py --records 500000 --records 1000000 --records 2000000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from core.settings import DBT_PROJECT_DIR  # noqa: E402
from sources.intake.raw_schema import ensure_raw_schema  # noqa: E402

CITY_CODES = ["350100", "350200", "350300", "350400", "350500", "350600", "350700", "350800", "350900"]
CITY_KINDS = [
    "ip_office",
    "copyright",
    "court",
    "procuratorate",
    "police",
    "customs",
    "finance",
    "statistics",
    "financial_office",
    "education",
    "arbitration",
]
COUNTY_KINDS = ["ip_office", "finance", "statistics"]
TOTAL_COUNTIES = 84


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def province_seeds(seeds: Path) -> int:
    """Replace regions.csv and departments.csv with a 9-city, 84-county Fujian; returns the county count."""
    regions = _read(seeds / "regions.csv")
    departments = _read(seeds / "departments.csv")
    blank_region = dict.fromkeys(regions[0], "")
    existing = {r["region_code"] for r in regions}
    counties = [r["region_code"] for r in regions if r["region_level"] == "county"]
    per_city = {c: [k for k in counties if k[:4] == c[:4]] for c in CITY_CODES}
    n = len(counties)
    i = 0
    while n < TOTAL_COUNTIES:
        city = CITY_CODES[1:][i % (len(CITY_CODES) - 1)]
        code = f"{city[:4]}{len(per_city[city]) + 81:02d}"
        per_city[city].append(code)
        counties.append(code)
        n += 1
        i += 1
    for city in CITY_CODES:
        if city not in existing:
            regions.append(
                {
                    **blank_region,
                    "region_code": city,
                    "region_name": f"{city}市",
                    "short_name": city,
                    "region_level": "city",
                    "parent_code": "350000",
                    "code_standard": "synthetic",
                    "code_verified": "false",
                }
            )
    for city, codes in per_city.items():
        for code in codes:
            if code not in existing:
                regions.append(
                    {
                        **blank_region,
                        "region_code": code,
                        "region_name": f"{code}区",
                        "short_name": code,
                        "region_level": "county",
                        "parent_code": city,
                        "code_standard": "synthetic",
                        "code_verified": "false",
                    }
                )
    blank_dept = dict.fromkeys(departments[0], "")
    have = {d["department_code"] for d in departments}

    def add(region: str, kind: str, level: str) -> None:
        code = f"{region}.{kind}"
        if code in have or any(
            d["region_code"] == region and d["department_kind"] == kind and d["submits_data"] == "true"
            for d in departments
        ):
            return
        departments.append(
            {
                **blank_dept,
                "department_code": code,
                "department_name": f"{region}{kind}",
                "short_name": code,
                "region_code": region,
                "department_level": level,
                "department_kind": kind,
                "submits_data": "true",
                "name_source": "pattern",
            }
        )
        have.add(code)

    for city in CITY_CODES:
        for kind in CITY_KINDS:
            add(city, kind, "city")
    for code in counties:
        for kind in COUNTY_KINDS:
            add(code, kind, "county")
    for region in regions:  # every city and the province now list all their units (the benchmark's premise)
        if region["region_level"] in ("province", "city"):
            region["children_complete"] = "true"
        elif not region["children_complete"]:
            region["children_complete"] = "false"
    _write(seeds / "regions.csv", regions)
    _write(seeds / "departments.csv", departments)
    return len(counties)


def fill_raw(warehouse: Path, seeds: Path, records: int, as_of: str) -> dict[str, int]:
    """Every assigned department submits every form for every ended period since 2019; N patent records."""
    con = duckdb.connect(str(warehouse))
    ensure_raw_schema(con)
    s = str(seeds)
    con.execute(f"""
        create temp table assignments as
        select f.form_code, f.period_type, f.due_days, d.department_code, d.region_code
        from read_csv('{s}/forms.csv', all_varchar = true) as f
        join read_csv('{s}/departments.csv', all_varchar = true) as d
          on f.department_kind = d.department_kind
         and list_contains(string_split(f.region_levels, '|'), d.department_level)
         and d.submits_data = 'true';
        create temp table periods as
        select 'month' as period_type, strftime(m, '%Y-%m') as period, last_day(m) as period_end
        from range(date '2019-01-01', date '{as_of}', interval 1 month) as t (m) where last_day(m) < date '{as_of}'
        union all
        select 'quarter', year(m) || 'Q' || quarter(m), last_day(m + interval 2 month)
        from range(date '2019-01-01', date '{as_of}', interval 3 month) as t (m)
        where last_day(m + interval 2 month) < date '{as_of}'
        union all
        select 'year', cast(year(m) as varchar), last_day(m + interval 11 month)
        from range(date '2019-01-01', date '{as_of}', interval 12 month) as t (m)
        where last_day(m + interval 11 month) < date '{as_of}';
        insert into raw.submissions
        select 'S' || md5(a.form_code || a.department_code || p.period),
               md5(a.form_code || a.department_code || p.period),
               'f.xlsx', 'archive/f.xlsx', 'xlsx',
               cast(p.period_end + cast(a.due_days as integer) - 2
                    + cast(hash(a.department_code || p.period) % 5 as integer) as timestamp),
               null, a.form_code, 1, a.department_code, a.region_code, p.period, p.period_type, 1, 'accepted', 0, 0,
               true, null, null, null
        from assignments as a join periods as p on a.period_type = p.period_type;
        insert into raw.submission_values
        select s.submission_id, 1, s.form_code, s.department_code, s.region_code, s.period, s.period_type,
               fe.element_code, cast(1 + hash(s.submission_id || fe.element_code) % 1000 as decimal(38, 6)),
               null, 'Sheet1', 'C' || fe.row_no, s.file_sha256, s.received_at, true
        from raw.submissions as s
        join read_csv('{s}/form_elements.csv', all_varchar = true) as fe on s.form_code = fe.form_code;
    """)
    counties = [
        r[0]
        for r in con.execute(
            f"select region_code from read_csv('{s}/regions.csv', all_varchar = true) where region_level = 'county'"
        ).fetchall()
    ]
    con.execute(
        "insert into raw.patent_extracts values ('E1', 'e.csv', 'archive/e.csv', ?, ?, now(), true)", [as_of, records]
    )
    con.execute(f"""
        insert into raw.patent_records
        with base as (
            select i,
                   hash(i) as h,
                   date '2010-01-01' + cast(hash(i * 7) % 6100 as integer) as application_date
            from range({records}) as t (i)
        )
        select 'E1', 'CN' || i,
               case h % 3 when 0 then 'invention' when 1 then 'utility' else 'design' end,
               application_date,
               case when h % 10 < 6 and application_date + 400 < date '{as_of}' then application_date + 400 end,
               'firm' || (h % 60000),
               case when h % 10 < 8 then 'firm' else 'individual' end,
               h % 13 = 0, h % 10 < 7,
               case when h % 10 < 8 then 'agency' || (h % 300) end,
               list_extract({counties}::varchar[], cast(1 + (i % {len(counties)}) as integer)),
               case when h % 10 >= 6 then 'pending' when h % 17 = 0 then 'lapsed' else 'valid' end,
               case when h % 10 < 6 and h % 17 = 0 then application_date + 1500 end,
               'H04L', h % 29 = 0, h % 31 = 0, h % 11 = 0
        from base
    """)
    counts = {
        t: con.execute(f"select count(*) from raw.{t}").fetchone()[0]
        for t in ("submissions", "submission_values", "patent_records")
    }
    con.close()
    return counts


def run(records: int, as_of: str, keep: bool) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="ipwh_bench_"))
    project = work / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    counties = province_seeds(project / "seeds")
    warehouse = work / "warehouse.duckdb"
    counts = fill_raw(warehouse, project / "seeds", records, as_of)
    env = {**os.environ, "IPWH_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    command = [
        str(dbt),
        "build",
        "--profiles-dir",
        str(project),
        "--project-dir",
        str(project),
        "--vars",
        json.dumps({"as_of": as_of}),
    ]
    log = work / "dbt_build.log"
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(command, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT)
        # wait4 gives this child's own peak RSS (KiB on Linux), not the maximum over earlier runs.
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        print(log.read_text(encoding="utf-8")[-4000:])
        raise SystemExit(f"dbt build failed (work dir {work})")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = {
            t: con.execute(f"select count(*) from marts.{t}").fetchone()[0]
            for t in (
                "fct_element_values",
                "fct_indicator_values",
                "fct_target_progress",
                "fct_submission_completeness",
            )
        }
    if not keep:
        shutil.rmtree(work)
    return {
        "records": records,
        "counties": counties,
        **counts,
        **marts,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "work_dir": str(work) if keep else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, action="append", help="patent records (repeat for several scales)")
    parser.add_argument("--as-of", default="2026-11-01", help="as-of day: periods ending before it are submitted")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    for records in args.records or [2_000_000]:
        print(json.dumps(run(records, args.as_of, args.keep), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
