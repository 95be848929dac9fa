"""指标监测网站: a static site of every plan, target and indicator, generated from the analysts' snapshot.

`build_site(settings)` reads `snapshot/warehouse.duckdb` (marts, catalogue, quality results) and writes
`<IPWH_HOME>/site/`: plain HTML (Jinja2, autoescaped), ECharts vendored under static/ (nothing from a
CDN), every chart with its table beside it, and the data behind each target page as CSV and .xlsx.
Figures and statuses are read from the marts, never recomputed here.
"""
