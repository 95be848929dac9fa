"""Upload, 说明 and the online form. Cells are kept as typed: the intake checks decide, not the browser."""

from __future__ import annotations

from django import forms
from django.conf import settings

from sources.forms.spec import Assignment
from sources.forms.xlsx_template import requirement_text

NOTE_MAX = 2000
VALUE_MAX = 40


class UploadForm(forms.Form):
    file = forms.FileField(label="已填好的报表文件（.xlsx 或 .csv）", allow_empty_file=True)

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > settings.PORTAL_MAX_UPLOAD_BYTES:
            limit = settings.PORTAL_MAX_UPLOAD_BYTES // (1024 * 1024)
            raise forms.ValidationError(f"文件超过 {limit} MB 上限，请只上传系统生成的报表模板。", code="too_large")
        return upload


class NoteForm(forms.Form):
    note = forms.CharField(
        label="情况说明（数据属实，说明原因）",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "有提示时须填写情况说明后才能提交。"},
    )

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        if len(note) < 4:
            raise forms.ValidationError("请写明数据属实的原因（至少 4 个字）。", code="too_short")
        return note


class OnlineForm(forms.Form):
    """One text field per row of the form, named by the element's code, labelled as on paper."""

    filled_by = forms.CharField(label="填表人", max_length=40, required=False)
    phone = forms.CharField(label="联系电话", max_length=40, required=False)
    note = forms.CharField(
        label="情况说明（有提示时必填）", max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, assignment: Assignment, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.rows = assignment.form.rows
        for row in self.rows:
            self.fields[row.element.code] = forms.CharField(
                label=row.element.name,
                max_length=VALUE_MAX,
                required=False,
                help_text=requirement_text(row),
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )

    def values(self) -> dict[str, str]:
        return {row.element.code: self.cleaned_data.get(row.element.code, "").strip() for row in self.rows}

    def row_fields(self) -> list[tuple[object, forms.BoundField]]:
        return [(row, self[row.element.code]) for row in self.rows]
