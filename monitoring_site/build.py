"""`build_site(settings)`: the whole site from the snapshot, written to a temporary folder and swapped in.

A reader (or a web server) sees the previous site or the new one, never half of one; the previous
build's figures are kept for the 'what changed' page before the swap.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from monitoring_site import changes, downloads, quality, regions, series
from monitoring_site.build_key import KEY_FILE
from monitoring_site.data import SiteData, load
from monitoring_site.formatting import STATUS_ORDER, is_missing, slug, status_class
from monitoring_site.targets import target_view

PACKAGE = Path(__file__).parent


@dataclass
class SiteResult:
    folder: Path
    pages: list[str]
    seconds: float


def environment() -> Environment:
    # Autoescape everything: plan text, department names and explanations are data, never markup.
    return Environment(
        loader=FileSystemLoader(PACKAGE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=lambda value: "—" if is_missing(value) else value,  # a gap is shown as —, never "nan"
    )


def _date(value: Any) -> str | None:
    return None if is_missing(value) else str(pd.Timestamp(value).date())


def _plan_period(plan: pd.Series) -> str:
    start, end = _date(plan.get("start_date")), _date(plan.get("end_date"))
    return f"{start or '—'} 至 {end or '—'}"


def _status_counts(frame: pd.DataFrame) -> list[dict[str, Any]]:
    present = list(STATUS_ORDER) + sorted(set(frame["status"].dropna().astype(str)) - set(STATUS_ORDER))
    return [{"text": s, "cls": status_class(s), "n": int((frame["status"] == s).sum())} for s in present]


class _Writer:
    def __init__(self, folder: Path, common: dict[str, Any]) -> None:
        self.folder, self.common, self.env, self.pages = folder, common, environment(), []

    def page(self, template: str, path: str, **context: Any) -> None:
        depth = path.count("/")
        values = {"charts": [], **self.common, "root": "../" * depth, **context}
        html = self.env.get_template(template).render(**values)
        target = self.folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        self.pages.append(path)


def build_site(settings: Any, output: Path | None = None, inputs_key: str | None = None) -> SiteResult:
    """Build the site from `settings.snapshot_db` into `output` (default `<IPWH_HOME>/site`);
    `inputs_key` (monitoring_site/build_key.py) is kept with it, so an unchanged run can leave it be.

    The marts and catalogue come from IPWH_MARTS_SOURCE when it names a Parquet folder (core/marts.py)."""
    from core.marts import open_marts

    started = time.monotonic()
    output = output or settings.home / "site"
    temp = output.parent / f".{output.name}.building.{os.getpid()}"
    con = open_marts(settings, settings.snapshot_db)
    try:
        data = load(con)
        shutil.rmtree(temp, ignore_errors=True)
        writer = _write_all(data, con, temp, output, settings.today)
        if inputs_key is not None:
            (temp / KEY_FILE).write_text(inputs_key, encoding="utf-8")
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)  # the previous site stays as it was
        raise
    finally:
        con.close()
    old = output.parent / f".{output.name}.old.{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    if output.exists():
        output.rename(old)
    temp.rename(output)
    shutil.rmtree(old, ignore_errors=True)
    return SiteResult(output, writer.pages, round(time.monotonic() - started, 2))


def _write_all(data: SiteData, con: duckdb.DuckDBPyConnection, temp: Path, output: Path, today: date) -> _Writer:
    built_at = pd.Timestamp.now(tz="Asia/Shanghai").strftime("%Y-%m-%d %H:%M")
    published = None if data.published_at is None else str(data.published_at)[:16]
    common = {"is_sample": data.is_sample, "published_at": published, "built_at": built_at}
    writer = _Writer(temp, common)
    shutil.copytree(PACKAGE / "static", temp / "static", ignore=shutil.ignore_patterns("*.sh"))
    progress = data.marts["fct_target_progress"]
    plans = data.catalogue["plans"]
    region_list = regions.region_codes(data)
    linked = set(region_list)

    plan_rows = []
    for plan in plans.itertuples():
        mine = progress[progress["plan_code"] == plan.plan_code]
        counts = _status_counts(mine)
        plan_rows.append(
            {
                "href": f"plans/{slug(plan.plan_code)}.html",
                "title": plan.plan_title,
                "period": _plan_period(pd.Series(plan._asdict())),
                "issuer": plan.issuer,
                "doc_number": plan.doc_number,
                "counts": [c["n"] for c in counts],
                "total": len(mine),
                "latest_date": _date(mine["data_end"].max()) if len(mine) else None,
            }
        )
        _plan_page(writer, data, plan, mine, counts)
        for _, row in mine.iterrows():
            _target_page(writer, data, plan, row, temp)
    statuses = _status_counts(progress)
    writer.page(
        "index.html",
        "index.html",
        title="各规划指标进展",
        plans=plan_rows,
        statuses=statuses,
        target_total=len(progress),
        latest_data_date=_date(progress["data_end"].max()) if len(progress) else None,
        quality=quality.gate_states(con, data, today),
        regions=[{"name": data.region_name(c), "href": f"regions/{slug(c)}.html"} for c in region_list],
    )
    ranked = regions.ranked_values(data)
    for code in region_list:
        view = regions.region_page(data, ranked, code, linked, "../")
        writer.page("region.html", f"regions/{slug(code)}.html", title=f"{view['name']}：各项指标", region=view)
    blocks, charts = quality.timeliness(data, today)
    _quality_page(writer, data, today, blocks, charts)
    figures = changes.current_figures(data)
    previous = changes.read_previous(output)
    writer.page(
        "changes.html",
        "changes.html",
        title="本次变化",
        changes=changes.compare(previous, figures),
        previous_built_at=None if previous is None else previous.get("built_at"),
    )
    (temp / changes.FILE).parent.mkdir(parents=True, exist_ok=True)
    (temp / changes.FILE).write_text(
        json.dumps({"built_at": built_at, **figures}, ensure_ascii=False), encoding="utf-8"
    )
    return writer


def _plan_page(writer: _Writer, data: SiteData, plan: Any, mine: pd.DataFrame, counts: list[dict]) -> None:
    ordered = mine.sort_values("target_no", key=lambda s: pd.to_numeric(s, errors="coerce"))
    targets = [target_view(data, row, "../") for _, row in ordered.iterrows()]
    info = {
        "title": plan.plan_title,
        "issuer": plan.issuer,
        "doc_number": plan.doc_number,
        "period": _plan_period(pd.Series(plan._asdict())),
        "region_name": data.region_name(plan.region_code),
        "baseline_year": None if is_missing(plan.baseline_year) else int(plan.baseline_year),
        "citation": plan.citation,
        "note": None if is_missing(plan.note) else plan.note,
    }
    writer.page(
        "plan.html",
        f"plans/{slug(plan.plan_code)}.html",
        title=plan.plan_title,
        plan=info,
        counts=counts,
        targets=targets,
    )


def _target_page(writer: _Writer, data: SiteData, plan: Any, row: pd.Series, temp: Path) -> None:
    view = target_view(data, row, "../")
    rows: list[dict[str, Any]] = []
    blocks, charts = series.series_blocks(data, row, view, rows)
    county, county_charts = series.county_breakdown(data, row, view, rows)
    name = slug(row["target_code"])
    title = f"{plan.plan_title} · {view['indicator_name']}"
    downloads.write(rows or [{"说明": "该目标没有可下载的数据"}], temp / "downloads", name, title)
    writer.page(
        "target.html",
        f"targets/{name}.html",
        title=str(view["indicator_name"]),
        t=view,
        plan={"title": plan.plan_title, "doc_number": plan.doc_number, "href": f"../plans/{slug(plan.plan_code)}.html"},
        series_blocks=blocks,
        county=county,
        formula=series.formula(data, row),
        sources=series.sources(data, row),
        submissions=series.submissions(data, row),
        notes=series.notes(data, row, view),
        downloads={"csv": f"../downloads/{name}.csv", "xlsx": f"../downloads/{name}.xlsx"},
        charts=[*charts, *county_charts],
    )


def _quality_page(writer: _Writer, data: SiteData, today: date, blocks: list, charts: list) -> None:
    writer.page(
        "quality.html",
        "quality.html",
        title="数据质量",
        late=quality.late_table(data, today),
        timeliness=blocks,
        by_department=quality.by_department(data, today),
        gate_history=quality.gate_history(data),
        explanations=quality.explanations(data),
        charts=charts,
    )
