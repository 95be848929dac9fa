"""Printing workbooks the way an official does: LibreOffice to PDF, then the PDF's text and word boxes.

Tests that need LibreOffice call `require_soffice()`: without it they are skipped on a developer's
machine and fail under CI (CI=true), where `make test` installs it (Makefile target print-tools).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from reports.render_pdf import render_pdf

_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def require_soffice(pdf: bool = True) -> None:
    missing = [tool for tool in ("soffice", "pdftotext" if pdf else "soffice") if shutil.which(tool) is None]
    if not missing:
        return
    packages = "libreoffice-calc-nogui fonts-noto-cjk poppler-utils"
    message = f"打印版式检查需要 {'、'.join(missing)}（apt-get install {packages}）"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + "：CI 中必须安装（make print-tools）")
    pytest.skip(message)


def save_as(files: list[Path], target: str, out: Path, profile: Path) -> list[Path]:
    """Open each file in LibreOffice and save it as `target` (xls, ods, xlsx …) into `out`, as a clerk's
    "另存为" would; one soffice start for all files. `profile` is reused, so later calls start faster."""
    require_soffice(pdf=False)
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    saved = [out / f"{f.stem}.{target}" for f in files]
    missing = [p.name for p in saved if not p.exists()]
    assert not missing, f"LibreOffice did not write {missing}"
    return saved


def to_pdf(xlsx: Path, out: Path) -> Path:
    require_soffice()
    return render_pdf(xlsx, out, png=False)[0]


def page_texts(pdf: Path) -> list[str]:
    """The text of each page, laid out as printed."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, timeout=120
    ).stdout.decode("utf-8")
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


@dataclass(frozen=True)
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def page_words(pdf: Path) -> list[list[Word]]:
    """Every word on every page with its box (points from the top-left corner)."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, timeout=120
    ).stdout.decode("utf-8")
    return [
        [Word(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in _WORD.findall(page)]
        for page in html.split("<page")[1:]
    ]


def overlapping_words(words: list[Word], share: float = 0.3) -> list[tuple[Word, Word]]:
    """Pairs of words printed over each other: their boxes overlap across and by more than `share` of
    the lower box's height (the lines of one wrapped cell touch by a fraction of a point, no more)."""
    found = []
    ordered = sorted(words, key=lambda w: w.y0)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b.y0 >= a.y1:
                break
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            if dx > 0.5 and dy > share * min(a.y1 - a.y0, b.y1 - b.y0):
                found.append((a, b))
    return found


NOTE_LINE = re.compile(r"^\d+\. \S")  # "4. 第4栏为…": a numbered 说明, never a return's data row


def header_pages_without_rows(
    pages: list[str], code_row: str = "甲", after: tuple[str, ...] = (), after_pattern: re.Pattern[str] | None = None
) -> list[int]:
    """1-based pages where the code row (甲 乙 丙 …) is followed directly by one of `after` (the
    signature block, 说明 or 填报说明) or a line matching `after_pattern`: the header over no rows."""
    bad = []
    for number, page in enumerate(pages, start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        for i, line in enumerate(lines[:-1]):
            following = lines[i + 1]
            if line.split()[0] == code_row and (
                following.startswith(after) or (after_pattern is not None and after_pattern.match(following))
            ):
                bad.append(number)
    return bad
