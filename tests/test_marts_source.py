"""The marts read from Parquet (IPWH_MARTS_SOURCE=parquet:<folder>) give the monitoring site and the
returns exactly what the DuckDB file gives them: the site's frames equal, the returns' files byte for
byte. Built from the shared sample and its published snapshot (whose parquet/ is the layout a Spark
build writes)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.marts import open_marts, parquet_marts
from core.settings import ConfigError, Settings
from core.snapshot import publish_snapshot
from core.warehouse import WarehouseUnavailable
from monitoring_site.data import SiteData, load
from reports.build import build_in_warehouse, draft_current_in_warehouse
from sources.periods import Period
from tests.sample_cache import built_sample, copy_sample
from tests.test_returns_support import add_task_and_centre_marts, open_gate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The sample with a passed check run (the gate open), and its snapshot published (DuckDB file and Parquet)."""
    settings = copy_sample(built_sample(tmp_path_factory), tmp_path_factory.mktemp("marts") / "var")
    with duckdb.connect(str(settings.warehouse)) as con:
        open_gate(con)
        add_task_and_centre_marts(con)
    publish_snapshot(settings, run_id="marts-test")
    return settings


def _parquet(settings: Settings) -> Settings:
    return dataclasses.replace(settings, marts_parquet=settings.snapshot / "parquet")


def _site_data(settings: Settings) -> SiteData:
    con = open_marts(settings, settings.snapshot_db)
    try:
        return load(con)
    finally:
        con.close()


def test_the_site_reads_the_same_frames_from_parquet_as_from_the_duckdb_snapshot(sample: Settings) -> None:
    from_duckdb, from_parquet = _site_data(sample), _site_data(_parquet(sample))
    for part in ("marts", "catalogue", "quality"):
        expected, found = getattr(from_duckdb, part), getattr(from_parquet, part)
        assert sorted(found) == sorted(expected), part
        for name, frame in expected.items():
            pd.testing.assert_frame_equal(found[name], frame, check_exact=True, obj=f"{part}.{name}")
    assert len(from_duckdb.marts["fct_target_progress"]) > 40 and from_duckdb.quality
    assert from_parquet.published_at == from_duckdb.published_at is not None  # meta comes from the snapshot file
    assert from_parquet.is_sample == from_duckdb.is_sample
    with open_marts(_parquet(sample), sample.snapshot_db) as con:  # the frames did come from the files
        found = con.execute(
            "select table_type from information_schema.tables "
            "where table_catalog = current_database() and table_schema = 'marts' and table_name = 'fct_target_progress'"
        ).fetchall()
        (definition,) = con.execute(
            "select sql from duckdb_views() "
            "where database_name = current_database() and view_name = 'fct_target_progress'"
        ).fetchone()
    assert found == [("VIEW",)] and "marts.fct_target_progress.parquet" in definition


def _version_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_returns_built_from_parquet_marts_are_byte_identical(
    sample: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IPWH_HOME", str(sample.home))
    monkeypatch.delenv("IPWH_WAREHOUSE", raising=False)
    monkeypatch.delenv("IPWH_REGION", raising=False)
    period = Period.parse("2026-10")
    monkeypatch.delenv("IPWH_MARTS_SOURCE", raising=False)
    from_duckdb = build_in_warehouse(sample.warehouse, tmp_path / "duckdb", period)
    monkeypatch.setenv("IPWH_MARTS_SOURCE", f"parquet:{sample.snapshot / 'parquet'}")
    from_parquet = build_in_warehouse(sample.warehouse, tmp_path / "parquet", period)
    expected, found = _version_files(from_duckdb.folder), _version_files(from_parquet.folder)
    assert len(expected) > 5 and "manifest.json" in expected
    assert found.keys() == expected.keys()
    assert [name for name in expected if found[name] != expected[name]] == []
    # The warehouse's record of its own build does not vouch for Parquet marts: never reused from it.
    for _ in range(2):
        again = build_in_warehouse(sample.warehouse, tmp_path / "parquet", period, reuse_draft=True)
        assert not again.reused and again.built
    assert not draft_current_in_warehouse(sample.warehouse, tmp_path / "parquet", period)
    # The Parquet side is really read: the figures changed in the files change the returns.
    altered = tmp_path / "altered"
    altered.mkdir()
    for path in (sample.snapshot / "parquet").glob("*.parquet"):
        (altered / path.name).symlink_to(path)
    with duckdb.connect() as con:
        for mart in ("fct_element_values", "fct_indicator_values"):
            target = altered / f"marts.{mart}.parquet"
            target.unlink()
            con.execute(
                "copy (select * replace (value + 1 as value, value_display + 1 as value_display) "
                f"from '{sample.snapshot / 'parquet' / target.name}') to '{target}' (format parquet)"
            )
    monkeypatch.setenv("IPWH_MARTS_SOURCE", f"parquet:{altered}")
    changed = _version_files(build_in_warehouse(sample.warehouse, tmp_path / "altered-out", period).folder)
    assert changed["manifest.json"] != expected["manifest.json"]


def test_a_mart_missing_from_the_folder_is_missing_not_read_from_the_duckdb_file(
    sample: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "spark-marts"
    folder.mkdir()
    for path in (sample.snapshot / "parquet").glob("*.parquet"):
        if path.name != "marts.fct_target_progress.parquet":
            (folder / path.name).symlink_to(path)
    (folder / ".marts.half_written.parquet.tmp").write_bytes(b"PAR1")  # a writer's temporary: ignored
    with parquet_marts(folder, sample.warehouse) as con:
        tables = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' and table_catalog = current_database()"
            ).fetchall()
        }
        assert "fct_target_progress" not in tables and "fct_indicator_values" in tables
        with pytest.raises(duckdb.CatalogException):
            con.execute("select * from marts.fct_target_progress")
        assert con.execute("select count(*) from raw.submissions").fetchone()[0] > 1000  # the rest: the warehouse


