"""Portal state about submissions: what was submitted here (with its 说明) and online-form drafts.

The warehouse's raw tables stay the record of every file; these rows only remember what the portal
showed and what the submitter wrote, so the page can show it at once, even while a build runs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PortalSubmission(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="portal_submissions")
    department_code = models.CharField("单位代码", max_length=64, db_index=True)
    form_code = models.CharField("报表", max_length=64)
    period = models.CharField("报告期", max_length=16)
    channel = models.CharField("方式", max_length=8, choices=[("upload", "上传文件"), ("online", "网页填报")])
    file_name = models.CharField("文件名", max_length=255)
    sha256 = models.CharField("文件指纹", max_length=64, db_index=True)
    submitted_at = models.DateTimeField("提交时间")
    outcome = models.CharField("审核结果", max_length=16)  # accepted | rejected | duplicate
    problems = models.JSONField("问题清单", default=list)
    preview = models.JSONField("回执摘要", default=dict)
    note = models.TextField("情况说明", blank=True)  # the submitter's written explanation of warnings
    queued = models.BooleanField("已提交入库", default=False)  # False: warnings await a 说明

    class Meta:
        verbose_name = verbose_name_plural = "网上报送记录"
        ordering = ["-submitted_at", "-id"]
        permissions = [("submit_forms", "为所授权单位报送报表")]


class Draft(models.Model):
    """An online form saved but not submitted; one per department, form and period."""

    department_code = models.CharField("单位代码", max_length=64)
    form_code = models.CharField("报表", max_length=64)
    period = models.CharField("报告期", max_length=16)
    values = models.JSONField("填报内容", default=dict)
    saved_by = models.CharField("保存人", max_length=150)
    saved_at = models.DateTimeField("保存时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "网页填报草稿"
        constraints = [
            models.UniqueConstraint(fields=["department_code", "form_code", "period"], name="one_draft_per_duty")
        ]
