from __future__ import annotations

from django import forms


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label="退回原因（单位将看到）",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "退回须写明原因。"},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 4:
            raise forms.ValidationError("请写明退回原因（至少 4 个字）。", code="too_short")
        return reason
