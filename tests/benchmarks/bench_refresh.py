"""Benchmark: refresh latency of one corrected form, and `ipwh run` against the bare SQL floor.

A script, not a pytest test. On the sample scenario (`make run`'s two acts, built once into `--home`):

- **idle run**: `ipwh run` with nothing changed since the last run (median of `--repeat`);
- **refresh**: a corrected 2026-10 form of 鼓楼区 (and the city's total with it) lands in the inbox,
  then `ipwh run` takes it in: the whole run (median), and from the files landing to the 2026-10
  returns written (the new manifest's time; the other periods and the site follow);
- **floor**: every dbt model's compiled SQL run in DAG order in one DuckDB connection, on a copy of
  the warehouse (seeds and raw tables already loaded), computed here from dbt's compiled manifest.

Prints a JSON line with the seconds and the ratios (idle run / floor, refresh / floor).

    .venv/bin/python tests/benchmarks/bench_refresh.py --home /tmp/bench-home            # builds the sample first
    .venv/bin/python tests/benchmarks/bench_refresh.py --home /tmp/bench-home --repo /other/checkout
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DAY = "2026-11-21"
# The corrected forms: 鼓楼区's monthly creation form for the latest ended month and the city's with
# it (so the counties still sum to the city). Design applications and all applications move together
# by the same amount from the first version, so the forms' own sum rules hold and no outlier appears.
CORRECTION = {"form": "ip_creation_monthly", "regions": ("350102", "350100"), "period": "2026-10"}
BUMPED = ("patent_applications_design", "patent_applications")


def _env(home: Path, repo: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPWH_")}
    env.update(IPWH_HOME=str(home), IPWH_TODAY=SAMPLE_DAY, PYTHONPATH=str(repo))
    return env


def ipwh(home: Path, repo: Path, *args: str, ok: tuple[int, ...] = (0,)) -> float:
    """Run `ipwh <args>` from `repo`'s code; the wall seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        cwd=repo,
        env=_env(home, repo),
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in ok:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"ipwh {' '.join(args)} exited {done.returncode}")
    return seconds


def build_sample(home: Path, repo: Path) -> None:
    """`make run`'s two acts: the sample, a refused run, the follow-up, a passing run."""
    ipwh(home, repo, "demo")
    ipwh(home, repo, "run", ok=(0, 3))
    ipwh(home, repo, "demo", "--follow-up")
    ipwh(home, repo, "run")


