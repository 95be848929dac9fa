"""Where the system reads and writes: one place, configurable by environment variables.

Embedded default: everything under the repository's `var/` folder (DuckDB warehouse, Dagster
instance storage, inbox, archive, outbox). `IPWH_HOME` moves the whole tree; `IPWH_WAREHOUSE`
moves only the warehouse file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
TIMEZONE = ZoneInfo("Asia/Shanghai")


class ConfigError(Exception):
    """A setting that cannot be used; the message is for the person who set it."""


def local_now() -> datetime:
    """Wall-clock time in Asia/Shanghai, without tzinfo (how the warehouse stores times).

    The one place the product reads the machine's clock; `Settings.now` adds the pinned day.
    """
    return datetime.now(TIMEZONE).replace(tzinfo=None)


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse: Path
    # IPWH_TODAY pins "today" (deadlines, which periods have ended) for demos and tests.
    today_override: date | None = field(default=None)
    dbt_target_override: Path | None = field(default=None)
    # IPWH_REGION: the region this installation serves (350000 on a provincial installation);
    # unset, the region of the office that issues the catalogue's forms.
    region_override: str | None = field(default=None)
    # IPWH_RAW_ZONE: a folder every intake publishes the raw tables to as Parquet (core/raw_zone.py),
    # for an engine that reads files (Spark); unset, nothing is written.
    raw_zone: Path | None = field(default=None)
    # IPWH_MARTS_SOURCE=parquet:<folder>: the site and the returns read the marts and catalogue from
    # `<schema>.<table>.parquet` files there (core/marts.py); unset or `duckdb`, from the DuckDB files.
    marts_parquet: Path | None = field(default=None)

    @property
    def today(self) -> date:
        return self.today_override or local_now().date()

    def as_of_note(self) -> str:
        """The day everything is judged as of, in words, for the command line."""
        if self.today_override is None:
            return f"统计日：{self.today}（今天）"
        return (
            f"统计日：{self.today}（由 IPWH_TODAY 设定：截止期限、已结束的报告期都按这一天判断，"
            "此间收到的文件也记为这一天收到）"
        )

    def now(self) -> datetime:
        """The time of day on `today`: with a pinned day, a file arriving now arrives on that day.

        So an installation judged as of IPWH_TODAY counts what it receives while pinned, whatever
        the machine's date (a demo or test run on a later day still sees its own files).
        """
        real = local_now()
        return real if self.today_override is None else datetime.combine(self.today_override, real.time())

    @property
    def receipts(self) -> Path:
        return self.home / "receipts"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"

    @property
    def alerts(self) -> Path:
        """Reminders (`<date>.txt`, `.csv`) and the run-failure log (`failures.log`)."""
        return self.home / "alerts"

    @property
    def snapshot(self) -> Path:
        """The analysts' read-only copy of the marts: `warehouse.duckdb` and `parquet/`."""
        return self.home / "snapshot"

    @property
    def snapshot_db(self) -> Path:
        return self.snapshot / "warehouse.duckdb"

    @property
    def keys(self) -> Path:
        """This installation's signing key pair, and `upstream/` the public keys of the offices below."""
        return self.home / "keys"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def dbt_target(self) -> Path:
        """dbt's manifest and run artifacts for this installation (IPWH_DBT_TARGET moves it)."""
        return self.dbt_target_override or self.home / "dbt" / "target"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = _path_setting(env, "IPWH_HOME", REPO_ROOT / "var")
        warehouse = _path_setting(env, "IPWH_WAREHOUSE", home / "warehouse.duckdb")
        if home.exists() and not home.is_dir():
            raise ConfigError(f"IPWH_HOME 指向的 {home} 不是文件夹，请改为一个文件夹路径。")
        if warehouse.exists() and warehouse.is_dir():
            raise ConfigError(f"IPWH_WAREHOUSE 指向的 {warehouse} 是文件夹，应为 .duckdb 文件路径。")
        if warehouse.suffix != ".duckdb":
            raise ConfigError(f"IPWH_WAREHOUSE 应以 .duckdb 结尾，当前为 {warehouse}。")
        raw_today = env.get("IPWH_TODAY", "").strip()
        today = None
        if raw_today:
            try:
                today = date.fromisoformat(raw_today)
            except ValueError as exc:
                raise ConfigError(f"IPWH_TODAY 应为日期，如 2026-11-21，当前为 {raw_today!r}") from exc
        dbt_target = _path_setting(env, "IPWH_DBT_TARGET", home / "dbt" / "target")
        region = env.get("IPWH_REGION", "").strip() or None
        if region is not None and not region.isdigit():
            raise ConfigError(f"IPWH_REGION 应为区划代码，如 350000，当前为 {region!r}")
        raw_zone = _optional_path(env, RAW_ZONE_SETTING)
        if raw_zone is not None and raw_zone.exists() and not raw_zone.is_dir():
            raise ConfigError(
                f"{RAW_ZONE_SETTING} 指向的 {raw_zone} 不是文件夹，请改为一个文件夹（原始区的 Parquet 文件写在其中）。"
            )
        return cls(
            home=home,
            warehouse=warehouse,
            today_override=today,
            dbt_target_override=dbt_target,
            region_override=region,
            raw_zone=raw_zone,
            marts_parquet=_marts_source(env),
        )

    def ensure_dirs(self) -> None:
        folders = (self.home, self.dagster_home, self.inbox, self.archive, self.outbox, self.receipts, self.alerts)
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        write_instance_yaml(self.dagster_home / "dagster.yaml")

    def export(self) -> None:
        """Make dbt and Dagster (which read the environment) use these paths."""
        os.environ["IPWH_HOME"] = str(self.home)
        os.environ["IPWH_WAREHOUSE"] = str(self.warehouse)
        os.environ["DAGSTER_HOME"] = str(self.dagster_home)
        os.environ["IPWH_DBT_TARGET"] = str(self.dbt_target)
        if self.today_override:
            os.environ["IPWH_TODAY"] = self.today_override.isoformat()
        if self.region_override:
            os.environ["IPWH_REGION"] = self.region_override
        if self.raw_zone:
            os.environ[RAW_ZONE_SETTING] = str(self.raw_zone)
        if self.marts_parquet:
            os.environ[MARTS_SOURCE_SETTING] = f"parquet:{self.marts_parquet}"