def test_an_unusable_marts_source_is_a_clear_chinese_error(sample: Settings, tmp_path: Path) -> None:
    with pytest.raises(WarehouseUnavailable, match="不存在"):
        parquet_marts(tmp_path / "never-built", sample.warehouse)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WarehouseUnavailable, match=r"marts\.<表>\.parquet"):
        parquet_marts(empty, sample.warehouse)
    (empty / "marts.broken.parquet").write_bytes(b"not parquet at all")
    (empty / "catalogue.units.parquet").write_bytes(b"not parquet either")
    with pytest.raises(WarehouseUnavailable, match="无法读取数据集市"):
        parquet_marts(empty, sample.warehouse)
    for bad in ("spark", "parquet:", "parquet:  "):
        with pytest.raises(ConfigError, match="IPWH_MARTS_SOURCE"):
            Settings.from_env({"IPWH_HOME": str(tmp_path / "var"), "IPWH_MARTS_SOURCE": bad})
    default = Settings.from_env({"IPWH_HOME": str(tmp_path / "var"), "IPWH_MARTS_SOURCE": "duckdb"})
    assert default.marts_parquet is None


def test_spark_style_folders_of_part_files_are_read_as_tables(tmp_path: Path) -> None:
    """Spark writes a table as a folder of part files (`<schema>.db/<table>/` when managed, or
    `<schema>/<table>/` under dbt-spark's location_root), with `_SUCCESS` and hidden checksum files."""
    folder = tmp_path / "spark-warehouse"
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema raw; create table raw.submissions as select 'S1' as submission_id")
        for where, value in (("marts.db/fct_a", 1), ("marts.db/fct_a", 2), ("catalogue/units", 3)):
            part = folder / where
            part.mkdir(parents=True, exist_ok=True)
            con.execute(f"copy (select {value} as v) to '{part / f'part-0000{value}.snappy.parquet'}' (format parquet)")
        con.execute(
            f"copy (select 99 as v) to '{folder / 'marts.db' / 'fct_a' / '.part-00009.parquet'}' (format parquet)"
        )
    (folder / "marts.db" / "fct_a" / "_SUCCESS").write_bytes(b"")
    (folder / "marts.db" / "fct_a" / ".part-00001.snappy.parquet.crc").write_bytes(b"crc")
    with parquet_marts(folder, database) as con:
        assert con.execute("select v from marts.fct_a order by v").fetchall() == [(1,), (2,)]
        assert con.execute("select v from catalogue.units").fetchall() == [(3,)]
        assert con.execute("select submission_id from raw.submissions").fetchall() == [("S1",)]
    (folder / "marts.fct_a.parquet").write_bytes(
        (folder / "catalogue" / "units" / "part-00003.snappy.parquet").read_bytes()
    )
    with pytest.raises(WarehouseUnavailable, match="两次"):
        parquet_marts(folder, database)
