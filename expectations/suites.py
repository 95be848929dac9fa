"""Great Expectations 1.x suites generated from the catalogue, and their validation on DataFrames.

One suite per form's accepted data and one per mart a return reads. Codes (elements, regions,
departments, units, forms, indicators, targets), ranges, integer-ness and required items all come
from the catalogue files. great_expectations is imported only inside these functions (~2.5 s).
"""

from __future__ import annotations

import os
import warnings
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sources.catalogue import Catalogue

PERIOD_PATTERNS = {"month": r"^\d{4}-(?:0[1-9]|1[0-2])$", "quarter": r"^\d{4}Q[1-4]$", "year": r"^\d{4}$"}
# The vocabularies the marts promise (their dbt models define them; the suites hold them to it).
TARGET_STATUSES = ("已完成", "未完成", "滞后", "进度正常", "需加快", "数据不足")
SUBMISSION_STATUSES = ("按时", "逾期", "未到期", "缺报（已退回）", "缺报")
VALUE_SOURCES = ("reported", "children", "records", "bulletin")
# Columns that identify a failing row, per frame (what `unexpected_index_column_names` returns).
ROW_KEYS = {
    "form_values": ["submission_id", "form_code", "department_code", "region_code", "period_code", "element_code"],
    "fct_element_values": ["element_code", "region_code", "period_code"],
    "fct_indicator_values": ["indicator_code", "region_code", "period_code"],
    "fct_target_progress": ["target_code", "plan_code", "region_code"],
    "fct_submission_completeness": ["form_code", "department_code", "region_code", "period_code"],
    "fct_submission_completeness_summary": ["form_code", "region_code", "period_code"],
}


# The frames whose suites may be validated period by period (expectations/ge_cache.py): every
# expectation judges a row on its own, or asks for uniqueness within a key that fixes the period
# (a submission has one period), so a period's failures depend on that period's rows alone.
PARTITION_COLUMN = "period_code"
PARTITIONED = frozenset(
    {
        "form_values",
        "fct_element_values",
        "fct_indicator_values",
        "fct_submission_completeness",
        "fct_submission_completeness_summary",
    }
)


@dataclass(frozen=True)
class ExpectationFailure:
    suite: str
    expectation: str  # e.g. expect_column_values_to_be_between(value; element_code in [...])
    column: str | None
    rows: list[dict[str, Any]]  # the failing rows' key columns (and the value)
    unexpected_count: int
    error: str | None = None  # the expectation raised instead of answering


def _elements_by_range(catalogue: Catalogue, codes: set[str]) -> dict[tuple[float | None, float | None], list[str]]:
    groups: dict[tuple[float | None, float | None], list[str]] = defaultdict(list)
    for code in sorted(codes):
        element = catalogue.elements[code]
        low = float(element.min_value) if element.min_value is not None else None
        high = float(element.max_value) if element.max_value is not None else None
        if low is not None or high is not None:
            groups[(low, high)].append(code)
    return groups


def _in(column: str, codes: list[str]) -> str:
    return f"{column} in {sorted(codes)!r}"


def _value_expectations(gxe: Any, catalogue: Catalogue, codes: set[str]) -> list[Any]:
    """Ranges and whole numbers for the given elements' `value` column (conditional on element_code)."""
    out = []
    for (low, high), group in _elements_by_range(catalogue, codes).items():
        out.append(
            gxe.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=low,
                max_value=high,
                row_condition=_in("element_code", group),
                condition_parser="pandas",
            )
        )
    integers = [c for c in sorted(codes) if catalogue.elements[c].value_type == "integer"]
    if integers:
        out.append(
            gxe.ExpectColumnValuesToBeBetween(
                column="value_fraction",
                min_value=0,
                max_value=0,
                row_condition=_in("element_code", integers),
                condition_parser="pandas",
            )
        )
    return out


def _quiet_string_conditions() -> None:
    """GX 1.9+ deprecates string row conditions (supported throughout 1.x); keep test and run logs readable."""
    warnings.filterwarnings("ignore", message=".*(condition_parser|row_condition).*", category=DeprecationWarning)


