"""Keep every received file, by content, before anything parses it; nothing here deletes."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from sources.intake import temporaries

# By format (readers.file_format) or, for record extracts, by container kind.
_SUFFIX = {"zip": ".xlsx", "text": ".csv", "csv": ".csv", "parquet": ".parquet", "package": ".zip"}
_SUFFIX.update({fmt: f".{fmt}" for fmt in ("xlsx", "xlsm", "xlsb", "xls", "ods")})
_MAX_NAME = 120


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive_bytes(data: bytes, sha256: str, kind: str, root: Path) -> str:
    """Store `data` under `root` by its hash and return the path relative to `root`.

    The name comes only from the hash (never from the file name a sender chose), so `../` or odd
    characters in a name cannot place a file anywhere else. Writing the same bytes twice is a no-op.
    """
    relative = f"{sha256[:2]}/{sha256}{_SUFFIX.get(kind, '.bin')}"
    target = root / relative
    if target.exists():
        return relative
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=temporaries.prefix(temporaries.INCOMING))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o444)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return relative


def display_name(name: str) -> str:
    """A file name safe to show and store: no folders, no control characters, bounded length."""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = re.sub(r"\s+", " ", base).strip().lstrip(".")
    if len(base) > _MAX_NAME:
        stem, dot, suffix = base.rpartition(".")
        base = (
            (stem[: _MAX_NAME - len(suffix) - 2] + "…" + dot + suffix) if dot and len(suffix) <= 8 else base[:_MAX_NAME]
        )
    return base or "（无名文件）"
