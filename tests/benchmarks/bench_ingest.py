"""Benchmark: ingest 1,000 filled forms (target ≤ 15 s on the 2-core machine).

Run: .venv/bin/python tests/benchmarks/bench_ingest.py [count]
Forms are real templates filled with values that pass every rule, spread over all forms,
departments and months, so the run exercises reading, validation, archiving and the raw tables.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from core.settings import Settings
from sources.catalogue import load
from sources.forms.spec import assignment, form_spec, submitters
from sources.forms.xlsx_template import write_xlsx_form
from sources.intake.pipeline import Incoming, ingest
from sources.periods import Period, period_range


def main(count: int) -> None:
    catalogue = load()
    root = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    settings = Settings(
        home=root / "var", warehouse=root / "var" / "warehouse.duckdb", today_override=date(2026, 11, 21)
    )
    settings.ensure_dirs()
    jobs = []
    for row in catalogue.rows("forms"):
        form = form_spec(catalogue, row["form_code"])
        first = {"month": "2019-01", "quarter": "2019Q1", "year": "2019"}[form.period_type]
        last = {"month": "2026-10", "quarter": "2026Q3", "year": "2025"}[form.period_type]
        for dept in submitters(catalogue, form):
            for period in period_range(Period.parse(first), Period.parse(last)):
                jobs.append((form.code, dept["region_code"], dept["department_code"], period))
    jobs = jobs[:: max(1, len(jobs) // count)][:count]
    started = time.perf_counter()
    items = []
    for n, (form_code, region, dept, period) in enumerate(jobs):
        found = assignment(catalogue, form_code, region, dept)
        values = {code: Decimal(0) for code in found.form.element_codes}  # zeros satisfy every rule
        path = root / "files" / dept / f"{n:05d}_{form_code}_{period.code}.xlsx"
        write_xlsx_form(found, period, path, values=values)
        items.append(Incoming(path, dept))
    written = time.perf_counter() - started
    started = time.perf_counter()
    outcomes = ingest(items, settings, catalogue, actor="bench")
    elapsed = time.perf_counter() - started
    accepted = sum(o.status == "accepted" for o in outcomes)
    print(f"wrote {len(items)} forms in {written:.1f} s")
    per_form = elapsed / len(items) * 1000
    print(f"ingested {len(items)} forms in {elapsed:.2f} s ({per_form:.1f} ms/form); accepted {accepted}")
    if accepted != len(items):
        bad = next(o for o in outcomes if o.status != "accepted")
        print("first problem:", bad.receipt.problems[:3])
        sys.exit(1)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