def form_suite_expectations(catalogue: Catalogue, form_code: str) -> list[Any]:
    import great_expectations.expectations as gxe

    _quiet_string_conditions()

    form = next(f for f in catalogue.rows("forms") if f["form_code"] == form_code)
    rows = [r for r in catalogue.rows("form_elements") if r["form_code"] == form_code]
    elements = {r["element_code"] for r in rows}
    required = sorted(r["element_code"] for r in rows if r["is_required"] == "true")
    departments = sorted(
        d["department_code"] for d in catalogue.rows("departments") if d["department_kind"] == form["department_kind"]
    )
    out = [
        gxe.ExpectColumnValuesToBeInSet(column="element_code", value_set=sorted(elements)),
        gxe.ExpectColumnValuesToBeInSet(column="department_code", value_set=departments),
        gxe.ExpectColumnValuesToBeInSet(
            column="region_code", value_set=sorted(catalogue.codes("regions", "region_code"))
        ),
        gxe.ExpectColumnValuesToBeInSet(column="period_type", value_set=[form["period_type"]]),
        gxe.ExpectColumnValuesToMatchRegex(column="period_code", regex=PERIOD_PATTERNS[form["period_type"]]),
        gxe.ExpectColumnValuesToBeBetween(column="version", min_value=1),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["submission_id", "element_code"]),
    ]
    for column in ("submission_id", "department_code", "region_code", "period_code", "element_code"):
        out.append(gxe.ExpectColumnValuesToNotBeNull(column=column))
    if required:
        out.append(
            gxe.ExpectColumnValuesToNotBeNull(
                column="value", row_condition=_in("element_code", required), condition_parser="pandas"
            )
        )
    return out + _value_expectations(gxe, catalogue, elements)


def mart_suite_expectations(catalogue: Catalogue, mart: str) -> list[Any]:
    import great_expectations.expectations as gxe

    _quiet_string_conditions()

    regions = sorted(catalogue.codes("regions", "region_code"))
    units = sorted(catalogue.units)
    in_set = gxe.ExpectColumnValuesToBeInSet
    not_null = gxe.ExpectColumnValuesToNotBeNull
    if mart == "fct_element_values":
        elements = set(catalogue.elements)
        pairs = sorted({(c, e.unit_code) for c, e in catalogue.elements.items()})
        return [
            not_null(column="element_code"),
            not_null(column="region_code"),
            not_null(column="period_code"),
            in_set(column="element_code", value_set=sorted(elements)),
            in_set(column="region_code", value_set=regions),
            in_set(column="period_type", value_set=list(PERIOD_PATTERNS)),
            in_set(column="unit_code", value_set=units),
            gxe.ExpectColumnPairValuesToBeInSet(
                column_A="element_code", column_B="unit_code", value_pairs_set=[list(p) for p in pairs]
            ),
            in_set(column="value_source", value_set=list(VALUE_SOURCES)),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["element_code", "region_code", "period_code"]),
            *_value_expectations(gxe, catalogue, elements),
        ]
    if mart == "fct_indicator_values":
        return [
            not_null(column="indicator_code"),
            not_null(column="region_code"),
            not_null(column="period_code"),
            in_set(column="indicator_code", value_set=sorted(catalogue.codes("indicators", "indicator_code"))),
            in_set(column="region_code", value_set=regions),
            in_set(column="period_type", value_set=list(PERIOD_PATTERNS)),
            in_set(column="unit_code", value_set=units),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["indicator_code", "region_code", "period_code"]),
        ]
    if mart == "fct_target_progress":
        return [
            not_null(column="target_code"),
            not_null(column="status"),
            in_set(column="target_code", value_set=sorted(catalogue.codes("plan_targets", "target_code"))),
            in_set(column="plan_code", value_set=sorted(catalogue.plans)),
            in_set(column="indicator_code", value_set=sorted(catalogue.codes("indicators", "indicator_code"))),
            in_set(column="target_unit_code", value_set=units),
            in_set(column="status", value_set=list(TARGET_STATUSES)),
            gxe.ExpectColumnValuesToBeUnique(column="target_code"),
        ]
    if mart == "fct_submission_completeness":
        return [
            not_null(column="form_code"),
            not_null(column="department_code"),
            not_null(column="period_code"),
            in_set(column="form_code", value_set=sorted(catalogue.codes("forms", "form_code"))),
            in_set(column="department_code", value_set=sorted(catalogue.codes("departments", "department_code"))),
            in_set(column="region_code", value_set=regions),
            in_set(column="submission_status", value_set=list(SUBMISSION_STATUSES)),
            gxe.ExpectColumnValuesToBeBetween(column="files_received", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="files_accepted", min_value=0),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["form_code", "department_code", "period_code"]),
        ]
    if mart == "fct_submission_completeness_summary":
        return [
            not_null(column="form_code"),
            not_null(column="region_code"),
            not_null(column="period_code"),
            in_set(column="form_code", value_set=sorted(catalogue.codes("forms", "form_code"))),
            in_set(column="region_code", value_set=regions),
            gxe.ExpectColumnValuesToBeBetween(column="completeness_pct", min_value=0, max_value=100),
            gxe.ExpectColumnValuesToBeBetween(column="timeliness_pct", min_value=0, max_value=100),
            gxe.ExpectColumnValuesToBeBetween(column="expected", min_value=0),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["form_code", "region_code", "period_code"]),
        ]
    raise ValueError(f"no suite for mart {mart}")


