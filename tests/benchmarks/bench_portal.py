"""Portal submissions while a build holds the warehouse: receipt latency and 50 simultaneous submissions.

Another process holds DuckDB's write lock (as dbt does during a build) while 50 threads each submit a
different filled form the way the portal's upload view does (check at once, queue); then the lock is
released and one merge records them. Prints the receipt latency (median, 95th percentile) and whether
all 50 landed once.

    .venv/bin/python tests/benchmarks/bench_portal.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from core.settings import Settings
from sources.catalogue import load
from sources.forms.spec import assignment
from sources.forms.xlsx_template import render_xlsx_form
from sources.intake import queue
from sources.intake.status import read_status
from sources.periods import Period

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: the repository's tests package
from tests.form_files import CREATION_VALUES

SUBMISSIONS = 50
_HOLD = "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.read()"


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="bench_portal_")) / "var"
    settings = Settings(home=home, warehouse=home / "warehouse.duckdb", today_override=date(2026, 11, 21))
    catalogue = load()
    a = assignment(catalogue, "ip_creation_monthly", "350102", "350102.amr")
    forms = [
        render_xlsx_form(a, Period.parse("2026-10"), values={**CREATION_VALUES, "pct_applications": n})
        for n in range(SUBMISSIONS)
    ]
    home.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(settings.warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    status = read_status(settings)

    def submit(n: int) -> tuple[float, str]:
        started = time.perf_counter()
        preview = queue.precheck(forms[n], f"第{n}份.xlsx", "350102.amr", settings, status, catalogue)
        queue.enqueue(forms[n], preview, "350102.amr", settings, "bench")
        return time.perf_counter() - started, preview.outcome

    with ThreadPoolExecutor(max_workers=SUBMISSIONS) as pool:
        results = list(pool.map(submit, range(SUBMISSIONS)))
    latencies = sorted(r[0] for r in results)
    busy = queue.merge(settings, catalogue)
    holder.stdin.close()  # type: ignore[union-attr]
    holder.wait()
    started = time.perf_counter()
    merged = queue.merge(settings, catalogue)
    merge_seconds = time.perf_counter() - started
    rows = read_status(settings).rows
    versions = sorted(r.version for r in rows if r.version)
    print(f"{SUBMISSIONS} 份同时报送（仓库写锁被另一进程占用）：")
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    accepted = sum(r[1] == "accepted" for r in results)
    print(f"  回执延迟 中位数 {statistics.median(latencies):.2f} s，95% {p95:.2f} s")
    print(f"  审核结果：{accepted} 份通过；占用期间合并：{'等待' if busy is None else '已合并'}")
    print(f"  释放后合并 {len(merged or [])} 份，用时 {merge_seconds:.2f} s；入库 {len(rows)} 份")
    print(f"  版本 {versions[0]}…{versions[-1]}")
    print(f"  全部入库且无重复：{versions == list(range(1, SUBMISSIONS + 1))}")


if __name__ == "__main__":
    main()
