"""Portal state about review: each 审核通过 / 退回 as the analyst gave it (the warehouse event is the record)."""

from __future__ import annotations

from django.db import models


class ReviewAction(models.Model):
    submission_id = models.CharField("回执编号", max_length=64, db_index=True)
    action = models.CharField("操作", max_length=16, choices=[("approved", "审核通过"), ("returned", "退回")])
    reason = models.TextField("意见", blank=True)
    username = models.CharField("审核人", max_length=150)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "审核记录"
        ordering = ["-at"]
        permissions = [("review_submissions", "查看报送情况并审核")]