def drop_correction(home: Path, repo: Path) -> None:
    """Write the corrected forms into the inbox (through the real template), received on time."""
    code = f"""
import os
from datetime import datetime
from decimal import Decimal
import duckdb
from core.settings import TIMEZONE, Settings
from sources.catalogue import load
from sources.forms.spec import assignment
from sources.forms.xlsx_template import write_xlsx_form
from sources.periods import Period

settings = Settings.from_env()
catalogue = load()
form, period = {CORRECTION["form"]!r}, Period.parse({CORRECTION["period"]!r})
sql = ("select department_code, submission_id, version from raw.submissions where form_code = ? "
       "and region_code = ? and period = ? and outcome = 'accepted' order by version")
with duckdb.connect(str(settings.warehouse), read_only=True) as con:
    forms = []
    for region in {CORRECTION["regions"]!r}:
        found = con.execute(sql, [form, region, period.code]).fetchall()
        department, first, _ = found[0]
        values = dict(con.execute(
            "select element_code, value from raw.submission_values where submission_id = ?", [first]).fetchall())
        forms.append((region, department, values, found[-1][2]))
bump = forms[0][3]  # versions so far: each correction differs from the one before
for region, department, values, _ in forms:
    for element in {BUMPED!r}:
        values[element] = Decimal(values[element]) + bump
    found = assignment(catalogue, form, region, department)
    path = settings.inbox / department / f"{{found.form.table_no}}_{{period.code}}_更正{{bump}}.xlsx"
    write_xlsx_form(found, period, path, values=values, sample=True)
    stamp = datetime(2026, 11, 8, 9, bump // 60 % 60, bump % 60, tzinfo=TIMEZONE).timestamp()
    os.utime(path, (stamp, stamp))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, env=_env(home, repo), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])


def latest_manifest(home: Path, period: str) -> tuple[Path | None, float]:
    folders = sorted((home / "outbox" / period).glob("v*/manifest.json"))
    if not folders:
        return None, 0.0
    newest = max(folders, key=lambda p: p.stat().st_mtime)
    return newest, newest.stat().st_mtime


def compiled_models(home: Path, repo: Path, target: Path) -> list[dict[str, object]]:
    """Every model with its compiled SQL, in DAG order (from `dbt compile`'s manifest)."""
    project = repo / "dbt_project"
    env = _env(home, repo)
    env["IPWH_WAREHOUSE"] = str(target.parent / "warehouse.duckdb")
    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run(
        [str(dbt), "compile", "--quiet", "--vars", json.dumps({"as_of": SAMPLE_DAY}), "--target-path", str(target)],
        cwd=project,
        env={**env, "DBT_PROFILES_DIR": str(project)},
        check=True,
    )
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    models = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    order: list[dict[str, object]] = []
    seen: set[str] = set()

    def visit(key: str) -> None:
        if key in seen or key not in models:
            return
        seen.add(key)
        for parent in models[key]["depends_on"]["nodes"]:
            visit(parent)
        order.append(models[key])

    for key in sorted(models):
        visit(key)
    return order


def floor_seconds(models: list[dict[str, object]], warehouse: Path) -> float:
    """Run every model's compiled SQL in DAG order in one connection; the seconds."""
    con = duckdb.connect(str(warehouse))
    started = time.perf_counter()
    for node in models:
        kind = node["config"]["materialized"]  # type: ignore[index]
        if kind == "ephemeral":
            continue  # inlined into its readers' compiled SQL
        relation, schema, name = node["relation_name"], node["schema"], node["alias"]
        con.execute(f'create schema if not exists "{schema}"')
        found = con.execute(
            "select table_type from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()
        if found:
            con.execute(f"drop {'view' if found[0] == 'VIEW' else 'table'} {relation}")
        what = "view" if kind == "view" else "table"
        con.execute(f"create {what} {relation} as {node['compiled_code']}")
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True, help="the sample's IPWH_HOME (built when empty)")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose code runs (default: this one)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip", action="append", default=[], choices=["settle", "idle", "refresh", "floor"])
    args = parser.parse_args()
    home, repo = args.home.resolve(), args.repo.resolve()
    report: dict[str, object] = {"repo": str(repo), "at": datetime.now().isoformat(timespec="seconds")}
    if not (home / "warehouse.duckdb").exists():
        started = time.perf_counter()
        build_sample(home, repo)
        report["sample_build_s"] = round(time.perf_counter() - started, 1)
    if "settle" not in args.skip:
        ipwh(home, repo, "run")  # whatever the previous code left: this code's steady state
    if "idle" not in args.skip:
        idle = []
        for _ in range(args.repeat):
            idle.append(ipwh(home, repo, "run"))
            progress(f"idle run {idle[-1]:.1f} s")
        report["idle_run_s"] = [round(s, 1) for s in idle]
        report["idle_run_median_s"] = round(statistics.median(idle), 1)
    if "refresh" not in args.skip:
        latencies, to_returns = [], []
        for _ in range(args.repeat):
            before = latest_manifest(home, CORRECTION["period"])
            drop_correction(home, repo)
            started, wall = time.perf_counter(), time.time()
            ipwh(home, repo, "run")
            latencies.append(time.perf_counter() - started)
            after = latest_manifest(home, CORRECTION["period"])
            if after == before:
                raise SystemExit(f"the {CORRECTION['period']} returns were not rewritten after the correction")
            to_returns.append(after[1] - wall)  # the files landed → the period's returns written
            progress(f"refresh {latencies[-1]:.1f} s (returns of {CORRECTION['period']} after {to_returns[-1]:.1f} s)")
        report["refresh_s"] = [round(s, 1) for s in latencies]
        report["refresh_median_s"] = round(statistics.median(latencies), 1)
        report["refresh_to_returns_s"] = [round(s, 1) for s in to_returns]
        report["refresh_to_returns_median_s"] = round(statistics.median(to_returns), 1)
    if "floor" not in args.skip:
        with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
            warehouse = Path(tmp) / "warehouse.duckdb"
            shutil.copyfile(home / "warehouse.duckdb", warehouse)
            models = compiled_models(home, repo, Path(tmp) / "target")
            floors = []
            for _ in range(args.repeat):
                floors.append(floor_seconds(models, warehouse))
                progress(f"floor {floors[-1]:.2f} s")
        report["floor_s"] = [round(s, 2) for s in floors]
        report["floor_median_s"] = round(statistics.median(floors), 2)
        report["models"] = len(models)
    floor = report.get("floor_median_s")
    if floor:
        for key in ("idle_run_median_s", "refresh_median_s", "refresh_to_returns_median_s"):
            if key in report:
                report[key.replace("_median_s", "_over_floor")] = round(float(report[key]) / float(floor), 1)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
