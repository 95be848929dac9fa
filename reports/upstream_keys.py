"""The public keys of the offices below, as this installation registered them (`ipwh upstream register-key`).

One file per region, `<IPWH_HOME>/keys/upstream/<region>.pub` (PEM), written atomically. A package
is verified only against the key registered for the region it claims: a city cannot sign for
another, and a key nobody registered proves nothing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from reports.signing import PublicKey, VerifyError

FOLDER = "upstream"


def key_path(keys: Path, region_code: str) -> Path:
    if not region_code.isdigit():
        raise VerifyError(f"区划代码 {region_code!r} 不是数字代码")
    return keys / FOLDER / f"{region_code}.pub"


def register(keys: Path, region_code: str, key: PublicKey) -> tuple[Path, PublicKey | None]:
    """Store `key` as the region's; returns the file and the key it replaced (None when new)."""
    path = key_path(keys, region_code)
    previous = registered(keys, region_code)
    pem = Ed25519PublicKey.from_public_bytes(key.raw).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path, previous


def registered(keys: Path, region_code: str) -> PublicKey | None:
    path = key_path(keys, region_code)
    if not path.is_file():
        return None
    return PublicKey.parse(path.read_text(encoding="utf-8"))


def all_registered(keys: Path) -> dict[str, PublicKey]:
    folder = keys / FOLDER
    found = sorted(folder.glob("*.pub")) if folder.is_dir() else []
    return {path.stem: PublicKey.parse(path.read_text(encoding="utf-8")) for path in found if path.stem.isdigit()}


def parse_key_argument(text: str) -> PublicKey:
    """A key given on the command line: a `.pub` file, or the line `ipwh returns key` prints."""
    candidate = Path(text)
    try:
        is_file = candidate.is_file()
    except (OSError, ValueError):
        is_file = False
    if is_file:
        try:
            return PublicKey.parse(candidate.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise VerifyError(f"无法读取公钥文件 {candidate}") from exc
    return PublicKey.parse(text)
