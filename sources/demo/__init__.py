"""Deterministic sample data behind `ipwh demo`: departments' figures and record-level patent data.

`demo_submissions` gives every form every department would have sent from 2019-01 to 2026-10 (with
four planted defects, described by `demo_defects`); `patent_records` gives the record-level patent
data the IP offices' patent counts are aggregated from. Pure data: writing files is someone else's job.
"""

from sources.demo.figures import DemoSubmission, demo_defects, demo_submissions
from sources.demo.records import patent_records, patent_records_scaled

__all__ = ["DemoSubmission", "demo_defects", "demo_submissions", "patent_records", "patent_records_scaled"]
