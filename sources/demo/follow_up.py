"""The sample scenario's follow-up (`ipwh demo --follow-up`): what happens after the checks spoke.

- 永泰县财政局 resubmits its 2025 finance form with the fund in 万元 (a new version, marked 更正);
- a sample analyst explains the warnings the departments cannot fix: the late 2026Q3 form of 罗源
  (it did arrive), the missing 2026Q3 form of 洪山镇 (not read by the city's returns) and the seed
  documents' own conflicts (194 vs 195 certified firms, …; expectations/document_checks.py).
Every text is marked 示例. Pure data: orchestration/demo_follow_up.py does the IO.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from sources.catalogue import Catalogue
from sources.demo.defects import CORRECTION_NOTE, LATE, MISSING, UNIT_SLIP

# The day the sample scenario is told as of: 2026-10, 2026Q3 and 2025 are the latest ended periods.
# `make run` pins IPWH_TODAY to it (the Makefile's SAMPLE_DAY), so the story is the same on any day.
SAMPLE_DAY = date(2026, 11, 21)
# The day the corrected form arrives and the analyst writes (fixed, so a rerun is a no-op).
FOLLOW_UP_ON = date(2026, 11, 20)
SAMPLE_ANALYST = "（示例）质量分析员"


@dataclass(frozen=True)
class SampleExplanation:
    check_name: str
    period: str
    reason: str


def corrected_submission(catalogue: Catalogue):  # -> DemoSubmission
    """The unit-slip form again, with the figure the department meant (in 万元), arriving on FOLLOW_UP_ON."""
    from sources.demo.figures import demo_defects, demo_submissions

    form, region, element = UNIT_SLIP
    defect = next(d for d in demo_defects(catalogue) if d["kind"] == "unit_mistake")
    original = next(
        s
        for s in demo_submissions(catalogue)
        if s.form_code == form and s.region_code == region and s.period.code == defect["period"]
    )
    values = {**original.values, element: defect["right_value"]}
    return replace(original, values=values, received_on=FOLLOW_UP_ON, version_note=CORRECTION_NOTE)


def sample_explanations(
    catalogue: Catalogue, required_for_returns: dict[str, bool], conflict_rules: Mapping[str, str] | None = None
) -> list[SampleExplanation]:
    """The analyst's notes for the late and the missing form (warnings: neither is read by a return), and
    for each conflict between the seed documents (`conflict_rules`: rule code → conflict code), dated the
    latest ended year as the conflict checks date them."""
    from sources.demo.figures import demo_defects

    out: list[SampleExplanation] = []
    readings = {r["conflict_code"]: r["reading"] for r in catalogue.rows("document_conflicts")}
    for rule_code, conflict in (conflict_rules or {}).items():
        out.append(
            SampleExplanation(
                rule_code,
                str(SAMPLE_DAY.year - 1),
                f"（示例）两处文件数字不一致，已核对原文：{readings[conflict]}；报表按目录所注口径填列，待发文单位确认。",
            )
        )
    for defect in demo_defects(catalogue):
        if defect["kind"] == "late" and (defect["form_code"], defect["region_code"]) == LATE:
            out.append(
                SampleExplanation(
                    "forms_on_time",
                    str(defect["period"]),
                    f"（示例）{defect['department_code']} 于 {defect['received_on']} 报送，晚于截止日 "
                    f"{defect['due_on']}；经电话核实系单位系统升级所致，数据已审核无误。",
                )
            )
        if defect["kind"] == "missing" and (defect["form_code"], defect["region_code"]) == MISSING:
            required = required_for_returns.get(str(defect["form_code"]), True)
            out.append(
                SampleExplanation(
                    "required_forms_submitted" if required else "optional_forms_submitted",
                    str(defect["period"]),
                    f"（示例）{defect['department_code']} 本期报表未报送，已发催报通知；"
                    "该表不进入市级上报报表，补报后更新。",
                )
            )
    return out