class Validator:
    """One ephemeral GE context per check run: pandas datasource, one dataframe asset per frame."""

    def __init__(self) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.datasource = self.context.data_sources.add_pandas("warehouse")

    def validate(
        self, suite_name: str, expectations: list[Any], frame: pd.DataFrame, key_columns: list[str], max_rows: int
    ) -> tuple[int, list[ExpectationFailure]]:
        """Validate `frame`; returns the number of expectations and the failed ones with their rows."""
        count, found = self.validate_indexed(suite_name, expectations, frame, key_columns, max_rows)
        return count, [failure for _, failure in found]

    def validate_indexed(
        self, suite_name: str, expectations: list[Any], frame: pd.DataFrame, key_columns: list[str], max_rows: int
    ) -> tuple[int, list[tuple[int, ExpectationFailure]]]:
        """As `validate`, each failure with its place in the suite."""
        suite = self.context.suites.add(self._gx.ExpectationSuite(name=suite_name))
        for expectation in expectations:
            suite.add_expectation(expectation)
        asset = self.datasource.add_dataframe_asset(name=suite_name)
        batch = asset.add_batch_definition_whole_dataframe(f"{suite_name}_all").get_batch(
            batch_parameters={"dataframe": frame}
        )
        keys = [c for c in key_columns if c in frame.columns]
        with warnings.catch_warnings():
            # GX 1.9+ deprecates string row conditions (still supported in 1.x) and warns on regex groups.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            result = self._validate(batch, suite, keys, max_rows)
        return len(result.results), self._failures(suite_name, result, max_rows)

    @staticmethod
    def _validate(batch: Any, suite: Any, keys: list[str], max_rows: int) -> Any:
        return batch.validate(
            suite,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": keys,
                "partial_unexpected_count": max_rows,
            },
        )

    @staticmethod
    def _failures(suite_name: str, result: Any, max_rows: int) -> list[tuple[int, ExpectationFailure]]:
        failures: list[tuple[int, ExpectationFailure]] = []
        for index, item in enumerate(result.results):
            if item.success:
                continue
            config = item.expectation_config
            kwargs = dict(config.kwargs)
            column = kwargs.get("column") or kwargs.get("column_A")
            label = _label(config.type, kwargs)
            info = item.exception_info or {}
            if info.get("raised_exception"):
                failures.append(
                    (index, ExpectationFailure(suite_name, label, column, [], 0, str(info.get("exception_message"))))
                )
                continue
            details = item.result or {}
            rows = list(details.get("unexpected_index_list") or [])[:max_rows]
            count = int(details.get("unexpected_count") or len(rows) or 1)
            failures.append((index, ExpectationFailure(suite_name, label, column, [dict(r) for r in rows], count)))
        return failures


def _label(kind: str, kwargs: dict[str, Any]) -> str:
    column = (
        kwargs.get("column")
        or ",".join(kwargs.get("column_list") or [])
        or (f"{kwargs.get('column_A')},{kwargs.get('column_B')}" if kwargs.get("column_A") else "")
    )
    condition = kwargs.get("row_condition")
    if isinstance(condition, dict):
        condition = condition.get("pass_through_filter")
    bounds = ""
    if "min_value" in kwargs or "max_value" in kwargs:
        bounds = f" [{kwargs.get('min_value')}, {kwargs.get('max_value')}]"
    where = f"; {str(condition)[:80]}" if condition else ""
    return f"{kind}({column}{bounds}{where})"