# The Dagster instance: local runs send nothing anywhere. Every job that opens the warehouse carries
# WAREHOUSE_TAG with its engine; the run queue starts one such run at a time per engine (DuckDB has
# one writing process). The embedded default keeps the instance storage in SQLite files under
# dagster/ and starts one run at a time in all. IPWH_DAGSTER_POSTGRES_URL (postgresql+psycopg2://…) moves the
# storage to Postgres, for a webserver and daemon on other machines or processes than the runs;
# IPWH_DAGSTER_MAX_RUNS then lets that many runs go at once (still one warehouse run per engine).
WAREHOUSE_TAG = "ipwh/warehouse"
POSTGRES_URL_SETTING = "IPWH_DAGSTER_POSTGRES_URL"
MAX_RUNS_SETTING = "IPWH_DAGSTER_MAX_RUNS"
INSTANCE_SETTINGS: dict[str, dict[str, object]] = {
    "telemetry": {"enabled": False},
    "concurrency": {
        "runs": {
            "max_concurrent_runs": 1,
            "tag_concurrency_limits": [{"key": WAREHOUSE_TAG, "value": "duckdb", "limit": 1}],
        }
    },
}
# The storage section this module writes for Postgres: the URL stays in the environment, not the file.
POSTGRES_STORAGE = {"postgres": {"postgres_url": {"env": POSTGRES_URL_SETTING}}}


