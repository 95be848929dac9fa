"""Set the portal up from the catalogue: roles, one account per submitting department, an analyst.

Accounts get a random initial password (written once to `portal/initial_passwords.csv` under
IPWH_HOME, readable only by its owner) and must change it at first login. Running it again creates
only what is missing and never resets a password.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
from pathlib import Path

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.models import User as UserModel
from django.db import transaction

from portal.accounts.access import ANALYST_GROUP, SUBMITTER_GROUP
from portal.accounts.models import DepartmentGrant, Profile
from sources.catalogue import load

ANALYST_USERNAME = "analyst"
ADMIN_USERNAME = "admin"


def ensure_roles() -> None:
    submit = Permission.objects.get(content_type__app_label="submissions", codename="submit_forms")
    review = Permission.objects.get(content_type__app_label="review", codename="review_submissions")
    Group.objects.get_or_create(name=SUBMITTER_GROUP)[0].permissions.set([submit])
    Group.objects.get_or_create(name=ANALYST_GROUP)[0].permissions.set([review])


def create_account(
    username: str, password: str, *, departments: list[str] = (), analyst: bool = False, admin: bool = False
) -> UserModel:
    user = UserModel.objects.create_user(username, password=password)
    if admin:
        user.is_staff = user.is_superuser = True
        user.save()
    Profile.objects.update_or_create(user=user, defaults={"must_change_password": True})
    if departments:
        user.groups.add(Group.objects.get(name=SUBMITTER_GROUP))
        DepartmentGrant.objects.bulk_create(DepartmentGrant(user=user, department_code=d) for d in departments)
    if analyst:
        user.groups.add(Group.objects.get(name=ANALYST_GROUP))
    return user


@transaction.atomic
def ensure_accounts(password_file: Path) -> list[tuple[str, str, str]]:
    """Create missing accounts; returns (username, role, initial password) for those created."""
    ensure_roles()
    wanted: list[tuple[str, str, dict[str, object]]] = [
        (ADMIN_USERNAME, "管理员", {"admin": True}),
        (ANALYST_USERNAME, "统计分析员", {"analyst": True}),
    ]
    for d in load().rows("departments"):
        if d["submits_data"] == "true":
            wanted.append(
                (d["department_code"], f"填报员：{d['department_name']}", {"departments": [d["department_code"]]})
            )
    existing = set(UserModel.objects.values_list("username", flat=True))
    created = []
    for username, role, options in wanted:
        if username in existing:
            continue
        password = secrets.token_urlsafe(9)
        create_account(username, password, **options)  # type: ignore[arg-type]
        created.append((username, role, password))
    if created:
        _append_passwords(password_file, created)
    return created


def _append_passwords(path: Path, rows: list[tuple[str, str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if new:
        writer.writerow(["用户名", "角色", "初始密码（首次登录须修改）"])
    writer.writerows(rows)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(buffer.getvalue())
