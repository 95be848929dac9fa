"""Render a built return to PDF with LibreOffice (and its first page to PNG when pdftoppm is present).

    .venv/bin/python -m reports.render_pdf var/outbox/2026-10/v1/r1_fz14_monitoring_2026-10.xlsx [--out DIR]

Needs `soffice` (apt: libreoffice-calc; fonts-noto-cjk for the Chinese text). It is a check of how
the print setup looks on paper, not part of a build; the PDF goes to a separate folder, never into
the outbox version that is submitted.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


class RenderUnavailable(Exception):
    """LibreOffice (soffice) is not installed."""


def render_pdf(xlsx: Path, out_dir: Path, *, png: bool = True, timeout: int = 180) -> list[Path]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RenderUnavailable(
            "未找到 soffice：请安装 LibreOffice（apt-get install libreoffice-calc fonts-noto-cjk）。"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ipwh-lo-") as profile:
        # A private profile: no clash with a LibreOffice already running, nothing left in $HOME.
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                str(xlsx),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    pdf = out_dir / f"{xlsx.stem}.pdf"
    made = [pdf]
    if png and shutil.which("pdftoppm"):
        prefix = out_dir / xlsx.stem
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "2", str(pdf), str(prefix)],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        made += sorted(out_dir.glob(f"{xlsx.stem}-*.png"))
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="把已生成的报表转为 PDF（LibreOffice），并把第一页转为 PNG。")
    parser.add_argument("xlsx", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="输出文件夹（默认：<xlsx 所在目录>/../pdf）")
    args = parser.parse_args(argv)
    out = args.out or args.xlsx.parent.parent / "pdf"
    try:
        for path in render_pdf(args.xlsx, out):
            print(path)
    except RenderUnavailable as exc:
        print(exc, file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"LibreOffice 转换失败：{exc.stderr.decode(errors='replace')}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
