"""The explanation form refuses what `ipwh explain` refuses, in the same words."""

from __future__ import annotations

from portal.returns.forms import ExplanationForm


def test_warning_with_a_reason_is_valid() -> None:
    form = ExplanationForm({"check_name": "forms_on_time", "reason": "系统故障致迟报，数据已核实"}, period="2026Q3")
    assert form.is_valid(), form.errors


def test_error_severity_check_cannot_be_explained_away() -> None:
    form = ExplanationForm({"check_name": "counties_sum_to_city", "reason": "无"}, period="2026-10")
    assert not form.is_valid()
    assert "错误级检查，不能以说明放行" in " ".join(form.non_field_errors())


def test_unknown_check_is_refused() -> None:
    form = ExplanationForm({"check_name": "no_such_check", "reason": "原因"}, period="2026-10")
    assert not form.is_valid() and "没有名为" in " ".join(form.non_field_errors())
