"""Portal state about people: which departments an account may act for, first-login state, audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_profile")
    must_change_password = models.BooleanField("首次登录须修改密码", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "账户设置"


class DepartmentGrant(models.Model):
    """An explicit grant: this account submits for this department (a catalogue department code)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="department_grants")
    department_code = models.CharField("单位代码", max_length=64)
    granted_at = models.DateTimeField("授权时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "单位授权"
        constraints = [models.UniqueConstraint(fields=["user", "department_code"], name="one_grant_per_department")]

    def __str__(self) -> str:
        return f"{self.user} → {self.department_code}"


class AuditEntry(models.Model):
    """Who did what to which object, when and from where; written by the views, never edited."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    username = models.CharField("账户", max_length=150, db_index=True)
    action = models.CharField("操作", max_length=64)
    target = models.CharField("对象", max_length=255, blank=True)
    detail = models.TextField("说明", blank=True)
    address = models.GenericIPAddressField("来源地址", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "操作日志"
        ordering = ["-at"]
