"""Helpers for the returns tests (no tests here): a private copy of the sample warehouse, gate states
written with expectations.results, and hand-made task-progress and industry-centre marts."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from expectations.explain import failure_digests
from expectations.results import CheckOutcome, Failure, ensure_quality_schema, record_outcomes
from tests.sample_cache import built_sample

TODAY = date(2026, 11, 21)
INJECTIONS = ('=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(1,1)", "=1+1")


def sample_warehouse(factory: pytest.TempPathFactory) -> Path:
    """A private copy of the sample scenario's warehouse (built once per test session)."""
    target = factory.mktemp("returns") / "warehouse.duckdb"
    shutil.copyfile(built_sample(factory) / "warehouse.duckdb", target)
    return target


def copy_of(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "warehouse.duckdb"
    shutil.copyfile(path, target)
    return target


def open_gate(con: duckdb.DuckDBPyConnection, run_id: str = "run-pass", minutes: int = 5) -> str:
    """A finished check run that saw the latest data, with nothing failed (`minutes` after the data)."""
    ensure_quality_schema(con)
    latest = con.execute("select max(event_at) from raw.submission_events where status = 'accepted'").fetchone()[0]
    finished = (latest or datetime(2026, 11, 21)) + timedelta(minutes=minutes)
    con.execute(
        "insert into quality.check_runs values (?, ?, ?, 'test', ?, ?)",
        [run_id, finished - timedelta(minutes=1), finished, finished.date(), latest],
    )
    record_outcomes(
        con, run_id, [CheckOutcome("all_fine", "marts/fct_element_values", "error", "passed", "通过")], finished
    )
    return run_id


def close_gate(con: duckdb.DuckDBPyConnection, period_code: str) -> None:
    """A newer run with an error-severity failure in the period."""
    run_id = open_gate(con, "run-closed", minutes=30)
    record_outcomes(
        con,
        run_id,
        [
            CheckOutcome(
                "counties_sum_to_city",
                "marts/fct_element_values",
                "error",
                "failed",
                "各县（市）区合计与全市数不一致",
                failures=[Failure("差 12 件", period_code=period_code, subject_code="valid_invention_patents")],
            )
        ],
        datetime(2026, 11, 21, 12, 0),
    )


def explain_warning(con: duckdb.DuckDBPyConnection, run_id: str, period_code: str, subject: str, reason: str) -> None:
    """A failed warning in `run_id` with an analyst's explanation (so the gate passes and carries it)."""
    at = datetime(2026, 11, 21, 10, 0)
    record_outcomes(
        con,
        run_id,
        [
            CheckOutcome(
                "reported_vs_bulletin",
                "marts/fct_element_values",
                "warning",
                "failed",
                "本级报送与国家局通报数相差超过5%",
                failures=[Failure("差 6%", period_code=period_code, subject_code=subject)],
            )
        ],
        at,
    )
    digest, rows = failure_digests(con, run_id)[("reported_vs_bulletin", period_code)]
    con.execute(
        "insert into quality.explanations values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ["E1", "reported_vs_bulletin", period_code, reason, "李四", at, run_id, digest, rows],
    )


def add_task_and_centre_marts(con: duckdb.DuckDBPyConnection) -> None:
    """Hand-made marts.fct_task_progress and marts.fct_industry_centres (the columns the brief fixes);
    reported text includes what a department might type to smuggle in a formula."""
    con.execute("drop table if exists marts.fct_task_progress")
    con.execute(
        """
        create table marts.fct_task_progress (
            plan_code varchar, plan_title varchar, task_code varchar, task_group_no integer, task_group varchar,
            item_no integer, title varchar, content varchar, deadline date, deadline_text varchar,
            lead_units varchar, responsible_units varchar, latest_report_period varchar, reported_status varchar,
            reported_progress varchar, reported_at timestamp, is_overdue boolean, days_overdue integer,
            is_sample boolean, citation varchar)
        """
    )
    rows = [
        (
            "gulou_demo",
            "鼓楼示范县方案",
            "gulou_demo.T1.1",
            1,
            "优化政策环境",
            1,
            None,
            "制定奖励扶持政策",
            date(2023, 3, 31),
            "2023年3月",
            "区市场监督管理局",
            "区财政局",
            "2026Q3",
            "已完成",
            INJECTIONS[0],
            datetime(2026, 10, 8, 9, 0),
            False,
            None,
            True,
            "000, 附件1 1.1",
        ),
        (
            "gulou_demo",
            "鼓楼示范县方案",
            "gulou_demo.T1.2",
            1,
            "优化政策环境",
            2,
            None,
            "引导企业申报示范优势企业",
            date(2025, 6, 30),
            "2025年6月",
            "区市场监督管理局",
            "区科技局",
            "2026Q3",
            "推进中",
            INJECTIONS[1],
            datetime(2026, 10, 9, 9, 0),
            True,
            510,
            True,
            "000, 附件1 1.2",
        ),
        (
            "fz_protection_zone",
            "保护示范区方案",
            "fz_protection_zone.T1",
            1,
            "行政保护",
            1,
            "建设保护站",
            None,
            date(2026, 2, 28),
            "2026年2月",
            "市市场监督管理局",
            "各县（市）区政府",
            None,
            None,
            INJECTIONS[3],
            None,
            True,
            266,
            True,
            "003, 三(一)3",
        ),
    ]
    con.executemany(f"insert into marts.fct_task_progress values ({', '.join(['?'] * 20)})", rows)
    # Tasks whose words survived whole and whose lead the seed names (the mart says otherwise per task).
    con.execute("alter table marts.fct_task_progress add column content_status varchar default 'complete'")
    con.execute("alter table marts.fct_task_progress add column lead_is_inferred boolean default false")
    con.execute("drop table if exists marts.fct_industry_centres")
    con.execute(
        """
        create table marts.fct_industry_centres (
            centre_code varchar, centre_name varchar, applicant_name varchar, industry varchar,
            region_code varchar, region_name varchar, designated_on date, status varchar,
            summaries_expected integer, summaries_received integer, latest_summary_year integer,
            next_review_due date, review_status varchar, is_sample boolean, citation varchar)
        """
    )
    con.executemany(
        f"insert into marts.fct_industry_centres values ({', '.join(['?'] * 15)})",
        [
            (
                "C001",
                "福州市纺织服装产业知识产权协同保护与运营中心",
                INJECTIONS[4],
                "纺织服装",
                "350181",
                "福清市",
                date(2023, 1, 10),
                "有效",
                3,
                2,
                2024,
                date(2026, 1, 10),
                "已逾期",
                True,
                "004, 五",
            ),
            (
                "C002",
                "福州市数字经济产业知识产权协同保护与运营中心",
                "某科技公司",
                "数字经济",
                "350102",
                "鼓楼区",
                date(2024, 6, 1),
                "有效",
                1,
                1,
                2025,
                date(2027, 6, 1),
                "未到期",
                True,
                "004, 五",
            ),
        ],
    )
