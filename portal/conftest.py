"""Portal fixtures: a private var/ tree with "today" pinned, roles, two departments' submitters, an analyst."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.settings import Settings
from sources.catalogue import load
from sources.forms.spec import assignment
from sources.forms.xlsx_template import render_xlsx_form
from sources.periods import Period
from tests.form_files import CREATION_VALUES

TODAY = date(2026, 11, 21)  # 2026-10 has ended; its creation form was due 2026-11-10
PASSWORD = "Zhiliang-2026-Portal"
GULOU, TAIJIANG = "350102.amr", "350103.amr"
FORM, PERIOD = "ip_creation_monthly", "2026-10"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """Let fixtures see whether the test failed (the browser test keeps its screenshots then)."""
    outcome = yield
    if call.when == "call":
        item.rep_call = outcome.get_result()


@pytest.fixture
def ipwh(tmp_path: Path, settings) -> Settings:  # type: ignore[no-untyped-def]
    home = tmp_path / "var"
    ours = Settings(home=home, warehouse=home / "warehouse.duckdb", today_override=TODAY)
    settings.IPWH = ours
    return ours


@pytest.fixture
def roles(db) -> None:  # type: ignore[no-untyped-def]
    from portal.accounts.setup import ensure_roles

    ensure_roles()


def _account(username: str, **options):  # type: ignore[no-untyped-def]
    from portal.accounts.models import Profile
    from portal.accounts.setup import create_account

    user = create_account(username, PASSWORD, **options)
    Profile.objects.filter(user=user).update(must_change_password=False)
    user.refresh_from_db()
    return user


@pytest.fixture
def gulou(roles, ipwh):  # type: ignore[no-untyped-def]
    return _account("gulou", departments=[GULOU])


@pytest.fixture
def taijiang(roles, ipwh):  # type: ignore[no-untyped-def]
    return _account("taijiang", departments=[TAIJIANG])


@pytest.fixture
def analyst(roles, ipwh):  # type: ignore[no-untyped-def]
    return _account("analyst", analyst=True)


def filled_form(values: dict[str, object] | None = None, department: str = GULOU, region: str = "350102") -> bytes:
    """Gulou's (or another county's) October creation form, filled as a department would."""
    a = assignment(load(), FORM, region, department)
    return render_xlsx_form(a, Period.parse(PERIOD), values=CREATION_VALUES if values is None else values)
