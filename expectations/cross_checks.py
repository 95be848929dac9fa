"""Rules across regions, sources and elements, on the marts: the things GE alone does not express."""

from __future__ import annotations

import pandas as pd

from expectations.context import CheckContext
from expectations.outcomes import fmt, outcome
from expectations.results import CheckOutcome, Failure
from expectations.rules import Rule


def _relative_gap(a: pd.Series, b: pd.Series) -> pd.Series:
    scale = pd.concat([a.abs(), b.abs()], axis=1).max(axis=1).where(lambda s: s > 0, 1.0)
    return (a - b).abs() / scale


def check_counties_sum(ctx: CheckContext, rule: Rule) -> CheckOutcome:
    """A city's own (reported) figure of an additive element equals Σ of its counties within a tolerance."""
    values = ctx.frame("fct_element_values")
    level = rule.params.get("parent_level", "city")
    rows = values[
        (values["region_level"] == level)
        & values["is_region_additive"]
        & values["reported_value"].notna()
        & values["children_sum"].notna()
    ]
    gap = _relative_gap(rows["reported_value"], rows["children_sum"])
    tolerance = rule.threshold or 0.0
    failures = [
        Failure(
            message=(
                f"{row.region_name}{row.period_code}“{row.element_name}”：本级报送 {fmt(row.reported_value)}，"
                f"下级合计 {fmt(row.children_sum)}，相差 {fmt(row.reported_value - row.children_sum)}"
                f"（{gap[idx]:.1%}，容差 {tolerance:.1%}）"
            ),
            period_code=row.period_code,
            region_code=row.region_code,
            department_code=ctx.responsible(row.region_code, row.element_code),
            subject_code=row.element_code,
            observed=fmt(row.reported_value),
            expected=f"≈ {fmt(row.children_sum)}（下级合计）",
            fix=rule.fix,
        )
        for idx, row in rows[gap > tolerance].iterrows()
    ]
    return outcome(rule, len(rows), failures)


def check_sources_agree(ctx: CheckContext, rule: Rule) -> CheckOutcome:
    """The IP bureau's figure and the national bulletin's figure for the same element agree."""
    values = ctx.frame("fct_element_values")
    rows = values[values["reported_value"].notna() & values["bulletin_value"].notna()]
    gap = _relative_gap(rows["reported_value"], rows["bulletin_value"])
    tolerance = rule.threshold or 0.0
    failures = [
        Failure(
            message=(
                f"{row.region_name}{row.period_code}“{row.element_name}”：局报 {fmt(row.reported_value)}，"
                f"国家通报 {fmt(row.bulletin_value)}，相差 {gap[idx]:.1%}（容差 {tolerance:.1%}）"
            ),
            period_code=row.period_code,
            region_code=row.region_code,
            department_code=ctx.responsible(row.region_code, row.element_code),
            subject_code=row.element_code,
            observed=fmt(row.reported_value),
            expected=f"≈ {fmt(row.bulletin_value)}（通报）",
            fix=rule.fix,
        )
        for idx, row in rows[gap > tolerance].iterrows()
    ]
    return outcome(rule, len(rows), failures)


def check_parts_le_totals(ctx: CheckContext, rule: Rule) -> CheckOutcome:
    """The catalogue's in-form rules (parts = / ≤ total) still hold after time and region aggregation."""
    values = ctx.frame("fct_element_values")
    severity = rule.params.get("form_rule_severity", "error")
    form_rules = [
        r for r in ctx.catalogue.rows("form_rules") if r["severity"] == severity and r["comparator"] in ("=", "<=")
    ]
    wide = values.pivot_table(
        index=["region_code", "region_name", "period_code"], columns="element_code", values="value", aggfunc="first"
    )
    tolerance = rule.threshold or 0.0
    checked = 0
    failures: list[Failure] = []
    for form_rule in form_rules:
        left_terms = form_rule["left_terms"].split("+")
        right_terms = form_rule["right_terms"].split("+")
        terms = left_terms + right_terms
        if any(t not in wide.columns for t in terms):
            continue
        both = wide[terms].dropna()
        left = both[left_terms].sum(axis=1)
        right = both[right_terms].sum(axis=1)
        bad = (left - right).abs() > tolerance if form_rule["comparator"] == "=" else (left - right) > tolerance
        checked += len(both)
        for (region, region_name, period), is_bad in bad.items():
            if not is_bad:
                continue
            owner = right_terms[0]
            failures.append(
                Failure(
                    message=(
                        f"{region_name}{period}：{form_rule['description']}"
                        f"（{'+'.join(left_terms)} = {fmt(left[(region, region_name, period)])}，"
                        f"{'+'.join(right_terms)} = {fmt(right[(region, region_name, period)])}）"
                    ),
                    period_code=period,
                    region_code=region,
                    department_code=ctx.responsible(region, owner),
                    form_code=form_rule["form_code"],
                    subject_code=form_rule["rule_code"],
                    observed=fmt(left[(region, region_name, period)]),
                    expected=f"{form_rule['comparator']} {fmt(right[(region, region_name, period)])}",
                    fix=rule.fix,
                )
            )
    return outcome(rule, checked, failures)