def instance_settings(environ: dict[str, str] | None = None) -> dict[str, dict[str, object]]:
    """INSTANCE_SETTINGS, with Postgres storage and a wider run queue when IPWH_DAGSTER_POSTGRES_URL is set."""
    env = os.environ if environ is None else environ
    url = env.get(POSTGRES_URL_SETTING, "").strip()
    if not url:
        return INSTANCE_SETTINGS
    # The driver is named: SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3, on which
    # dagster-postgres's event notifications fail.
    if not url.startswith("postgresql+psycopg2://"):
        shown = url.split("@")[-1]  # never the password
        raise ConfigError(
            f"{POSTGRES_URL_SETTING} 应为 postgresql+psycopg2://用户:密码@主机:端口/库名 形式的地址，当前为 …@{shown}。"
        )
    raw_runs = env.get(MAX_RUNS_SETTING, "4").strip()
    if not raw_runs.isdigit() or not 1 <= int(raw_runs) <= 64:
        raise ConfigError(f"{MAX_RUNS_SETTING} 应为 1 到 64 之间的整数（同时运行的作业数），当前为 {raw_runs!r}。")
    runs = {
        "max_concurrent_runs": int(raw_runs),
        "tag_concurrency_limits": [{"key": WAREHOUSE_TAG, "value": "duckdb", "limit": 1}],
    }
    return {**INSTANCE_SETTINGS, "concurrency": {"runs": runs}, "storage": POSTGRES_STORAGE}


def write_instance_yaml(path: Path, environ: dict[str, str] | None = None) -> None:
    """Create or update dagster.yaml with instance_settings(), keeping any other keys already there."""
    import yaml

    wanted_settings = instance_settings(environ)
    current: dict[str, object] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        current = loaded if isinstance(loaded, dict) else {}
    merged = dict(current)
    for key, wanted in wanted_settings.items():
        section = merged.get(key)
        # The storage is one kind or another: replaced whole, never merged.
        merged[key] = wanted if key == "storage" else _merge(section if isinstance(section, dict) else {}, wanted)
    if "storage" not in wanted_settings and merged.get("storage") == POSTGRES_STORAGE:
        del merged["storage"]  # the setting was removed: back to the embedded SQLite storage
    if isinstance(merged.get("run_queue"), dict):
        # `run_queue.max_concurrent_runs` conflicts with `concurrency.runs`; the latter wins.
        merged["run_queue"] = {k: v for k, v in merged["run_queue"].items() if k != "max_concurrent_runs"}
        if not merged["run_queue"]:
            del merged["run_queue"]
    if merged != current or not path.exists():
        path.write_text(yaml.safe_dump(merged, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _merge(current: dict[str, object], wanted: dict[str, object]) -> dict[str, object]:
    out = dict(current)
    for key, value in wanted.items():
        if isinstance(value, dict):
            inner = out.get(key)
            out[key] = _merge(inner if isinstance(inner, dict) else {}, value)
        else:
            out[key] = value
    return out


RAW_ZONE_SETTING = "IPWH_RAW_ZONE"
MARTS_SOURCE_SETTING = "IPWH_MARTS_SOURCE"


def _marts_source(env: os._Environ[str] | dict[str, str]) -> Path | None:
    """IPWH_MARTS_SOURCE: `duckdb` (the default) or `parquet:<folder>`; the folder, or None for DuckDB."""
    raw = env.get(MARTS_SOURCE_SETTING, "").strip()
    if raw in ("", "duckdb"):
        return None
    if not raw.startswith("parquet:") or not raw.removeprefix("parquet:").strip():
        raise ConfigError(
            f"{MARTS_SOURCE_SETTING} 应为 duckdb（默认）或 parquet:<文件夹>（如 parquet:/data/ipwh/marts），"
            f"当前为 {raw!r}。"
        )
    folder = _optional_path({MARTS_SOURCE_SETTING: raw.removeprefix("parquet:").strip()}, MARTS_SOURCE_SETTING)
    if folder is not None and folder.exists() and not folder.is_dir():
        raise ConfigError(
            f"{MARTS_SOURCE_SETTING} 指向的 {folder} 不是文件夹：应为存放 <模式>.<表>.parquet 文件的文件夹。"
        )
    return folder


def _optional_path(env: os._Environ[str] | dict[str, str], name: str) -> Path | None:
    return _path_setting(env, name, Path()) if env.get(name) else None


def _path_setting(env: os._Environ[str] | dict[str, str], name: str, default: Path) -> Path:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if "\x00" in raw or raw.strip() != raw:
        raise ConfigError(f"{name} 含有不可用的字符（空白或空字节）：{raw!r}")
    return Path(raw).expanduser().resolve()
