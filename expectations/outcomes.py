"""Helpers to turn what a rule found into a CheckOutcome."""

from __future__ import annotations

from expectations.results import CheckOutcome, Failure
from expectations.rules import Rule


class NoDataToCheck(Exception):
    """The rule found nothing to check: that is a failure to run, never a pass."""


def outcome(rule: Rule, checked: int, failures: list[Failure], note: str = "") -> CheckOutcome:
    if checked == 0:
        raise NoDataToCheck(f"没有可检查的数据（{rule.asset_key} 为空或缺少所需的列）")
    if failures:
        message = f"{rule.name}：{len(failures)} 处不符（共检查 {checked} 项）。{rule.description}"
    else:
        message = f"{rule.name}：通过（共检查 {checked} 项）。"
    if note:
        message += f" {note}"
    return CheckOutcome(
        check_name=rule.code,
        asset_key=rule.asset_key,
        severity=rule.severity,
        status="failed" if failures else "passed",
        message=message,
        checked_rows=checked,
        failures=failures,
    )


def fmt(value: object) -> str | None:
    """A number as the analyst would write it (no trailing zeros); None stays None."""
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if number != number:  # NaN
        return None
    text = f"{number:,.6f}".rstrip("0").rstrip(".")
    return text
