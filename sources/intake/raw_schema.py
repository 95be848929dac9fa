"""The append-only raw tables intake writes and dbt reads (as sources in schema `raw`).

Rows are only ever inserted: a resubmission is a new submission with a higher version, a status
change is a new event. Nothing here is updated or deleted, so every figure that ever arrived can
be traced to its file, sheet and cell.
"""

from __future__ import annotations

import duckdb

RAW_SCHEMA = "raw"

DDL = """
create schema if not exists raw;

-- One row per file received (accepted or rejected).
create table if not exists raw.submissions (
    submission_id     varchar primary key,   -- 'S' + received timestamp + first 8 hex of the hash
    file_sha256       varchar not null,
    file_name         varchar not null,      -- the name it arrived with (sanitised for display)
    archive_path      varchar not null,      -- relative to the archive folder
    file_format       varchar not null,      -- xlsx | xlsm | xlsb | xls | ods | csv | unknown
    received_at       timestamp not null,    -- local time, Asia/Shanghai
    inbox_department  varchar,               -- the inbox folder it came through, if any
    form_code         varchar,               -- null when the file could not be identified
    template_version  integer,
    department_code   varchar,
    region_code       varchar,
    period            varchar,               -- 2026-10 | 2026Q3 | 2026
    period_type       varchar,
    version           integer,               -- 1, 2, … among accepted files of form × department × period
    outcome           varchar not null,      -- accepted | rejected
    error_count       integer not null,
    warning_count     integer not null,
    is_sample         boolean not null,      -- built from sample data (示例数据)
    filled_by         varchar,               -- signature block, as typed
    phone             varchar,
    reported_on       varchar
);

-- One row per figure of an accepted submission.
create table if not exists raw.submission_values (
    submission_id     varchar not null,
    version           integer not null,
    form_code         varchar not null,
    department_code   varchar not null,
    region_code       varchar not null,
    period            varchar not null,
    period_type       varchar not null,
    element_code      varchar not null,
    value             decimal(38, 6),        -- in the element's catalogue unit; null = left blank
    raw_text          varchar,               -- the cell as it was read, before normalisation
    sheet             varchar not null,      -- sheet name, or 'csv'
    cell              varchar not null,      -- A1 reference, or 'line N'
    file_sha256       varchar not null,
    received_at       timestamp not null,
    is_sample         boolean not null
);

-- Every problem found in a file, errors (which reject it) and warnings (which do not).
create table if not exists raw.submission_problems (
    submission_id     varchar not null,
    file_sha256       varchar not null,
    severity          varchar not null,      -- error | warning
    problem_code      varchar not null,      -- machine-readable kind, e.g. not_a_number
    sheet             varchar,
    cell              varchar,
    element_code      varchar,
    found             varchar,               -- what was there
    message           varchar not null,      -- what is wrong (Chinese)
    fix               varchar not null       -- how to fix it (Chinese)
);

-- Status history: received -> rejected | accepted -> superseded | approved -> locked.
create table if not exists raw.submission_events (
    submission_id     varchar not null,
    status            varchar not null,
    event_at          timestamp not null,
    actor             varchar not null,
    note              varchar
);

-- Record-level patent data: one row per application (granted or not) per extract.
create table if not exists raw.patent_records (
    extract_id             varchar not null,   -- sha256 of the extract file
    application_no         varchar not null,
    patent_type            varchar not null,   -- invention | utility | design
    application_date       date not null,
    grant_date             date,
    applicant_name         varchar not null,
    applicant_type         varchar not null,   -- firm | university | institute | individual | public_body
    is_hightech_firm       boolean not null,
    is_service_invention   boolean not null,   -- 职务发明创造
    agency_name            varchar,            -- null when filed without an agency
    region_code            varchar not null,   -- county-level region of the applicant
    legal_status           varchar not null,   -- pending | valid | lapsed | rejected | withdrawn
    lapse_date             date,
    ipc_main               varchar,
    is_pct                 boolean not null,
    is_abroad              boolean not null,   -- also filed abroad (Paris route)
    is_high_value          boolean not null    -- meets the CNIPA high-value definition per the record flags
);

-- One row per patent-record extract loaded; the newest extract is the current truth.
create table if not exists raw.patent_extracts (
    extract_id        varchar primary key,
    file_name         varchar not null,
    archive_path      varchar not null,
    as_of             date not null,           -- the extract's cut-off date
    row_count         bigint not null,
    loaded_at         timestamp not null,
    is_sample         boolean not null
);

-- One row per task on an accepted task-report form (重点任务推进情况季报) with a status or progress text.
create table if not exists raw.task_reports (
    submission_id     varchar not null,      -- raw.submissions (form key_task_quarterly …)
    version           integer not null,      -- as in raw.submissions: latest accepted version wins
    task_code         varchar not null,      -- plan_tasks.task_code
    department_code   varchar not null,      -- the lead unit that reported
    period_code       varchar not null,      -- 2026Q3
    status            varchar,               -- task_statuses.status_name; null = left blank (task not yet due)
    progress_text     varchar,               -- 进展情况 as typed (trimmed)
    sheet             varchar not null,
    cell              varchar not null,      -- the status cell, A1 reference
    progress_cell     varchar,               -- the progress cell
    sha256            varchar not null,
    received_at       timestamp not null,
    is_sample         boolean not null
);

-- The industry IP centre registry as events: designated, re_reviewed, revoked (004 四(二), 五 2).
create table if not exists raw.centre_registry (
    event_id          varchar primary key,   -- 'R' + hash of the source and line
    centre_code       varchar not null,
    centre_name       varchar,               -- as designated (required on 'designated')
    applicant_name    varchar,
    applicant_kind    varchar,               -- centre_applicant_kinds.applicant_kind
    industry          varchar,
    region_code       varchar,               -- regions.region_code
    event             varchar not null,      -- designated | re_reviewed | revoked
    event_date        date not null,
    document_no       varchar,               -- 认定/复核/撤销 文号
    note              varchar,
    source            varchar not null,      -- 'import:<file name>' or 'cli'
    source_sha256     varchar,               -- archived registry file, when imported
    source_line       integer,
    recorded_at       timestamp not null,
    recorded_by       varchar not null,
    is_sample         boolean not null
);

-- Annual work summaries (年度工作总结) dropped into inbox/centres/<centre_code>/, accepted or rejected.
create table if not exists raw.centre_summaries (
    summary_id        varchar primary key,   -- 'C' + received timestamp + first 8 hex of the hash
    centre_code       varchar,               -- null when the folder names no registered centre
    inbox_folder      varchar,               -- the folder it came through
    summary_year      integer,
    sha256            varchar not null,
    file_name         varchar not null,
    archive_path      varchar not null,
    file_kind         varchar not null,      -- pdf | docx | xlsx | other
    received_at       timestamp not null,
    outcome           varchar not null,      -- accepted | rejected
    problem           varchar,               -- why it was rejected (Chinese)
    is_sample         boolean not null
);
"""


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables if they are missing (idempotent; never drops or alters data)."""
    con.execute(DDL)
