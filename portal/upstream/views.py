"""The province's upload endpoint for return packages from the offices below (`ipwh returns submit --to https://…`).

A machine client, not a browser: the city's installation posts its signed package with its portal
account in HTTP Basic credentials (over TLS), so no session or cookie is involved and CSRF does not
apply. The credentials go through Django's `authenticate`, hence django-axes' lockout; the account
must be a submitter, and the package is accepted only from an office the account is granted. The
package then goes through the same ingest as `ipwh upstream ingest`; the answer is the receipt (JSON).
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from pathlib import Path

from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.warehouse import WarehouseUnavailable
from portal.accounts.access import SUBMIT_PERMISSION, departments_of
from portal.accounts.models import AuditEntry
from reports.upstream import Refused, ingest_package
from sources.intake.receipts import render_text


def _error(status: int, message: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="ipwh-upstream", charset="UTF-8"'
    return response


def _credentials(request: HttpRequest) -> tuple[str, str] | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        user, sep, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep and user else None


@csrf_exempt  # no session: each request carries its own credentials (see the module docstring)
@require_POST
def upload(request: HttpRequest) -> JsonResponse:
    given = _credentials(request)
    if given is None:
        return _error(401, "请以本单位在本平台的账户（HTTP Basic）上传")
    try:
        user: AbstractBaseUser | None = authenticate(request, username=given[0], password=given[1])
    except AxesBackendPermissionDenied:
        return _error(403, "该账户因多次登录失败已被暂时锁定，请一小时后再试或联系管理员")
    if user is None or getattr(request, "axes_locked_out", False):
        return _error(401, "用户名或密码不对")
    if not user.has_perm(SUBMIT_PERMISSION):
        return _error(403, "该账户不是填报员账户，不能上传报送包")
    upload = request.FILES.get("package")
    if upload is None:
        return _error(400, "请求中没有报送包（字段名 package）")
    ours = settings.IPWH
    spool = ours.home / "intake" / "upstream"
    spool.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=spool, prefix=".upload-", suffix=".zip") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        try:
            outcome = ingest_package(
                Path(handle.name), ours, actor=user.get_username(), name=upload.name, acting_for=departments_of(user)
            )
        except WarehouseUnavailable as exc:
            return _error(503, str(exc))
        except Refused as exc:  # this installation's own region setting
            return _error(500, str(exc))
    receipt = outcome.receipt
    AuditEntry.objects.create(
        username=user.get_username(),
        action="upstream_upload",
        target=(receipt.submission_id or receipt.file_sha256)[:255],
        detail=f"{receipt.file_name}：{receipt.outcome}",
        address=request.META.get("REMOTE_ADDR") or None,
    )
    body = {
        "outcome": receipt.outcome,
        "submission_id": receipt.submission_id,
        "version": receipt.version,
        "values": outcome.values,
        "receipt": render_text(receipt),
    }
    status = 422 if receipt.outcome == "rejected" else 200
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
