"""Intake under damage and crashes: one damaged file is that file's rejection, a crash loses no receipt,
and nothing but a regular file is ever read from the inbox."""

from __future__ import annotations

import os
import struct
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from core.settings import Settings
from sources.catalogue import Catalogue
from sources.intake import pipeline
from sources.intake.pipeline import inbox_files, ingest
from tests.form_files import CREATION_VALUES, blank_form, fill

TODAY = date(2026, 11, 21)
DROPPED = 1_793_000_000  # 2026-10-26: a pinned drop time, so received times (and ids) are reproducible


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    s = Settings(home=tmp_path / "var", warehouse=tmp_path / "var" / "warehouse.duckdb", today_override=TODAY)
    s.ensure_dirs()
    monkeypatch.setenv("IPWH_HOME", str(s.home))
    monkeypatch.setenv("IPWH_TODAY", TODAY.isoformat())
    monkeypatch.delenv("IPWH_WAREHOUSE", raising=False)
    return s


@pytest.fixture(scope="module")
def good_form(catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("forms")
    return fill(blank_form(catalogue, folder), folder / "gulou.xlsx", CREATION_VALUES).read_bytes()


@pytest.fixture(scope="module")
def other_department_form(catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("forms-taijiang")
    blank = blank_form(catalogue, folder, region="350103")
    return fill(blank, folder / "taijiang.xlsx", CREATION_VALUES).read_bytes()


def drop(folder: Path, name: str, data: bytes, at: int = DROPPED) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    os.utime(path, (at, at))
    return path


def table(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def damaged_copies(data: bytes) -> dict[str, bytes]:
    """Byte flips at the start, middle and end of every zip member's stored data, plus truncations."""
    out: dict[str, bytes] = {}
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as archive:
        members = archive.infolist()
    for number, info in enumerate(members):
        name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
        start = info.header_offset + 30 + name_len + extra_len
        for where, offset in (("a", 0), ("m", info.compress_size // 2), ("z", info.compress_size - 1)):
            flipped = bytearray(data)
            flipped[start + max(offset, 0)] ^= 0x5A
            out[f"flip-{number:02d}{where}.xlsx"] = bytes(flipped)
    for fraction in (0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 0.99):
        out[f"cut-{int(fraction * 100):02d}.xlsx"] = data[: int(len(data) * fraction)]
    return out


# --- one damaged file is that file's rejection ----------------------------------------------------------


def test_damaged_workbooks_are_each_refused_and_other_departments_files_go_through(
    settings, catalogue, good_form, other_department_form
):
    corpus = damaged_copies(good_form)
    assert len(corpus) >= 30
    gulou = settings.inbox / "350102.amr"
    for name, data in corpus.items():
        drop(gulou, name, data)
    drop(settings.inbox / "350103.amr", "台江_2026-10.xlsx", other_department_form, DROPPED + 60)
    outcomes = ingest(inbox_files(settings), settings, catalogue, actor="test")
    by_name = {o.path.name: o for o in outcomes}
    assert len(outcomes) == len(corpus) + 1
    assert by_name["台江_2026-10.xlsx"].status == "accepted"
    for name in corpus:
        outcome = by_name[name]
        assert outcome.status in ("accepted", "rejected", "duplicate"), name
        assert outcome.receipt_path is not None and outcome.receipt_path.exists(), name
    rejected = [o for o in outcomes if o.status == "rejected"]
    assert len(rejected) >= len(corpus) // 2
    for outcome in rejected:
        assert "未接收（退回）" in outcome.receipt_path.read_text(encoding="utf-8")
    # A flipped byte in the data sheet's XML fails its CRC-32: the crash of the report, now a receipt.
    assert any(p.code == "corrupt_file" for o in rejected for p in o.receipt.problems)
    assert list(settings.inbox.rglob("*.xlsx")) == []
    log = (settings.alerts / "failures.log").read_text(encoding="utf-8")
    assert "接收文件时读取出错" in log and "BadZipFile" in log


def test_a_file_whose_reading_raises_unexpectedly_is_refused_logged_and_judged_again_when_resent(
    settings, catalogue, good_form, monkeypatch
):
    def broken(_data: bytes, _name: str = ""):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(pipeline, "read_form", broken)
    (outcome,) = ingest(
        [pipeline.Incoming(drop(settings.inbox / "350102.amr", "f.xlsx", good_form), "350102.amr")],
        settings,
        catalogue,
        actor="test",
    )
    assert outcome.status == "rejected" and [p.code for p in outcome.receipt.problems] == ["intake_error"]
    assert "RuntimeError" in (settings.alerts / "failures.log").read_text(encoding="utf-8")
    monkeypatch.undo()
    monkeypatch.setenv("IPWH_HOME", str(settings.home))
    (again,) = ingest(
        [pipeline.Incoming(settings.inbox / "350102.amr" / "f.xlsx", "350102.amr")], settings, catalogue, actor="test"
    )
    assert again.status == "accepted", again.receipt.problems


# --- links and special files ------------------------------------------------------------------------------


def test_links_and_special_files_in_the_inbox_are_refused_unread_and_nothing_is_archived(
    settings, catalogue, good_form, tmp_path
):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    drop(elsewhere, "form.xlsx", good_form)
    gulou = settings.inbox / "350102.amr"
    gulou.mkdir(parents=True)
    (gulou / "passwd.xlsx").symlink_to(secret)
    (gulou / "folder-link").symlink_to(elsewhere, target_is_directory=True)
    (gulou / "dangling.xlsx").symlink_to(tmp_path / "missing.xlsx")
    os.mkfifo(gulou / "pipe.xlsx")
    outcomes = ingest(inbox_files(settings), settings, catalogue, actor="test")
    assert sorted(o.path.name for o in outcomes) == ["dangling.xlsx", "folder-link", "passwd.xlsx", "pipe.xlsx"]
    for outcome in outcomes:
        assert outcome.status == "rejected"
        text = outcome.receipt_path.read_text(encoding="utf-8")
        assert ("链接" in text or "不是普通文件" in text) and "未归档" in text
        assert outcome.receipt_path.parent == settings.receipts / "350102.amr"
    assert len({o.receipt_path for o in outcomes}) == 4
    assert [p for p in settings.archive.rglob("*") if p.is_file()] == []
    assert not settings.warehouse.exists() or table(settings, "select count(*) from raw.submissions") == [(0,)]
    assert secret.read_text(encoding="utf-8").startswith("root") and (elsewhere / "form.xlsx").exists()
    assert list(gulou.iterdir()) == []  # the links left the inbox; what they pointed at is untouched


# --- receipts survive a crash ------------------------------------------------------------------------------


def _three_departments(settings: Settings, good_form: bytes, other: bytes, catalogue: Catalogue, tmp_path: Path):
    gulou = settings.inbox / "350102.amr"
    drop(gulou, "v1.xlsx", good_form)
    v2 = fill(blank_form(catalogue, tmp_path), tmp_path / "v2.xlsx", dict(CREATION_VALUES, patent_grants_design=140))
    drop(gulou, "v2.xlsx", v2.read_bytes(), DROPPED + 60)  # rejected: grants by type no longer add up
    drop(gulou, "v3.xlsx", good_form[:-10] + good_form[-10:], DROPPED + 120)  # the same bytes: duplicate
    drop(settings.inbox / "350103.amr", "t.xlsx", other, DROPPED + 180)
    drop(settings.inbox / "350103.amr", "junk.xlsx", b"not a workbook", DROPPED + 240)


def _receipts(settings: Settings) -> dict[str, bytes]:
    return {str(p.relative_to(settings.receipts)): p.read_bytes() for p in settings.receipts.rglob("*.txt")}


def test_receipts_written_after_the_commit_are_the_ones_derived_from_the_rows(
    settings, catalogue, good_form, other_department_form, tmp_path
):
    from sources.intake.receipt_rows import missing_receipts, restore_receipts

    _three_departments(settings, good_form, other_department_form, catalogue, tmp_path)
    ingest(inbox_files(settings), settings, catalogue, actor="test")
    written = {k: v for k, v in _receipts(settings).items() if "dup-" not in k}
    assert len(written) == 4
    for path in settings.receipts.rglob("*"):
        if path.is_file() and "dup-" not in path.name:
            path.unlink()
    with duckdb.connect(str(settings.warehouse)) as con:
        assert len(missing_receipts(con, settings.receipts)) == 4
        restore_receipts(con, settings.receipts, catalogue)
        assert missing_receipts(con, settings.receipts) == []
    assert {k: v for k, v in _receipts(settings).items() if "dup-" not in k} == written


def test_a_crash_after_the_commit_loses_no_receipt_and_the_rerun_equals_an_uninterrupted_run(
    settings, catalogue, good_form, other_department_form, tmp_path, monkeypatch
):
    _three_departments(settings, good_form, other_department_form, catalogue, tmp_path)
    reference_home = tmp_path / "reference"
    reference = Settings(home=reference_home, warehouse=reference_home / "warehouse.duckdb", today_override=TODAY)
    reference.ensure_dirs()
    for path in settings.inbox.rglob("*.xlsx"):
        target = reference.inbox / path.relative_to(settings.inbox)
        drop(target.parent, target.name, path.read_bytes(), int(path.stat().st_mtime))
    expected = [(o.path.name, o.status) for o in ingest(inbox_files(reference), reference, catalogue, actor="t")]

    written = []
    real_write = pipeline.write_receipt

    def crash_after_two(receipt, folder):
        if len(written) == 2:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / ".receipt-999999999-left").write_bytes(b"half a receipt")  # as a killed writer leaves it
            raise KeyboardInterrupt  # the process dies here, after the commit
        written.append(receipt)
        return real_write(receipt, folder)

    monkeypatch.setattr(pipeline, "write_receipt", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        ingest(inbox_files(settings), settings, catalogue, actor="t")
    monkeypatch.setattr(pipeline, "write_receipt", real_write)
    assert table(settings, "select count(*) from raw.submissions") == [(4,)]  # committed, receipts missing
    assert len(list(settings.inbox.rglob("*.xlsx"))) == 5

    # `ipwh receipt <id>` answers for a committed submission whose receipt the crash lost.
    from orchestration.cli import app

    sid = table(settings, "select submission_id from raw.submissions where department_code = '350103.amr'")[0][0]
    shown = CliRunner().invoke(app, ["receipt", sid])
    assert shown.exit_code == 0 and sid in shown.output and "已接收" in shown.output

    again = ingest(inbox_files(settings), settings, catalogue, actor="t")
    assert [(o.path.name, o.status) for o in again] == expected
    assert _receipts(settings) == _receipts(reference)
    assert list(settings.receipts.rglob(".receipt-*")) == []
    assert list(settings.inbox.rglob("*.xlsx")) == []
    dumps = []
    for s in (settings, reference):
        dumps.append(
            [
                table(s, f"select * exclude (archive_path) from raw.{t} order by all")
                if t == "submissions"
                else table(s, f"select * from raw.{t} order by all")
                for t in ("submissions", "submission_values", "submission_problems", "submission_events")
            ]
        )
    assert dumps[0] == dumps[1]
    # The duplicate's receipt names a submission whose receipt exists.
    for text in (v.decode("utf-8") for k, v in _receipts(settings).items() if "dup-" in k):
        named = text.split("回执编号 ")[1].split("，")[0]
        assert list(settings.receipts.glob(f"*/{named}.txt"))


def test_temporaries_of_a_dead_writer_are_swept_and_a_live_writers_kept(settings, catalogue, good_form):
    folder = settings.receipts / "350102.amr"
    folder.mkdir(parents=True)
    dead = folder / ".receipt-999999999-abc"
    live = folder / f".receipt-{os.getppid()}-def"
    (settings.archive / "ab").mkdir(parents=True)
    incoming = settings.archive / "ab" / ".incoming-999999999-xyz"
    for path in (dead, live, incoming):
        path.write_bytes(b"partial")
    ingest(
        [pipeline.Incoming(drop(settings.inbox / "350102.amr", "f.xlsx", good_form), "350102.amr")],
        settings,
        catalogue,
        actor="test",
    )
    assert not dead.exists() and not incoming.exists() and live.exists()
