"""The chart sheet of a plan return: each target's annual series against its target path.

The figures the charts draw are written on the same sheet (a small table above the charts), so a
reader can check every point; the path's shape per target kind comes from conventions.yaml.
"""

from __future__ import annotations

from decimal import Decimal

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from reports.sources import ChartSeries
from sources.forms.xlsx_template import BODY_FONT, SAMPLE_MARK, number_format

CHART_WIDTH, CHART_HEIGHT = 520, 300  # pixels
CHART_ROWS = 18  # rows of the grid a chart takes, with room to spare
CHARTS_PER_ROW = 2


def target_path(series: ChartSeries, years: list[int], shape: str | None) -> list[Decimal | None]:
    """The value the plan needs in each year, or None where the kind draws no path."""
    target = series.target_value
    if shape is None or target is None or series.target_year is None:
        return [None] * len(years)
    if shape == "flat":
        return [target if series.baseline_year is None or y > series.baseline_year else None for y in years]
    start_year = series.baseline_year if series.baseline_year is not None else years[0]
    if shape == "cumulative":
        start_value = Decimal(0)
    else:
        start_value = series.baseline_value
        if start_value is None:
            start_value = next((p.value for p in series.points if p.value is not None), None)
        if start_value is None:
            return [None] * len(years)
    span = series.target_year - start_year
    out: list[Decimal | None] = []
    for y in years:
        if y < start_year or y > series.target_year or span <= 0:
            out.append(None)
        else:
            out.append(start_value + (target - start_value) * Decimal(y - start_year) / Decimal(span))
    return out


def plotted_values(series: ChartSeries, shape: str | None) -> dict[int, Decimal | None]:
    """The series as drawn: the annual values, or for cumulative targets the running sum over plan years."""
    if shape != "cumulative":
        return {p.year: p.value for p in series.points}
    out: dict[int, Decimal | None] = {}
    total: Decimal | None = Decimal(0)
    for p in series.points:
        if series.baseline_year is not None and p.year <= series.baseline_year:
            out[p.year] = None
            continue
        total = None if total is None or p.value is None else total + p.value
        out[p.year] = total
    return out


def write_chart_sheet(
    wb: xlsxwriter.Workbook,
    sheet: Worksheet,
    series_list: list[ChartSeries],
    paths: dict[str, str],
    *,
    title: str,
    sample: bool,
    header_format: Format,
    cell_format: Format,
    title_format: Format,
    mark_format: Format,
) -> None:
    years = sorted(
        {p.year for s in series_list for p in s.points}
        | {s.target_year for s in series_list if s.target_year is not None}
    )
    last_col = 2 + len(years)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 10)
    sheet.set_column(2, last_col, 10)
    sheet.merge_range(0, 0, 0, max(last_col, 8), f"{title}（{SAMPLE_MARK}）" if sample else title, title_format)
    sheet.set_row(0, 30)
    row = 1
    if sample:
        sheet.write_string(row, 0, f"{SAMPLE_MARK}：仅供演示和测试，不得作为正式统计数据报送", mark_format)
        row += 1
    head = row
    for c, text in enumerate(["指标", "计量单位", "系列", *[str(y) for y in years]]):
        sheet.write_string(head, c, text, header_format)
    numbers: dict[int, Format] = {}
    r = head + 1
    placements: list[tuple[ChartSeries, int, str | None]] = []
    for s in series_list:
        shape = paths.get(s.target_kind or "")
        actual = plotted_values(s, shape)
        path = target_path(s, years, shape)
        for offset, (label, values) in enumerate(
            (("实际值" if shape != "cumulative" else "规划期累计", [actual.get(y) for y in years]), ("目标路径", path))
        ):
            sheet.write_string(r + offset, 0, s.title, cell_format)
            sheet.write_string(r + offset, 1, s.unit, cell_format)
            sheet.write_string(r + offset, 2, label, cell_format)
            for c, value in enumerate(values, start=3):
                if value is None:
                    sheet.write_blank(r + offset, c, None, cell_format)
                else:
                    if s.decimals not in numbers:
                        numbers[s.decimals] = wb.add_format({"border": 1, "num_format": number_format(s.decimals)})
                    sheet.write_number(r + offset, c, float(value), numbers[s.decimals])
        placements.append((s, r, shape))
        r += 2
    chart_row = r + 1
    for i, (s, data_row, shape) in enumerate(placements):
        chart = wb.add_chart({"type": "line"})
        categories = [sheet.name, head, 3, head, 2 + len(years)]
        chart.add_series(
            {
                "name": [sheet.name, data_row, 2],
                "categories": categories,
                "values": [sheet.name, data_row, 3, data_row, 2 + len(years)],
                "marker": {"type": "circle", "size": 5},
                "line": {"color": "#1F4E79", "width": 2},
            }
        )
        if shape is not None and s.target_value is not None:
            chart.add_series(
                {
                    "name": [sheet.name, data_row + 1, 2],
                    "categories": categories,
                    "values": [sheet.name, data_row + 1, 3, data_row + 1, 2 + len(years)],
                    "line": {"color": "#C00000", "width": 1.5, "dash_type": "dash"},
                }
            )
        font = {"name": BODY_FONT, "size": 9}
        chart.set_title({"name": f"{s.title}（{s.unit}）", "name_font": {"name": BODY_FONT, "size": 11}})
        chart.set_x_axis({"num_font": font})
        chart.set_y_axis({"num_font": font, "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_legend({"position": "bottom", "font": font})
        chart.show_blanks_as("gap")
        chart.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
        grid_row, grid_col = divmod(i, CHARTS_PER_ROW)
        sheet.insert_chart(chart_row + grid_row * CHART_ROWS, grid_col * 5, chart, {"object_position": 3})
    for line in range(chart_row, chart_row + CHART_ROWS * ((len(placements) + 1) // CHARTS_PER_ROW) + 1):
        sheet.set_row(line, 18)  # fixed heights: LibreOffice and Excel place the charts alike
    sheet.freeze_panes(head + 1, 0)
    sheet.set_paper(9)
    sheet.set_landscape()
    # A fixed scale and a page break before each row of charts, so no chart is cut across pages
    # (fit-to-page would override manual breaks).
    sheet.set_print_scale(75)
    grid_rows = (len(placements) + CHARTS_PER_ROW - 1) // CHARTS_PER_ROW
    sheet.set_h_pagebreaks([chart_row + k * CHART_ROWS for k in range(1, grid_rows)])
    sheet.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.75)
    if sample:
        sheet.set_header(f"&C&14{SAMPLE_MARK}（不得作为正式统计数据）")
    sheet.set_footer(f"&L{SAMPLE_MARK}&C第 &P 页，共 &N 页" if sample else "&C第 &P 页，共 &N 页")
