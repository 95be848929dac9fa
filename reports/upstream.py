"""A return package from an office below, loaded as that office's submission (`ipwh upstream ingest`).

A provincial installation (IPWH_REGION=350000) runs the same product as its cities. A city's signed
package (reports/registry.py) is received like any form, through intake's own machinery: the bytes
are archived by SHA-256 first; the package is verified against the public key registered for the
region it claims (reports/upstream_keys.py); its element dataset (SDMX-CSV, reports/sdmx.py) is
checked against this installation's own catalogue; then it becomes one submission in the raw
tables (form `upstream:<structure>`, the city's IP office as department, one value per element ×
region), with a version (a city's correction supersedes the earlier package), events and a receipt.
The marts then take these figures as the city's own totals (value_source `upstream`).

A package is accepted whole or refused whole, with a receipt saying why: not a zip or a hostile one,
unsigned, an unregistered or other key, a file changed after signing, a region that is not below this
installation's, a period not ended or already locked here by a submitted return, an older version
than one already received, malformed SDMX or figures the catalogue does not know.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from typing import Any

from core.settings import Settings
from core.warehouse import writer
from reports import sdmx
from reports.signing import VerifyError, members, verify_package
from reports.upstream_keys import registered
from sources.catalogue import Catalogue, load
from sources.intake.archive import archive_bytes, display_name, sha256_hex
from sources.intake.problems import Problem, error, problem_row
from sources.intake.receipt_rows import UPSTREAM_PREFIX, upstream_labels
from sources.intake.receipts import ReceiptData, receipt_folder, write_receipt
from sources.intake.store import Batch, locking_period, period_locked_problem
from sources.periods import Period, PeriodError

FORM_CODE = UPSTREAM_PREFIX + sdmx.ELEMENT_STRUCTURE_ID
UNVERIFIED_FOLDER = "upstream"  # receipts of packages whose sender could not be established
_MAX_BYTES = 200 * 1024 * 1024


class Refused(Exception):
    """The package is refused whole; carries the receipt's problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True)
class UpstreamOutcome:
    receipt: ReceiptData
    receipt_path: Path | None
    values: int  # figures recorded (0 when refused or a duplicate)

    @property
    def accepted(self) -> bool:
        return self.receipt.outcome == "accepted"


def own_region(catalogue: Catalogue, override: str | None) -> str:
    """This installation's region: IPWH_REGION, else the region of the office issuing the forms."""
    regions = {r["region_code"] for r in catalogue.rows("regions")}
    if override:
        if override not in regions:
            raise Refused(_problem("region_unknown", f"本系统设定的区划 IPWH_REGION={override} 不在目录的区划表中"))
        return override
    by_name = {d["department_name"]: d["region_code"] for d in catalogue.rows("departments")}
    issuers = [by_name.get(f["issuing_authority"]) for f in catalogue.rows("forms")]
    found = [code for code in issuers if code]
    if not found:
        raise Refused(_problem("region_unknown", "无法从目录判断本系统所属区划：请设定 IPWH_REGION"))
    return max(set(found), key=found.count)


