"""The seed documents' own disagreements (catalogue: document_conflicts), checked on every run.

Each conflict names two sources (file and section) and their figures. The rule fails while the
relation between them holds (they differ, the first exceeds the second, or one figure carries two
definitions) and says where the warehouse's figure for the same element stands. The failure is
dated the latest ended year as of the run, so each year's returns carry an analyst's explanation.
"""

from __future__ import annotations

from decimal import Decimal

from expectations.context import CheckContext
from expectations.outcomes import fmt, outcome
from expectations.results import CheckOutcome, Failure
from expectations.rules import Rule, RulesError

RELATIONS = {"differ", "exceeds", "definition"}


def _holds(relation: str, a: Decimal, b: Decimal) -> bool:
    if relation == "differ":
        return a != b
    if relation == "exceeds":
        return a > b
    return True  # one figure, two definitions: it stands as long as the catalogue records it


def _source(ctx: CheckContext, citation: str) -> str:
    """`《title》（file, section）` for a citation `file, section`."""
    file, _, section = citation.partition(", ")
    titles = {r["source_file"]: r["plan_title"] for r in ctx.catalogue.rows("plans")}
    return f"《{titles.get(file, file)}》{section}（{file}）"


def _warehouse_figure(ctx: CheckContext, row: dict[str, str]) -> str:
    if not row["data_period"]:  # e.g. a five-year total the warehouse keeps year by year
        return f"仓库不单列此数（“{ctx.element_name(row['element_code'])}”按年度存放）"
    values = ctx.frame("fct_element_values")
    hit = values[
        (values["element_code"] == row["element_code"])
        & (values["region_code"] == row["region_code"])
        & (values["period_code"] == row["data_period"])
        & values["value"].notna()
    ]
    region, element = ctx.region_name(row["region_code"]), ctx.element_name(row["element_code"])
    where = f"仓库中{region}{row['data_period']}年“{element}”"
    if hit.empty:
        return f"{where}无数据"
    units = ctx.catalogue.units
    value = Decimal(str(hit.iloc[0]["value"]))
    element_unit = units[ctx.catalogue.elements[row["element_code"]].unit_code]
    unit = units[row["unit_code"]]
    shown = value * element_unit.to_base_factor / unit.to_base_factor
    return f"{where}为{fmt(shown)}{unit.name}"


def check_document_conflict(ctx: CheckContext, rule: Rule) -> CheckOutcome:
    code = rule.params.get("conflict")
    rows = [r for r in ctx.catalogue.rows("document_conflicts") if r["conflict_code"] == code]
    if not rows:
        raise RulesError(f"rules.csv: 规则 {rule.code} 的 conflict={code!r} 不在目录 document_conflicts 中")
    row = rows[0]
    if row["relation"] not in RELATIONS:
        raise RulesError(f"document_conflicts.{code}: relation 应为 {'、'.join(sorted(RELATIONS))}")
    a, b = Decimal(row["value_a"]), Decimal(row["value_b"])
    year = ctx.as_of.year - 1 if (ctx.as_of.month, ctx.as_of.day) != (12, 31) else ctx.as_of.year
    failures = []
    if _holds(row["relation"], a, b):
        message = (
            f"{row['conflict_name']}：{_source(ctx, row['source_a'])}“{row['statement_a']}”，"
            f"{_source(ctx, row['source_b'])}“{row['statement_b']}”；{_warehouse_figure(ctx, row)}。"
            f"我们的理解：{row['reading']}"
        )
        # One row per target the conflict bears on, so its explanation travels into the returns
        # that show those targets and no others.
        failures = [
            Failure(
                message=message,
                period_code=str(year),
                region_code=row["region_code"],
                subject_code=target,
                observed=f"{fmt(a)}（{row['source_a']}）",
                expected=f"{fmt(b)}（{row['source_b']}）",
                fix=rule.fix,
            )
            for target in row["target_codes"].split("|")
        ]
    return outcome(rule, 1, failures)
