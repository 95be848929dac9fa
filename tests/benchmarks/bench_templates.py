"""Time the form writers: `.venv/bin/python tests/benchmarks/bench_templates.py [count]`.

Not a pytest test (the file name does not start with test_). Writes filled forms to a temporary
folder, cycling through every form in the catalogue, and prints milliseconds per form.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from sources.catalogue import load
from sources.forms.csv_template import write_csv_form
from sources.forms.spec import Assignment, assignment, form_spec, submitters
from sources.forms.xlsx_template import write_xlsx_form
from sources.periods import Period

SIGNATURE = {"head_of_unit": "王五", "head_of_statistics": "李四", "filled_by": "张三", "phone": "0591-87654321"}


def _jobs() -> list[tuple[Assignment, Period, dict[str, Decimal | int]]]:
    cat = load()
    jobs = []
    for code in sorted(cat.codes("forms", "form_code")):
        form = form_spec(cat, code)
        dept = submitters(cat, form)[0]
        a = assignment(cat, code, dept["region_code"], dept["department_code"])
        period = Period.of(form.period_type, 2026, 1)
        values = {r.element.code: (i * 7 if r.is_count else Decimal(i) / 4) for i, r in enumerate(form.rows)}
        jobs.append((a, period, values))
    return jobs


def _time(label: str, count: int, write: Callable[[int, Path], None]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for i in range(count):
            write(i, Path(tmp))
        elapsed = time.perf_counter() - start
    print(f"{label}: {count} forms, {1000 * elapsed / count:.2f} ms/form")


def main(count: int = 200) -> None:
    jobs = _jobs()

    def xlsx(i: int, folder: Path) -> None:
        a, period, values = jobs[i % len(jobs)]
        write_xlsx_form(a, period, folder / a.department_code / f"{i}.xlsx", values=values, signature=SIGNATURE)

    def csv(i: int, folder: Path) -> None:
        a, period, values = jobs[i % len(jobs)]
        write_csv_form(a, period, folder / a.department_code / f"{i}.csv", values=values)

    largest = max(range(len(jobs)), key=lambda j: len(jobs[j][0].form.rows))

    def xlsx_largest(i: int, folder: Path) -> None:
        a, period, values = jobs[largest]
        write_xlsx_form(a, period, folder / f"{i}.xlsx", values=values, signature=SIGNATURE)

    _time("xlsx (filled, to file)", count, xlsx)
    _time(f"xlsx (filled, {len(jobs[largest][0].form.rows)}-row form)", count, xlsx_largest)
    _time("csv  (filled, to file)", count, csv)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
