"""Who may act for which department: explicit grants only, checked on every department route."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404, HttpRequest

from portal.accounts.models import AuditEntry, DepartmentGrant

SUBMIT_PERMISSION = "submissions.submit_forms"
REVIEW_PERMISSION = "review.review_submissions"
SUBMITTER_GROUP = "填报员"
ANALYST_GROUP = "统计分析员"


def departments_of(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    if not user.is_authenticated or not user.has_perm(SUBMIT_PERMISSION):
        return []
    return sorted(DepartmentGrant.objects.filter(user=user).values_list("department_code", flat=True))


def require_department(user: AbstractBaseUser | AnonymousUser, department_code: str) -> None:
    """404 (not 403: the department's existence is not confirmed) unless `user` holds a grant for it."""
    if department_code not in departments_of(user):
        raise Http404("没有该单位的报表")


def audit(request: HttpRequest, action: str, target: str = "", detail: str = "") -> None:
    AuditEntry.objects.create(
        username=request.user.get_username() if request.user.is_authenticated else "",
        action=action,
        target=target[:255],
        detail=detail,
        address=request.META.get("REMOTE_ADDR") or None,
    )
