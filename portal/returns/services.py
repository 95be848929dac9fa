"""The gate and the returns of one period, through the code `ipwh check | explain | returns` run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from core.settings import local_now
from core.warehouse import read_only, writer
from expectations.explain import record_explanation
from expectations.gate import GateDecision, gate_decision
from reports.build import BuildOutcome, build_in_warehouse
from reports.registry import MANIFEST, Submitted, submit
from sources.periods import Period


@dataclass(frozen=True)
class BuiltVersion:
    version: int
    folder: Path
    files: list[str]
    submitted: bool


def gate(period: Period) -> GateDecision:
    with read_only(settings.IPWH.warehouse) as con:
        return gate_decision(con, period)


def explain(check_name: str, period: Period, reason: str, by: str) -> str:
    with writer(settings.IPWH.warehouse, 3, 1.0) as con:
        return record_explanation(con, check_name, period.code, reason, by, local_now())


def build(period: Period) -> BuildOutcome:
    return build_in_warehouse(settings.IPWH.warehouse, settings.IPWH.outbox, period)


def send_upward(period: Period, actor: str, note: str | None) -> Submitted:
    with writer(settings.IPWH.warehouse, 3, 1.0) as con:
        return submit(con, settings.IPWH.outbox, period, actor=actor, at=local_now().replace(microsecond=0), note=note)


def versions(period: Period) -> list[BuiltVersion]:
    """Versions in the outbox, newest first; a submitted one has its package beside it."""
    folder = settings.IPWH.outbox / period.code
    out = []
    for v in sorted(folder.glob("v*"), key=lambda p: int(p.name[1:]) if p.name[1:].isdigit() else 0, reverse=True):
        manifest = v / MANIFEST
        if not manifest.is_file() or not v.name[1:].isdigit():
            continue
        json.loads(manifest.read_text(encoding="utf-8"))  # a readable manifest, or the version is not listed
        number = int(v.name[1:])
        package = folder / f"returns_{period.code}_v{number}.zip"
        out.append(BuiltVersion(number, v, sorted(p.name for p in v.glob("*.xlsx")), package.exists()))
    return out


def return_file(period: Period, version: int, name: str) -> Path | None:
    """A file of a built version, by name as listed (never a path the request chose)."""
    for v in versions(period):
        if v.version == version and name in v.files:
            return v.folder / name
    return None
