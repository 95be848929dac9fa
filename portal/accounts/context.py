"""What every page needs to draw the menu: the user's roles."""

from __future__ import annotations

from django.http import HttpRequest

from portal.accounts.access import REVIEW_PERMISSION, SUBMIT_PERMISSION


def roles(request: HttpRequest) -> dict[str, bool]:
    user = request.user
    return {
        "is_submitter": user.is_authenticated and user.has_perm(SUBMIT_PERMISSION),
        "is_analyst": user.is_authenticated and user.has_perm(REVIEW_PERMISSION),
    }
