"""Home (each role to its own start page) and the first-login password change."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from portal.accounts.access import REVIEW_PERMISSION, SUBMIT_PERMISSION, audit
from portal.accounts.models import Profile


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.has_perm(REVIEW_PERMISSION):
        return redirect("review:board")
    if request.user.has_perm(SUBMIT_PERMISSION):
        return redirect("submissions:my_forms")
    return render(request, "accounts/no_role.html", status=403)


class FirstPasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        Profile.objects.update_or_create(user=self.request.user, defaults={"must_change_password": False})
        audit(self.request, "修改密码", self.request.user.get_username())
        return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused form (missing or stale CSRF token) explained in Chinese, never Django's English page."""
    return render(request, "403_csrf.html", status=403)
