"""The analyst's written explanation of a warning, validated by the same rule as `ipwh explain`."""

from __future__ import annotations

from django import forms

from expectations.explain import ExplanationRefused, validate_explanation


class ExplanationForm(forms.Form):
    check_name = forms.CharField(widget=forms.HiddenInput, max_length=100)
    reason = forms.CharField(label="说明", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, period: str, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.period = period

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if "check_name" in data and "reason" in data:
            try:
                validate_explanation(data["check_name"], self.period, data["reason"])
            except ExplanationRefused as exc:
                raise forms.ValidationError(str(exc), code="refused") from None
        return data
