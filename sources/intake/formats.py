"""What kind of file a department sent, from its bytes first and its name only where bytes cannot tell.

Departments fill the template in Excel, WPS or LibreOffice and save it in whatever their software
offers first: .xlsx, .xlsm, .xlsb, the Excel 97-2003 .xls, or OpenDocument .ods. All of these carry
the template's hidden metadata sheet and are read alike. Formats that cannot (WPS's own .et, Apple
Numbers, Word/PowerPoint files, PDF) are named in the refusal so the clerk knows what to change.
"""

from __future__ import annotations

import io
import zipfile

import olefile

# Spreadsheet formats read as workbooks, with the name a clerk knows them by.
WORKBOOK_FORMATS = {
    "xlsx": "Excel 工作簿（.xlsx）",
    "xlsm": "Excel 启用宏的工作簿（.xlsm）",
    "xlsb": "Excel 二进制工作簿（.xlsb）",
    "xls": "Excel 97-2003 工作簿（.xls）",
    "ods": "OpenDocument 电子表格（.ods）",
}
# Formats refused with their name (the zip/OLE container alone does not make a spreadsheet we can read).
FOREIGN_FORMATS = {
    "et": "WPS 表格专有格式（.et/.ett）",
    "numbers": "Apple Numbers 表格（.numbers）",
    "docx": "Word 文档（.docx）",
    "doc": "Word 97-2003 文档（.doc）",
    "pptx": "PowerPoint 演示文稿（.pptx）",
    "ppt": "PowerPoint 97-2003 演示文稿（.ppt）",
    "odf": "OpenDocument 文本或演示文稿（不是电子表格）",
    "zip": "压缩包（.zip），不是电子表格",
    "ole": "Office 97-2003 复合文档，但不是 Excel 工作簿",
}
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_ODF_MIME = b"application/vnd.oasis.opendocument."


def suffix_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def zip_format(archive: zipfile.ZipFile, name: str = "") -> str:
    """The format of a zip container: xlsx, xlsm, xlsb, ods, or a foreign format's key."""
    names = set(archive.namelist())
    if "xl/workbook.xml" in names:
        macro = "xl/vbaProject.bin" in names or suffix_of(name) == "xlsm"
        return "xlsm" if macro else "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "mimetype" in names:
        try:
            mime = archive.read("mimetype")[:100].strip()
        except (KeyError, zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
            mime = b""
        if mime == _ODS_MIME or mime == _ODS_MIME + b"-template":
            return "ods"
        if mime.startswith(_ODF_MIME):
            return "odf"
    if any(n.startswith("Index/") or n == "Index.zip" for n in names) or suffix_of(name) == "numbers":
        return "numbers"
    if "word/document.xml" in names:
        return "docx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    return "zip"


def ole_format(data: bytes, name: str = "") -> str:
    """The format of an OLE compound file: xls, et, encrypted (a password-protected OOXML), doc, ppt."""
    if suffix_of(name) in ("et", "ett"):
        return "et"  # WPS saves .et in an OLE container that other software does not read as a form
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        streams = {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=False)}
        ole.close()
    except (OSError, ValueError, IndexError, TypeError, AttributeError) as exc:
        raise BrokenContainer(str(exc)) from exc
    if "encryptedpackage" in streams:
        return "encrypted"
    if "workbook" in streams or "book" in streams:
        return "xls"
    if "worddocument" in streams:
        return "doc"
    if "powerpoint document" in streams:
        return "ppt"
    return "ole"


class BrokenContainer(Exception):
    """The container (zip or OLE) itself is damaged."""
