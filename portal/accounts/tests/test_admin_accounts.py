"""An account an administrator creates on the admin pages must also change its first password."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_account_made_outside_setup_must_change_its_first_password(roles) -> None:  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_user("newcomer", password="Chushi-Mima-2026")
    assert user.portal_profile.must_change_password
