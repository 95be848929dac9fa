"""What every rule receives: the warehouse connection, the catalogue, the day judged as "now",
and the frames read once per run (lazily, so a rule that is not run reads nothing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from expectations import frames
from expectations.rules import window_start
from sources.catalogue import Catalogue


@dataclass
class CheckContext:
    con: duckdb.DuckDBPyConnection
    catalogue: Catalogue
    as_of: date
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    _validator: Any = None

    @property
    def window_start(self) -> date:
        return window_start(self.as_of)

    def in_window(self, period_end: object) -> bool:
        if period_end is None or pd.isna(period_end):
            return True
        end = pd.Timestamp(period_end).date()
        return self.window_start <= end <= self.as_of

    def frame(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            if name in frames.MARTS:
                self._frames[name] = frames.mart(self.con, name)
            else:
                self._frames[name] = getattr(frames, name)(self.con)
        return self._frames[name]

    @property
    def validator(self) -> Any:
        if self._validator is None:
            from expectations.suites import Validator

            self._validator = Validator()
        return self._validator

    def validate(
        self,
        suite_name: str,
        expectations: Callable[[], list[Any]],
        frame: pd.DataFrame,
        key_columns: list[str],
        max_rows: int,
        partition: str | None = None,
    ) -> tuple[int, list[Any]]:
        """A GE suite's answer on `frame`: remembered for the same data and suite (expectations/ge_cache.py),
        so `expectations` is built, and GE imported, only when the data changed. With `partition` (the
        period column of a suite that judges each period on its own rows), remembered period by period:
        only the periods whose rows changed are validated again."""
        from expectations.ge_cache import cached_validation, result_key, validation_by_period

        def whole() -> tuple[int, list[Any]]:
            key = result_key(self.catalogue.seeds_dir, suite_name, frame, key_columns, max_rows)
            return cached_validation(
                self.con,
                key,
                suite_name,
                lambda: self.validator.validate(suite_name, expectations(), frame, key_columns, max_rows),
            )

        if partition is None or partition not in frame.columns:
            return whole()
        return validation_by_period(
            self.con,
            self.catalogue.seeds_dir,
            suite_name,
            frame,
            key_columns,
            max_rows,
            partition,
            # every failing row, so each lands in its period; a fresh name, as GE keeps each suite once
            lambda subset, keys: self.validator.validate_indexed(
                f"{suite_name}_by_period", expectations(), subset, keys, len(subset)
            ),
            whole,
        )

    def responsible(self, region_code: str, element_code: str | None = None, kind: str | None = None) -> str | None:
        """The department of `region_code` that owns the element (or is of `kind`): who must fix it."""
        if kind is None and element_code is not None and element_code in self.catalogue.elements:
            kind = self.catalogue.elements[element_code].owner_kind
        for row in self.catalogue.rows("departments"):
            if row["region_code"] == region_code and row["department_kind"] == kind:
                return row["department_code"]
        return None

    def department_name(self, code: str | None) -> str:
        if not code:
            return "—"
        for row in self.catalogue.rows("departments"):
            if row["department_code"] == code:
                return row["short_name"] or row["department_name"]
        return code

    def region_name(self, code: str | None) -> str:
        for row in self.catalogue.rows("regions"):
            if row["region_code"] == code:
                return row["region_name"]
        return code or "—"

    def element_name(self, code: str | None) -> str:
        element = self.catalogue.elements.get(code or "")
        return element.name if element else (code or "—")


def in_window(period_code: str | None, as_of: date) -> bool:
    """Whether a period's end lies in the current window before `as_of` (no period: always)."""
    from sources.periods import Period

    if period_code is None:
        return True
    try:
        end = Period.parse(period_code).end
    except ValueError:
        return True
    return window_start(as_of) <= end <= as_of
