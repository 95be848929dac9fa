"""The DataFrames the checks read from DuckDB (GE's SQL datasource does not work on DuckDB today).

Every frame carries `period_code` and `period_end` where the data have a period, so each failing
row can be placed in (or out of) the current window and in the scope of a return.
"""

from __future__ import annotations

import duckdb
import pandas as pd

MARTS = (
    "fct_element_values",
    "fct_indicator_values",
    "fct_target_progress",
    "fct_submission_completeness",
    "fct_submission_completeness_summary",
)


def form_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every figure of every accepted submission (all versions), as the forms' suites check them."""
    return con.execute(
        """
        select v.submission_id, v.version, v.form_code, v.department_code, v.region_code, v.period_code,
               v.period_type, v.element_code, cast(v.value as double) as value,
               cast(v.value - floor(v.value) as double) as value_fraction,
               v.sheet, v.cell, p.period_end
        from staging.stg_raw__submission_values as v
        inner join staging.stg_raw__submissions as s using (submission_id)
        left join intermediate.int_periods as p on p.period_code = v.period_code
        where s.is_accepted
        """
    ).df()


def current_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The figure in force per form × department × period × element, with the element's aggregation."""
    return con.execute(
        """
        select l.form_code, l.department_code, l.region_code, l.period_code, l.period_type, l.element_code,
               cast(l.value as double) as value, l.submission_id, l.version, l.cell,
               de.aggregation, de.unit_code, p.period_end
        from intermediate.int_submission_values__latest as l
        inner join catalogue.data_elements as de using (element_code)
        inner join intermediate.int_periods as p on p.period_code = l.period_code
        where l.form_source_kind = 'department'
        """
    ).df()


def superseded_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Figures of accepted versions that a later version replaced (for the outlier rule's notes)."""
    return con.execute(
        """
        select v.form_code, v.department_code, v.period_code, v.element_code, v.version, v.submission_id,
               cast(v.value as double) as value
        from staging.stg_raw__submission_values as v
        inner join staging.stg_raw__submissions as s using (submission_id)
        inner join intermediate.int_submission_values__latest as l
            on l.form_code = v.form_code and l.department_code = v.department_code
            and l.period_code = v.period_code and l.element_code = v.element_code
        where s.is_accepted and v.version < l.version
        """
    ).df()


def mart(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    if name not in MARTS:
        raise ValueError(f"unknown mart {name}")
    frame = con.execute(f"select * from marts.{name}").df()
    if name == "fct_element_values":
        fraction = frame["value"] % 1
        frame["value_fraction"] = fraction.where(fraction < 0.5, 1 - fraction).round(6)
    return frame


def completeness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        """
        select * from marts.fct_submission_completeness where is_expected
        """
    ).df()
