"""Delivering a submitted package upward: into a transfer folder, or to the province's portal.

`--to DIR` copies the package into the folder atomically (a temporary name, then a rename), so the
other side never sees half a file; a package already there with the same bytes is left alone, one
with other bytes is never overwritten. `--to https://…` posts it to the province's upload endpoint
(portal/upstream) with the city's portal account (HTTP Basic over TLS) and keeps the province's
receipt beside the package. Plain http is refused except to this machine (tests, a local portal).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import os
import tempfile
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

UPLOAD_PATH = "upstream/upload/"
_TIMEOUT = 120


class DeliveryError(Exception):
    """The package could not be delivered; the message (Chinese) says why and what to do."""


@dataclass(frozen=True)
class Delivered:
    where: str
    receipt: dict[str, Any] | None = None  # the province's answer (portal delivery)
    receipt_path: Path | None = None


def to_folder(package: Path, folder: Path) -> Delivered:
    if not folder.is_dir():
        raise DeliveryError(f"传送文件夹 {folder} 不存在或不是文件夹")
    data = package.read_bytes()
    target = folder / package.name
    if target.exists():
        if hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest():
            return Delivered(str(target))
        raise DeliveryError(f"{target} 已存在且内容不同：不覆盖。请核对后移走该文件再报送。")
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{package.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, target)  # fails rather than replaces when the name appeared meanwhile
        except FileExistsError:
            raise
        except OSError:  # a share without hard links (SMB, FAT): rename, the name checked just before
            if target.exists():
                raise FileExistsError(target) from None
            os.replace(temp, target)
    except FileExistsError as exc:
        raise DeliveryError(f"{target} 同时被写入：请核对后重试") from exc
    except OSError as exc:
        raise DeliveryError(f"无法写入传送文件夹 {folder}：{exc.strerror or exc}") from exc
    finally:
        Path(temp).unlink(missing_ok=True)
    return Delivered(str(target))


def check_url(url: str) -> str:
    """The upload endpoint for `url`; https only, plain http only to this machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise DeliveryError(f"地址 {url} 不是 https:// 网址")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise DeliveryError(f"拒绝以明文 http 向 {parts.hostname} 报送：凭据和数据会被窃听，请使用 https:// 地址")
    base = url if url.endswith("/") else url + "/"
    return base if base.endswith(UPLOAD_PATH) else base + UPLOAD_PATH


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def to_portal(package: Path, url: str, user: str, password: str) -> Delivered:
    """Post the package; returns the province's receipt (also written beside the package)."""
    endpoint = check_url(url)
    boundary = uuid.uuid4().hex
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            f'Content-Disposition: form-data; name="package"; filename="{package.name}"\r\n'.encode(),
            b"Content-Type: application/zip\r\n\r\n",
            package.read_bytes(),
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    request = urllib.request.Request(
        endpoint,
        data=body,
        method="POST",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Authorization": f"Basic {token}",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            answer = _json(response.read())
    except urllib.error.HTTPError as exc:
        answer = _json(exc.read())
        if exc.code == 429:
            raise DeliveryError(
                "上级平台因多次密码错误暂时锁定了该账户（1 小时）：请核对密码，或请上级管理员解锁"
            ) from exc
        if exc.code != 422:  # 422 is the province refusing the package: a receipt, kept below
            raise DeliveryError(f"上级平台拒绝（HTTP {exc.code}）：{answer.get('error') or exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"无法连接上级平台 {endpoint}：{reason}") from exc
    if "outcome" not in answer:
        raise DeliveryError(f"上级平台的答复无法识别：{str(answer)[:200]}")
    stem = package.with_suffix("")
    receipt_path = stem.with_name(stem.name + ".上级回执.txt")
    receipt_path.write_text(str(answer.get("receipt") or ""), encoding="utf-8")
    stem.with_name(stem.name + ".上级回执.json").write_text(
        json.dumps(answer, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return Delivered(endpoint, answer, receipt_path)


def _json(data: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {"error": data[:200].decode("utf-8", "replace")}
    return parsed if isinstance(parsed, dict) else {"error": str(parsed)[:200]}
