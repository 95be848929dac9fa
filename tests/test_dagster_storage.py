"""Dagster's instance past one process: storage on Postgres when IPWH_DAGSTER_POSTGRES_URL says so, a run
queue that starts one warehouse run at a time per engine, and the embedded default (SQLite files, one
run at a time) unchanged. The Postgres test starts its own cluster from Debian's postgresql package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance, job, op

from core.settings import ConfigError, Settings, instance_settings, write_instance_yaml
from orchestration.definitions import build_definitions
from orchestration.names import WAREHOUSE_RUN_TAGS, WAREHOUSE_TAG
from tests.postgres_cluster import postgres_cluster

URL = "IPWH_DAGSTER_POSTGRES_URL"


def _written(path: Path, env: dict[str, str]) -> dict:
    write_instance_yaml(path, env)
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_embedded_default_keeps_sqlite_storage_and_one_run_at_a_time(tmp_path: Path) -> None:
    config = _written(tmp_path / "dagster.yaml", {})
    assert "storage" not in config
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 1


def test_postgres_url_moves_storage_and_widens_the_queue_but_not_the_warehouse(tmp_path: Path) -> None:
    env = {URL: "postgresql+psycopg2://dagster@db.example:5432/ipwh", "IPWH_DAGSTER_MAX_RUNS": "3"}
    config = _written(tmp_path / "dagster.yaml", env)
    assert config["storage"] == {"postgres": {"postgres_url": {"env": URL}}}  # the password stays in the environment
    assert "db.example" not in (tmp_path / "dagster.yaml").read_text(encoding="utf-8")
    runs = config["concurrency"]["runs"]
    assert runs["max_concurrent_runs"] == 3
    assert runs["tag_concurrency_limits"] == [{"key": WAREHOUSE_TAG, "value": "duckdb", "limit": 1}]


def test_removing_the_postgres_setting_returns_to_the_embedded_storage(tmp_path: Path) -> None:
    path = tmp_path / "dagster.yaml"
    _written(path, {URL: "postgresql+psycopg2://dagster@db.example/ipwh"})
    config = _written(path, {})
    assert "storage" not in config
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1


def test_sqlite_storage_section_is_replaced_not_merged(tmp_path: Path) -> None:
    path = tmp_path / "dagster.yaml"
    path.write_text("storage:\n  sqlite:\n    base_dir: /somewhere\n", encoding="utf-8")
    config = _written(path, {URL: "postgresql+psycopg2://dagster@db.example/ipwh"})
    assert list(config["storage"]) == ["postgres"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({URL: "mysql://dagster@db/ipwh"}, "postgresql[+]psycopg2://"),
        ({URL: "postgresql://dagster@db/ipwh"}, "postgresql[+]psycopg2://"),
        ({URL: "postgresql+psycopg2://d@db/ipwh", "IPWH_DAGSTER_MAX_RUNS": "many"}, "1 到 64"),
        ({URL: "postgresql+psycopg2://d@db/ipwh", "IPWH_DAGSTER_MAX_RUNS": "0"}, "1 到 64"),
    ],
)
def test_bad_storage_settings_are_refused_in_words(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        instance_settings(env)


def test_every_job_that_opens_the_warehouse_queues_as_a_duckdb_run(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var", warehouse=tmp_path / "var" / "warehouse.duckdb")
    settings.ensure_dirs()
    from orchestration.dbt import prepare_manifest

    prepare_manifest(settings)
    settings.export()
    jobs = build_definitions(settings).resolve_all_job_defs()
    assert len(jobs) >= 3
    untagged = [j.name for j in jobs if j.name != "__ASSET_JOB" and j.tags.get(WAREHOUSE_TAG) != "duckdb"]
    assert untagged == []


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_cluster("dagster", "ipwh_dagster", " Dagster 的 Postgres 存储测试", listen="127.0.0.1") as (_, port):
        yield f"postgresql+psycopg2://dagster@127.0.0.1:{port}/ipwh_dagster"


@op
def count_forms() -> int:
    return 3


@job(tags=WAREHOUSE_RUN_TAGS)
def small_job() -> None:
    count_forms()


@pytest.mark.slow
def test_a_job_runs_with_its_runs_and_events_stored_in_postgres(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    monkeypatch.setenv(URL, postgres_url)
    monkeypatch.setenv("IPWH_DAGSTER_MAX_RUNS", "2")
    settings = Settings(home=tmp_path / "var", warehouse=tmp_path / "var" / "warehouse.duckdb")
    settings.ensure_dirs()  # writes dagster.yaml from the environment
    with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 2
        assert [(t["key"], t["value"], t["limit"]) for t in queue.tag_concurrency_limits] == [
            (WAREHOUSE_TAG, "duckdb", 1)
        ]
        result = small_job.execute_in_process(instance=instance)
        assert result.success and result.output_for_node("count_forms") == 3
        run_id = result.run_id
    with psycopg.connect(postgres_url.replace("+psycopg2", "")) as con:
        stored = con.execute("select status, run_body from runs where run_id = %s", (run_id,)).fetchone()
        events = con.execute("select count(*) from event_logs where run_id = %s", (run_id,)).fetchone()
    assert stored is not None and stored[0] == "SUCCESS" and WAREHOUSE_TAG in stored[1]
    assert events is not None and events[0] > 5
    assert not list(settings.dagster_home.rglob("*.db"))  # nothing went to the embedded SQLite files
