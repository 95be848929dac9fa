"""What intake found wrong with a file, phrased for the department that sent it."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"
_FOUND_LIMIT = 60  # a receipt quotes at most this many characters of what it found


@dataclass(frozen=True)
class Problem:
    severity: str  # error rejects the file; warning is reported but the file is accepted
    code: str  # machine-readable kind, e.g. not_a_number
    message: str  # what is wrong (Chinese)
    fix: str  # how to fix it (Chinese)
    sheet: str | None = None
    cell: str | None = None
    element_code: str | None = None
    found: str | None = None

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or self.cell or "整个文件"


def quote(value: object) -> str:
    """A short, single-line rendering of what a cell held, for receipts."""
    text = "" if value is None else str(value)
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    if len(text) > _FOUND_LIMIT:
        return f"{text[:_FOUND_LIMIT]}…（共 {len(text)} 字）"
    return text


def error(code: str, message: str, fix: str, **where: str | None) -> Problem:
    return Problem(ERROR, code, message, fix, **where)


def warning(code: str, message: str, fix: str, **where: str | None) -> Problem:
    return Problem(WARNING, code, message, fix, **where)


def problem_row(submission_id: str, sha: str, p: Problem) -> dict[str, object]:
    """One problem as a row of raw.submission_problems (forms and upstream packages alike)."""
    return {
        "submission_id": submission_id,
        "file_sha256": sha,
        "severity": p.severity,
        "problem_code": p.code,
        "sheet": p.sheet,
        "cell": p.cell,
        "element_code": p.element_code,
        "found": p.found,
        "message": p.message,
        "fix": p.fix,
    }