def ingest_package(
    path: Path,
    settings: Settings,
    *,
    actor: str,
    catalogue: Catalogue | None = None,
    name: str | None = None,
    acting_for: Collection[str] | None = None,
) -> UpstreamOutcome:
    """Receive one package file: archive, verify, check, record; the receipt says what happened.

    `acting_for` (the portal): the departments the uploading account may act for; a package from
    any other office is refused, however well signed."""
    catalogue = catalogue or load()
    settings.ensure_dirs()
    shown = display_name(name or path.name)
    received_at = settings.now().replace(microsecond=0)
    data = _read(path)
    with writer(settings.warehouse) as con:
        batch = Batch.load(con)
        if isinstance(data, Problem):  # nothing readable to archive
            receipt = ReceiptData(None, shown, "", received_at, "rejected", [data], department_code=UNVERIFIED_FOLDER)
            return UpstreamOutcome(receipt, _write(receipt, settings), 0)
        sha = sha256_hex(data)
        prior = batch.known_files.get(sha)
        # Only an accepted package is a duplicate: what refused one (no key registered yet, a period
        # locked here) may have been cured on this side since, so the same bytes are judged anew.
        if prior is not None and prior.outcome == "accepted":
            receipt = ReceiptData(
                None,
                shown,
                sha,
                received_at,
                "duplicate",
                duplicate_of=prior.submission_id,
                duplicate_received_at=prior.received_at,
                duplicate_outcome=prior.outcome,
                department_code=prior.inbox_department,
            )
            return UpstreamOutcome(receipt, _write(receipt, settings), 0)
        archive_path = archive_bytes(data, sha, "package", settings.archive)
        submission_id = batch.new_id(received_at, sha)
        claim: dict[str, Any] = {}
        values: list[dict[str, object]] = []
        try:
            claim = _claim(data, catalogue, settings.region_override)
            values = _figures(data, claim, catalogue, batch, settings, con, submission_id, sha, received_at)
            if acting_for is not None and claim["department_code"] not in acting_for:
                raise Refused(
                    _problem(
                        "account_not_granted",
                        f"上传账户无权代表 {claim['department_code']} 报送，报送包已拒收",
                        "请用该单位在本平台的账户上传",
                    )
                )
            problems: list[Problem] = []
        except Refused as exc:
            problems = [exc.problem]
            values = []
        accepted = not problems
        period: Period | None = claim.get("period")
        department = claim.get("department_code")
        submission: dict[str, object] = {
            "submission_id": submission_id,
            "file_sha256": sha,
            "file_name": shown,
            "archive_path": archive_path,
            "file_format": "sdmx-package",
            "received_at": received_at,
            "inbox_department": UNVERIFIED_FOLDER if department is None else department,
            "form_code": FORM_CODE if department else None,
            "template_version": claim.get("version"),  # the sender's return version
            "department_code": department,
            "region_code": claim.get("region_code") if department else None,
            "period": period.code if period and department else None,
            "period_type": period.period_type if period and department else None,
            "outcome": "accepted" if accepted else "rejected",
            "error_count": len(problems),
            "warning_count": 0,
            "is_sample": bool(claim.get("sample")),
            "filled_by": claim.get("submitted_by"),
            "phone": None,
            "reported_on": claim.get("submitted_at"),
        }
        problem_rows = [problem_row(submission_id, sha, p) for p in problems]
        version, superseded = batch.add(submission, values, problem_rows, actor)
        batch.flush(con)
        form_label, department_label = upstream_labels(catalogue, FORM_CODE, department) if department else (None, None)
        receipt = ReceiptData(
            submission_id,
            shown,
            sha,
            received_at,
            "accepted" if accepted else "rejected",
            problems,
            form_label=form_label,
            department_label=department_label,
            department_code=department or UNVERIFIED_FOLDER,
            period_label=period.label if period and department else None,
            version=version,
            superseded=superseded,
            is_sample=bool(claim.get("sample")),
        )
        return UpstreamOutcome(receipt, _write(receipt, settings), len(values))


def _write(receipt: ReceiptData, settings: Settings) -> Path:
    return write_receipt(receipt, receipt_folder(settings.receipts, receipt.department_code))


