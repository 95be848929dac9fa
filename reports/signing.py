"""Signed return packages: the receiver can prove which office sent a package and that nothing changed.

Each installation has one Ed25519 key pair under `<IPWH_HOME>/keys/`, made on first use and never
replaced by the system (a new key would orphan every package signed before it). A package carries
`signature.json` beside the returns: the SHA-256 and size of every other file in the package, the
signer's public key and an Ed25519 signature over that list. Verifying recomputes every hash, refuses
missing or extra files, and checks the signature with the key the receiver trusts for the sender.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from reports import sdmx

SIGNATURE = "signature.json"
SIGNATURE_FORMAT = "ipwh-returns-signature/1"
PRIVATE_KEY = "returns_ed25519.pem"
PUBLIC_KEY = "returns_ed25519.pub"
_MAX_MEMBERS = 500
_MAX_PACKAGE_BYTES = 200 * 1024 * 1024


class SigningKeyError(Exception):
    """The installation's key pair is unreadable; the message (Chinese) says what to do."""


class VerifyError(Exception):
    """The package is not what it claims to be; the message (Chinese) says what failed."""


@dataclass(frozen=True)
class PublicKey:
    raw: bytes  # 32 bytes

    @property
    def text(self) -> str:
        """The form a clerk copies into a letter or the province's registry: base64 of the raw key."""
        return base64.b64encode(self.raw).decode("ascii")

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()[:16]

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        """Base64 of the 32 raw bytes, or a PEM public key (the `.pub` file)."""
        text = text.strip()
        try:
            if text.startswith("-----BEGIN"):
                key = serialization.load_pem_public_key(text.encode("ascii"))
                if not isinstance(key, Ed25519PublicKey):
                    raise ValueError("not Ed25519")
                return cls(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
            raw = base64.b64decode(text, validate=True)
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise VerifyError("公钥格式不对：应为 ipwh returns key 打印的一行 base64，或 .pub 文件") from exc
        if len(raw) != 32:
            raise VerifyError(f"公钥长度不对（{len(raw)} 字节，Ed25519 公钥为 32 字节）")
        return cls(raw)


def key_pair(folder: Path) -> tuple[Ed25519PrivateKey, PublicKey]:
    """The installation's key pair, created once (atomically, owner-only) when there is none."""
    private_path = folder / PRIVATE_KEY
    if not private_path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    try:
        key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise SigningKeyError(
            f"签名私钥 {private_path} 无法读取或已损坏。请从备份恢复该文件；"
            "若确需更换密钥，移走该文件后重新运行 ipwh returns key，并把新公钥告知上级机关。"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"签名私钥 {private_path} 不是 Ed25519 密钥")
    public = PublicKey(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    public_path = folder / PUBLIC_KEY
    pem_public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if not public_path.exists() or public_path.read_bytes() != pem_public:
        public_path.write_bytes(pem_public)
    return key, public


def signature_document(files: dict[str, bytes], key: Ed25519PrivateKey, signer: dict[str, Any]) -> bytes:
    """signature.json for a package holding `files` (name -> bytes, names as inside the package)."""
    public = PublicKey(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    body = {
        "format": SIGNATURE_FORMAT,
        "algorithm": "Ed25519",
        "public_key": public.text,
        "key_id": public.key_id,
        "signer": signer,
        "files": [
            {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in sorted(files.items())
        ],
    }
    signed = dict(body, signature=base64.b64encode(key.sign(_canonical(body))).decode("ascii"))
    return (json.dumps(signed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class Verified:
    key_id: str
    signer: dict[str, Any]
    files: list[dict[str, Any]]  # name, sha256, bytes (signature.json excluded)
    manifest: dict[str, Any]
    contents: dict[str, bytes] = field(default_factory=dict, repr=False)  # name -> bytes, as signed
    manifest_folder: str = ""  # the folder inside the package that holds manifest.json ("v1")


def verify_package(package: Path | bytes, trusted: PublicKey) -> Verified:
    """Check a package against the sender's trusted public key; raises VerifyError saying what failed."""
    if isinstance(package, bytes):
        data = package
    else:
        try:
            data = package.read_bytes()
        except OSError as exc:
            raise VerifyError(f"无法读取报送包 {package}：{exc.strerror or exc}") from exc
    files = members(data)
    signature_name = next((n for n in files if PurePosixPath(n).name == SIGNATURE), None)
    if signature_name is None:
        raise VerifyError("报送包中没有签名文件 signature.json：未签名的包无法证明来源，请发送方用新版系统重新报送")
    try:
        doc = json.loads(files.pop(signature_name).decode("utf-8"))
        signature = base64.b64decode(doc.pop("signature"), validate=True)
        listed = {f["name"]: f for f in doc["files"]}
        claimed = PublicKey.parse(doc["public_key"])
    except (ValueError, KeyError, TypeError, AttributeError, VerifyError) as exc:
        raise VerifyError("签名文件 signature.json 格式有误，报送包可能被改动") from exc
    if doc.get("format") != SIGNATURE_FORMAT or doc.get("algorithm") != "Ed25519":
        raise VerifyError(f"签名格式 {doc.get('format')!r}/{doc.get('algorithm')!r} 无法识别")
    if claimed.raw != trusted.raw:
        raise VerifyError(
            f"报送包由密钥 {claimed.key_id} 签名，不是所登记的发送方密钥 {trusted.key_id}：不能证明来自该单位，已拒绝"
        )
    try:
        Ed25519PublicKey.from_public_bytes(trusted.raw).verify(signature, _canonical(doc))
    except InvalidSignature as exc:
        raise VerifyError("签名验证失败：签名清单在签名后被改动，或签名不是该密钥所签") from exc
    missing = sorted(set(listed) - set(files))
    extra = sorted(set(files) - set(listed))
    if missing or extra:
        parts = ([f"缺少 {'、'.join(missing)}"] if missing else []) + ([f"多出 {'、'.join(extra)}"] if extra else [])
        raise VerifyError(f"报送包中的文件与签名清单不一致：{'；'.join(parts)}")
    for name, entry in sorted(listed.items()):
        if hashlib.sha256(files[name]).hexdigest() != entry["sha256"] or len(files[name]) != entry["bytes"]:
            raise VerifyError(f"{name} 的 SHA-256 与签名清单不符：文件在签名后被改动，已拒绝")
    manifest = _manifest(files)
    folder = next(str(PurePosixPath(n).parent) for n in files if PurePosixPath(n).name == "manifest.json")
    return Verified(
        claimed.key_id,
        dict(doc.get("signer") or {}),
        list(doc["files"]),
        manifest,
        files,
        "" if folder == "." else folder,
    )


def members(data: bytes) -> dict[str, bytes]:
    """The files of a package, read defensively: a hostile zip (paths leaving the package, links,
    duplicate names, too many members, or more bytes unpacked than a package can hold, however the
    header lies: zipfile stops at the declared size and the CRC catches a lie) is refused whole."""
    if len(data) > _MAX_PACKAGE_BYTES:
        raise VerifyError(f"报送包过大（{len(data) / 1048576:.0f} MB），不像报表报送包")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        if len(infos) > _MAX_MEMBERS or sum(i.file_size for i in infos) > _MAX_PACKAGE_BYTES:
            raise VerifyError("报送包解压后过大或文件过多（疑似压缩炸弹），已拒绝读取")
        out: dict[str, bytes] = {}
        for info in infos:
            name = info.filename
            if info.is_dir():
                continue
            if name.startswith("/") or ".." in PurePosixPath(name).parts or "\\" in name or ":" in name:
                raise VerifyError(f"报送包中有不安全的路径 {name!r}，已拒绝")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise VerifyError(f"报送包中的 {name} 是符号链接，已拒绝")
            if name in out:
                raise VerifyError(f"报送包中 {name} 出现两次，已拒绝")
            out[name] = archive.read(info)
        return out
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise VerifyError("报送包已损坏，不是完整的 zip 文件") from exc
    except RuntimeError as exc:  # an encrypted member
        raise VerifyError("报送包中的文件加了密码，无法核验") from exc


def _manifest(files: dict[str, bytes]) -> dict[str, Any]:
    """The package's manifest, and its return list checked against the files (already signed)."""
    name = next((n for n in files if PurePosixPath(n).name == "manifest.json"), None)
    if name is None:
        raise VerifyError("报送包中没有 manifest.json")
    try:
        manifest = json.loads(files[name].decode("utf-8"))
        folder = str(PurePosixPath(name).parent)
        for entry in manifest["returns"]:
            path = f"{folder}/{entry['file']}" if folder != "." else entry["file"]
            if path not in files or hashlib.sha256(files[path]).hexdigest() != entry["sha256"]:
                raise VerifyError(f"manifest.json 所列 {entry['file']} 与包中文件不符")
        exchange = manifest.get("sdmx")
        prefix = f"{folder}/" if folder != "." else ""
        for dataset in [exchange, (exchange or {}).get("elements")]:
            if not dataset:
                continue
            data, dsd = files.get(prefix + dataset["data"]), files.get(prefix + dataset["structure"])
            if data is None or dsd is None:
                raise VerifyError("manifest.json 所列 SDMX 数据或数据结构定义不在包中")
            dataset["checked_observations"] = sdmx.check(data, dsd)
    except sdmx.SdmxError as exc:
        raise VerifyError(f"SDMX 数据不符合其数据结构定义：{exc}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise VerifyError("manifest.json 格式有误") from exc
    return manifest
