"""Benchmark: the same dbt build on DuckDB and on Spark, from a province towards a nation (a script).

Generates raw data at a chosen scale: N county-level units (84 for Fujian, 2,850 for the nation),
spread over synthetic cities of ~29 counties each under the one province of the catalogue (the work
per county is what grows), every assigned department submitting every form for every ended period
since 2019, and M patent records. Then `dbt build` (seeds, models, data tests) runs on each engine:
DuckDB in one process on the warehouse file; Spark (`local[2]` unless IPWH_SPARK_MASTER says
otherwise) on the raw tables exported to Parquet, in the session dbt-spark starts. Prints one JSON
line per engine and scale: seconds, peak memory of the whole process tree (Python + JVM, sampled
every 0.2 s), row counts.

    .venv/bin/python tests/benchmarks/bench_engines.py --counties 84 --records 500000
    .venv/bin/python tests/benchmarks/bench_engines.py --counties 2850 --records 30000000 --engine duckdb
    IPWH_SPARK_DRIVER_MEMORY=8g .venv/bin/python tests/benchmarks/bench_engines.py --counties 285 --engine spark

Spark needs the spark extra (pip install -e '.[spark]') and Java 17.
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
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from core.raw_zone import export_raw_zone  # noqa: E402
from core.settings import DBT_PROJECT_DIR  # noqa: E402
from tests.benchmarks.bench_dbt_province import CITY_CODES, CITY_KINDS, COUNTY_KINDS, fill_raw  # noqa: E402

COUNTIES_PER_CITY = 29
FIRST_SYNTHETIC_COUNTY = 40  # county codes <city4><40..99>: clear of the real ones


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def scaled_seeds(seeds: Path, total_counties: int) -> int:
    """Rewrite regions.csv and departments.csv with `total_counties` county-level units; returns the count."""
    regions = _read(seeds / "regions.csv")
    departments = _read(seeds / "departments.csv")
    blank_region, blank_dept = dict.fromkeys(regions[0], ""), dict.fromkeys(departments[0], "")
    counties = [r["region_code"] for r in regions if r["region_level"] == "county"]
    n_cities = max(len(CITY_CODES), -(-total_counties // COUNTIES_PER_CITY))
    if n_cities > 99:
        raise SystemExit(f"at most {99 * COUNTIES_PER_CITY} counties")
    cities = CITY_CODES + [f"35{cc:02d}00" for cc in range(10, 10 + n_cities - len(CITY_CODES))]
    existing = {r["region_code"] for r in regions}

    def region(code: str, level: str, parent: str) -> None:
        regions.append(
            {
                **blank_region,
                "region_code": code,
                "region_name": f"{code}{'市' if level == 'city' else '区'}",
                "short_name": code,
                "region_level": level,
                "parent_code": parent,
                "code_standard": "synthetic",
                "code_verified": "false",
            }
        )
        existing.add(code)

    for city in cities:
        if city not in existing:
            region(city, "city", "350000")
    per_city = dict.fromkeys(cities, 0)
    i = 0
    while len(counties) < total_counties:
        city = cities[i % len(cities)]
        code = f"{city[:4]}{FIRST_SYNTHETIC_COUNTY + per_city[city]:02d}"
        per_city[city] += 1
        i += 1
        if code not in existing:
            region(code, "county", city)
            counties.append(code)
    have = {d["department_code"] for d in departments}
    submitting = {(d["region_code"], d["department_kind"]) for d in departments if d["submits_data"] == "true"}

    def department(code_region: str, kind: str, level: str) -> None:
        code = f"{code_region}.{kind}"
        if code in have or (code_region, kind) in submitting:
            return
        departments.append(
            {
                **blank_dept,
                "department_code": code,
                "department_name": f"{code_region}{kind}",
                "short_name": code,
                "region_code": code_region,
                "department_level": level,
                "department_kind": kind,
                "submits_data": "true",
                "name_source": "pattern",
            }
        )
        have.add(code)

    for city in cities:
        for kind in CITY_KINDS:
            department(city, kind, "city")
    for code in counties:
        for kind in COUNTY_KINDS:
            department(code, kind, "county")
    for row in regions:
        if row["region_level"] in ("province", "city"):
            row["children_complete"] = "true"
        elif not row["children_complete"]:
            row["children_complete"] = "false"
    _write(seeds / "regions.csv", regions)
    _write(seeds / "departments.csv", departments)
    return len(counties)


def _tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and all its descendants (KiB), from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(stat[1]), []).append(pid)
        rss[pid] = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


def _timed(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple[float, int]:
    """Run `command`; its seconds and the peak memory of its process tree (MiB)."""
    peak = 0
    start = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss_kib(proc.pid))
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        proc.wait()
        done.set()
        sampler.join()
    if proc.returncode != 0:
        print(log.read_text(encoding="utf-8")[-4000:])
        raise SystemExit(f"{command[1]} failed; log in {log}")
    return time.perf_counter() - start, round(peak / 1024)


def _dbt(project: Path, target: str, args: list[str]) -> list[str]:
    dbt = str(Path(sys.executable).parent / "dbt")
    return [dbt, *args, "--profiles-dir", str(project), "--project-dir", str(project), "--target", target]


def _spark_script(project: Path, raw: Path, as_of: str) -> list[str]:
    """One Python process (so one Spark session) registering the raw zone, then building."""
    code = f"""