def _read(path: Path) -> bytes | Problem:
    """The package's bytes, never through a link, never more than a package can hold."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if path.is_symlink():
            return _problem("link_refused", "给出的报送包是链接（快捷方式），不是文件：系统不读取链接指向的内容")
        return _problem("unreadable_path", f"无法读取报送包：{exc.strerror or exc}")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return _problem("not_a_regular_file", "给出的报送包不是普通文件")
        if os.fstat(fd).st_size > _MAX_BYTES:
            return _problem("package_too_large", "报送包超过 200 MB，不像报表报送包，未读取")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def _claim(data: bytes, catalogue: Catalogue, override: str | None) -> dict[str, Any]:
    """Who the package says sent it, checked: the key registered for that region must verify it."""
    try:
        files = members(data)
    except VerifyError as exc:
        raise Refused(_problem("package_unreadable", str(exc))) from exc
    manifest_name = next((n for n in files if PurePosixPath(n).name == "manifest.json"), None)
    try:
        manifest = json.loads(files[manifest_name].decode("utf-8")) if manifest_name else None
        exchange = manifest.get("sdmx") if isinstance(manifest, dict) else None
        region = exchange.get("region_code") if isinstance(exchange, dict) else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(_problem("manifest_malformed", "报送包中的 manifest.json 格式有误")) from exc
    if not isinstance(region, str) or not isinstance(exchange.get("elements"), dict):
        raise Refused(
            _problem(
                "no_element_data",
                "报送包中没有可载入的数据元 SDMX 数据（或未注明报送单位所属区划）：可能由旧版系统生成",
                "请下级单位升级系统后重新生成并报送该期报表",
            )
        )
    regions = {r["region_code"]: r for r in catalogue.rows("regions")}
    home = own_region(catalogue, override)
    if region not in regions or home not in _ancestors(region, regions) or region == home:
        home_name = regions.get(home, {}).get("region_name", home)
        raise Refused(
            _problem(
                "region_not_below",
                f"报送包声称来自区划 {region}，不是本级（{home_name} {home}）的下级区划，已拒绝",
                "请确认报送包发给了正确的上级机关",
            )
        )
    return {"region_code": region, "region_name": regions[region]["region_name"], "home": home}


def _figures(
    data: bytes,
    claim: dict[str, Any],
    catalogue: Catalogue,
    batch: Batch,
    settings: Settings,
    con: Any,
    submission_id: str,
    sha: str,
    received_at: datetime,
) -> list[dict[str, object]]:
    region = claim["region_code"]
    trusted = registered(settings.keys, region)
    if trusted is None:
        raise Refused(
            _problem(
                "key_not_registered",
                f"尚未登记 {claim['region_name']}（{region}）的报送签名公钥，无法证明报送包来自该单位，已拒绝",
                f"请向该单位索取其 ipwh returns key 打印的公钥，"
                f"运行 ipwh upstream register-key {region} <公钥> 登记后重新载入",
            )
        )
    try:
        verified = verify_package(data, trusted)
    except VerifyError as exc:
        raise Refused(_problem("signature_invalid", str(exc), "请下级单位重新生成并报送原始报送包")) from exc
    manifest, signer = verified.manifest, verified.signer
    claim["department_code"] = _department(catalogue, region)
    claim["sample"] = bool(manifest.get("sample"))
    claim["submitted_by"] = str(signer.get("submitted_by") or "")[:100] or None
    claim["submitted_at"] = str(signer.get("submitted_at") or "")[:40] or None
    try:
        period = Period.parse(str(manifest["period"]))
        version = int(manifest["version"])
    except (KeyError, ValueError, TypeError, PeriodError) as exc:
        raise Refused(_problem("manifest_malformed", "manifest.json 未写明有效的报告期或版本")) from exc
    claim["period"], claim["version"] = period, version
    if not period.has_ended(settings.today):
        raise Refused(_problem("period_not_ended", f"{period.label}尚未结束（今天是 {settings.today}），不能载入"))
    locking = locking_period(period, batch.locked_periods)
    if locking is not None or (FORM_CODE, claim["department_code"], period.code) in batch.locked:
        raise Refused(period_locked_problem(period, locking))
    latest = con.execute(
        "select max(template_version) from raw.submissions where outcome = 'accepted' and form_code = ? "
        "and department_code = ? and period = ?",
        [FORM_CODE, claim["department_code"], period.code],
    ).fetchone()[0]
    if latest is not None and version <= latest:
        raise Refused(
            _problem(
                "older_version",
                f"已载入 {claim['region_name']}{period.label}的第 {latest} 版报送包，"
                f"此包为第 {version} 版，不能取代较新的版本",
                "如需更正，请下级单位生成并报送新版本",
            )
        )
    elements = manifest["sdmx"]["elements"]
    prefix = f"{verified.manifest_folder}/" if verified.manifest_folder else ""
    try:
        rows = sdmx.observations(
            verified.contents[prefix + elements["data"]], verified.contents[prefix + elements["structure"]]
        )
    except (KeyError, TypeError) as exc:
        raise Refused(_problem("sdmx_malformed", "manifest.json 所列数据元 SDMX 文件不在包中")) from exc
    except sdmx.SdmxError as exc:
        raise Refused(_problem("sdmx_malformed", f"数据元 SDMX 数据有误：{exc}")) from exc
    return _values(rows, elements["data"], claim, catalogue, submission_id, sha, received_at)


def _values(
    rows: list[dict[str, str]],
    file_name: str,
    claim: dict[str, Any],
    catalogue: Catalogue,
    submission_id: str,
    sha: str,
    received_at: datetime,
) -> list[dict[str, object]]:
    """Each observation against this installation's own catalogue: element, unit, region, period."""
    period: Period = claim["period"]
    regions = {r["region_code"]: r for r in catalogue.rows("regions")}
    expected_period = sdmx.sdmx_period(period)
    values: list[dict[str, object]] = []
    for line_no, row in enumerate(rows, start=2):
        where = f"{file_name} 第 {line_no} 行"
        element = catalogue.elements.get(row.get("DATA_ELEMENT", ""))
        if element is None:
            raise Refused(
                _problem("sdmx_unknown_element", f"{where}：数据元 {row.get('DATA_ELEMENT')!r} 不在本级目录中")
            )
        if row.get("UNIT_MEASURE") != element.unit_code:
            raise Refused(
                _problem(
                    "sdmx_unit_mismatch",
                    f"{where}：{element.name} 的计量单位为 {row.get('UNIT_MEASURE')}，本级目录为 {element.unit_code}",
                )
            )
        area = row.get("REF_AREA", "")
        if area not in regions or claim["region_code"] not in _ancestors(area, regions):
            raise Refused(
                _problem("sdmx_foreign_region", f"{where}：区划 {area} 不属于报送单位 {claim['region_code']}")
            )
        if row.get("TIME_PERIOD") != expected_period:
            raise Refused(
                _problem(
                    "sdmx_wrong_period", f"{where}：报告期 {row.get('TIME_PERIOD')} 与报送包的 {expected_period} 不符"
                )
            )
        try:
            value = Decimal(row["OBS_VALUE"])
        except (KeyError, InvalidOperation) as exc:
            raise Refused(_problem("sdmx_not_a_number", f"{where}：OBS_VALUE 不是数值")) from exc
        if (element.min_value is not None and value < element.min_value) or (
            element.max_value is not None and value > element.max_value
        ):
            raise Refused(_problem("sdmx_out_of_range", f"{where}：{element.name} 的值 {value} 超出目录允许的范围"))
        values.append(
            {
                "submission_id": submission_id,
                "form_code": FORM_CODE,
                "department_code": claim["department_code"],
                "region_code": area,
                "period": period.code,
                "period_type": period.period_type,
                "element_code": element.code,
                "value": value,
                "raw_text": row["OBS_VALUE"][:200],
                "sheet": file_name,
                "cell": f"第{line_no}行",
                "file_sha256": sha,
                "received_at": received_at,
                "is_sample": row.get("SAMPLE_FLAG") == "1",
            }
        )
    if not values:
        raise Refused(_problem("sdmx_empty", "数据元 SDMX 数据中没有任何观测值"))
    return values


def _department(catalogue: Catalogue, region: str) -> str:
    """The office that reports for the region: its IP office in the catalogue, else the region itself."""
    for d in catalogue.rows("departments"):
        if d["region_code"] == region and d["department_kind"] == "ip_office":
            return d["department_code"]
    return region


def _ancestors(code: str, regions: dict[str, dict[str, str]]) -> list[str]:
    out, seen = [], set()
    while code and code in regions and code not in seen:
        seen.add(code)
        out.append(code)
        code = regions[code]["parent_code"]
    return out


def _problem(code: str, message: str, fix: str = "请下级单位核对后重新报送") -> Problem:
    return error(f"upstream_{code}", message, fix)
