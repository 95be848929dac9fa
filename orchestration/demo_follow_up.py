"""`ipwh demo --follow-up`: the corrected form goes through template → inbox → intake; the analyst's
explanations go through the same code path as `ipwh explain`. A second run changes nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, time

from core.settings import TIMEZONE, Settings
from sources.catalogue import Catalogue, load


@dataclass
class FollowUpSummary:
    resubmitted: list[str] = field(default_factory=list)  # receipt ids of accepted corrections
    already_received: int = 0
    rejected: list[str] = field(default_factory=list)
    explained: list[str] = field(default_factory=list)  # "check period"


def run_follow_up(settings: Settings, catalogue: Catalogue | None = None) -> FollowUpSummary:
    from expectations.rules import load_rules, return_forms
    from orchestration.quality_commands import record_warning_explanation
    from sources.demo.follow_up import FOLLOW_UP_ON, SAMPLE_ANALYST, corrected_submission, sample_explanations
    from sources.forms.spec import assignment
    from sources.forms.xlsx_template import write_xlsx_form
    from sources.intake.pipeline import Incoming, ingest

    catalogue = catalogue or load()
    summary = FollowUpSummary()
    item = corrected_submission(catalogue)
    found = assignment(catalogue, item.form_code, item.region_code, item.department_code)
    path = settings.inbox / item.department_code / f"{found.form.table_no}_{item.period.code}_更正.xlsx"
    signature = {
        "head_of_unit": "（示例）负责人",
        "head_of_statistics": "（示例）统计负责人",
        "filled_by": "（示例）填表人",
        "phone": "0591-00000000",
        "reported_on": FOLLOW_UP_ON.isoformat(),
    }
    write_xlsx_form(found, item.period, path, values=item.values, signature=signature, sample=True)
    stamp = datetime.combine(FOLLOW_UP_ON, time(9, 30)).replace(tzinfo=TIMEZONE).timestamp()
    os.utime(path, (stamp, stamp))
    for outcome in ingest([Incoming(path, item.department_code, remove_after=True)], settings, catalogue, "ipwh demo"):
        if not outcome.is_new:  # received by an earlier follow-up
            summary.already_received += 1
        elif outcome.status == "accepted":
            summary.resubmitted.append(path.name)
        else:
            summary.rejected.append(str(outcome.receipt_path or path.name))
    conflicts = {r.code: r.params["conflict"] for r in load_rules() if r.kind == "document_conflict"}
    for note in sample_explanations(catalogue, return_forms(), conflicts):
        record_warning_explanation(settings, note.check_name, note.period, note.reason, SAMPLE_ANALYST)
        summary.explained.append(f"{note.check_name} {note.period}")
    return summary