import json, sys
from dbt.cli.main import dbtRunner
common = ["--project-dir", {str(project)!r}, "--profiles-dir", {str(project)!r}, "--target", "spark"]
runner = dbtRunner()
for args in (["run-operation", "register_raw_zone", "--args", json.dumps({{"location": {str(raw)!r}}})],
             ["build", "--vars", json.dumps({{"as_of": {as_of!r}}}), "--exclude-resource-type", "unit_test"]):
    result = runner.invoke(args + common)
    if not result.success:
        sys.exit(1)
"""
    return [sys.executable, "-c", code]


def run(counties: int, records: int, engines: list[str], as_of: str, keep: bool) -> list[dict[str, object]]:
    work = Path(tempfile.mkdtemp(prefix="ipwh_bench_engines_"))
    project = work / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    n_counties = scaled_seeds(project / "seeds", counties)
    warehouse = work / "warehouse.duckdb"
    started = time.perf_counter()
    counts = fill_raw(warehouse, project / "seeds", records, as_of)
    generated = round(time.perf_counter() - started, 1)
    results = []
    for engine in engines:
        env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        log = work / f"{engine}.log"
        if engine == "duckdb":
            built = work / "duckdb.duckdb"
            shutil.copyfile(warehouse, built)
            env["IPWH_WAREHOUSE"] = str(built)
            command = _dbt(project, "local", ["build", "--vars", json.dumps({"as_of": as_of})])
            command += ["--exclude-resource-type", "unit_test"]
        else:
            raw = work / "raw"
            export_raw_zone(warehouse, raw)
            env["IPWH_SPARK_HOME"] = str(work / "spark")
            command = _spark_script(project, raw, as_of)
        seconds, peak_mb = _timed(command, project, env, log)
        results.append(
            {
                "engine": engine,
                "counties": n_counties,
                **counts,
                "generate_seconds": generated,
                "build_seconds": round(seconds, 1),
                "peak_memory_mb": peak_mb,
            }
        )
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    if not keep:
        shutil.rmtree(work)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counties", type=int, action="append", help="county-level units (repeat for several scales)")
    parser.add_argument("--records", type=int, action="append", help="patent records, one per --counties")
    parser.add_argument("--engine", action="append", choices=["duckdb", "spark"], help="default: both")
    parser.add_argument("--as-of", default="2026-11-01", help="as-of day: periods ending before it are submitted")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    counties = args.counties or [84]
    records = args.records or [500_000] * len(counties)
    if len(records) != len(counties):
        parser.error("give one --records per --counties")
    for n, m in zip(counties, records, strict=True):
        run(n, m, args.engine or ["duckdb", "spark"], args.as_of, args.keep)


if __name__ == "__main__":
    main()
