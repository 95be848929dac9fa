"""The raw zone as Parquet for another engine: exported on demand, and published by every intake
when IPWH_RAW_ZONE is set (same rows and values as the DuckDB raw tables), nothing when it is not;
an unwritable zone costs no submission and says so in Chinese."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from core.raw_zone import PART, PENDING, RawZoneUnavailable, export_raw_zone, publish
from core.settings import ConfigError, Settings
from core.warehouse import writer
from sources.catalogue import Catalogue
from sources.intake.pipeline import Incoming, ingest
from sources.intake.raw_schema import ensure_raw_schema
from sources.intake.store import add_event
from tests.form_files import CREATION_VALUES, blank_form, fill

TODAY = date(2026, 11, 21)


def test_every_raw_table_is_written_as_parquet_with_the_same_rows(tmp_path: Path) -> None:
    warehouse = tmp_path / "it's here" / "warehouse.duckdb"  # a quote in the path must not break the COPY
    warehouse.parent.mkdir()
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
        con.execute(
            "insert into raw.patent_extracts values ('E1', 'e.csv', 'archive/e.csv', date '2026-10-31', 2, "
            "timestamp '2026-11-01 09:30:00', true)"
        )
        expected = {
            t: con.execute(f"select count(*) from raw.{t}").fetchone()[0]
            for (t,) in con.execute("select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()
        }
    folder = tmp_path / "raw"
    tables = export_raw_zone(warehouse, folder)
    assert sorted(tables) == sorted(expected) and len(tables) >= 5
    with duckdb.connect() as con:
        for table in tables:
            path = folder / table / "part-0.parquet"
            assert con.execute(f"select count(*) from '{path}'").fetchone()[0] == expected[table]
        row = con.execute(
            f"select extract_id, loaded_at from '{folder / 'patent_extracts' / 'part-0.parquet'}'"
        ).fetchone()
    assert row[0] == "E1" and str(row[1]) == "2026-11-01 09:30:00"


# --- published by intake (IPWH_RAW_ZONE) --------------------------------------------------------


def _settings(tmp_path: Path, zone: Path | None) -> Settings:
    s = Settings(
        home=tmp_path / "var", warehouse=tmp_path / "var" / "warehouse.duckdb", today_override=TODAY, raw_zone=zone
    )
    s.ensure_dirs()
    return s


def _form(catalogue: Catalogue, tmp_path: Path, name: str, **changes: int) -> Path:
    template = blank_form(catalogue, tmp_path / "templates")
    return fill(template, tmp_path / "forms" / name, {**CREATION_VALUES, **changes})


def _ingest(settings: Settings, catalogue: Catalogue, *paths: Path) -> list[object]:
    return ingest([Incoming(p, "350102.amr") for p in paths], settings, catalogue, actor="test")


def _warehouse_table(settings: Settings, table: str) -> pd.DataFrame:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(f"select * from raw.{table} order by all").df()


def _zone_table(zone: Path, table: str) -> pd.DataFrame:
    with duckdb.connect() as con:
        return con.execute(f"select * from read_parquet('{zone / table / PART}') order by all").df()


def _zone_matches_warehouse(settings: Settings, zone: Path) -> list[str]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        query = "select table_name from duckdb_tables() where schema_name = 'raw'"
        tables = [r[0] for r in con.execute(query).fetchall()]
    for table in tables:
        pd.testing.assert_frame_equal(_zone_table(zone, table), _warehouse_table(settings, table), check_exact=True)
    return tables


def test_intake_publishes_every_raw_table_as_parquet_equal_to_the_warehouse(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    zone = tmp_path / "zone"  # created by the first publication
    settings = _settings(tmp_path, zone)
    (outcome,) = _ingest(settings, catalogue, _form(catalogue, tmp_path, "v1.xlsx"))
    assert outcome.status == "accepted"
    tables = _zone_matches_warehouse(settings, zone)
    assert {"submissions", "submission_values", "submission_events", "patent_records"} <= set(tables)
    assert len(_zone_table(zone, "submission_values")) == len(CREATION_VALUES)
    with duckdb.connect() as con:  # decimals stay exact decimals, not floats
        query = f"select column_name, column_type from (describe '{zone / 'submission_values' / PART}')"
        kinds = dict(con.execute(query).fetchall())
    assert kinds["value"].startswith("DECIMAL")
    assert not (settings.home / PENDING).exists()
    # A corrected version: the changed tables are rewritten, the zone still equals the warehouse.
    (again,) = _ingest(settings, catalogue, _form(catalogue, tmp_path, "v2.xlsx", trademark_registrations=701))
    assert again.status == "accepted" and again.receipt.version == 2
    _zone_matches_warehouse(settings, zone)
    assert not [p for p in zone.rglob("*") if p.name.startswith(".")]  # no temporary file left behind


def test_without_the_setting_intake_writes_no_parquet(tmp_path: Path, catalogue: Catalogue) -> None:
    settings = _settings(tmp_path, None)
    before = {p for p in tmp_path.rglob("*")}
    (outcome,) = _ingest(settings, catalogue, _form(catalogue, tmp_path, "v1.xlsx"))
    assert outcome.status == "accepted"
    written = {p for p in tmp_path.rglob("*") if p not in before}
    assert not [p for p in written if p.suffix == ".parquet" or p.name == PENDING]
    assert Settings.from_env({"IPWH_HOME": str(tmp_path / "var")}).raw_zone is None


def test_an_unwritable_zone_loses_no_submission_and_says_so(tmp_path: Path, catalogue: Catalogue) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the zone's parent should be", encoding="utf-8")
    settings = _settings(tmp_path, blocker / "zone")  # tests run as root: permissions would not stop a write
    with pytest.raises(RawZoneUnavailable) as caught:
        _ingest(settings, catalogue, _form(catalogue, tmp_path, "v1.xlsx"))
    message = str(caught.value)
    assert "原始区" in message and "无法写入" in message and "已存入仓库" in message and "Traceback" not in message
    # The submission is committed and receipted, not rolled back; the caller still gets its receipt.
    (outcome,) = caught.value.outcomes
    assert outcome.status == "accepted" and outcome.receipt_path.exists()
    assert len(_warehouse_table(settings, "submission_values")) == len(CREATION_VALUES)
    assert "原始区未能更新" in (settings.alerts / "failures.log").read_text(encoding="utf-8")
    assert "submission_values" in json.loads((settings.home / PENDING).read_text(encoding="utf-8"))
    # Once the folder is usable, the next intake (even one with nothing new) catches the zone up.
    blocker.unlink()
    assert _ingest(settings, catalogue) == []
    _zone_matches_warehouse(settings, blocker / "zone")
    assert not (settings.home / PENDING).exists()


def test_ipwh_ingest_shows_the_receipt_then_the_zone_error(
    tmp_path: Path, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.cli import app

    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    home = tmp_path / "var"
    monkeypatch.setenv("IPWH_HOME", str(home))
    monkeypatch.delenv("IPWH_WAREHOUSE", raising=False)
    monkeypatch.setenv("IPWH_TODAY", TODAY.isoformat())
    monkeypatch.setenv("IPWH_RAW_ZONE", str(blocker / "zone"))
    form = _form(catalogue, tmp_path, "gulou.xlsx")
    result = CliRunner().invoke(app, ["ingest", str(form), "--department", "350102.amr"])
    assert result.exit_code == 1
    assert "已接收" in result.output and "原始区" in result.output and "Traceback" not in result.output
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select outcome from raw.submissions").fetchall() == [("accepted",)]


def test_a_zone_behind_the_warehouse_is_caught_up_by_the_next_publication(tmp_path: Path, catalogue: Catalogue) -> None:
    zone = tmp_path / "zone"
    settings = _settings(tmp_path, zone)
    (outcome,) = _ingest(settings, catalogue, _form(catalogue, tmp_path, "v1.xlsx"))
    # An approval appends an event outside intake; the next publication sees the row count differ.
    with writer(settings.warehouse) as con:
        add_event(con, [outcome.receipt.submission_id], "approved", "审核员", None, pd.Timestamp("2026-11-21 10:00"))
        assert publish(con, settings, []) == ["submission_events"]
    _zone_matches_warehouse(settings, zone)


def test_a_file_named_as_the_zone_is_a_configuration_error(tmp_path: Path) -> None:
    occupied = tmp_path / "zone.txt"
    occupied.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="IPWH_RAW_ZONE"):
        Settings.from_env({"IPWH_HOME": str(tmp_path / "var"), "IPWH_RAW_ZONE": str(occupied)})
    found = Settings.from_env({"IPWH_HOME": str(tmp_path / "var"), "IPWH_RAW_ZONE": str(tmp_path / "z")})
    assert found.raw_zone == tmp_path / "z"
    assert dataclasses.replace(found, raw_zone=None).raw_zone is None


def test_ipwh_paths_shows_the_raw_zone_and_the_marts_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.cli import app

    monkeypatch.setenv("IPWH_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("IPWH_WAREHOUSE", raising=False)
    monkeypatch.setenv("IPWH_RAW_ZONE", str(tmp_path / "zone"))
    monkeypatch.setenv("IPWH_MARTS_SOURCE", f"parquet:{tmp_path / 'marts'}")
    result = CliRunner().invoke(app, ["paths"])
    assert result.exit_code == 0
    assert "IPWH_RAW_ZONE" in result.output and "IPWH_MARTS_SOURCE" in result.output
    monkeypatch.setenv("IPWH_MARTS_SOURCE", "spark")
    refused = CliRunner().invoke(app, ["paths"])
    assert refused.exit_code == 2 and "IPWH_MARTS_SOURCE" in refused.output and "Traceback" not in refused.output


def test_the_portal_queue_is_emptied_when_only_the_zone_fails(tmp_path: Path, catalogue: Catalogue) -> None:
    from sources.intake import queue
    from sources.intake.status import read_status

    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    settings = _settings(tmp_path, blocker / "zone")
    data = _form(catalogue, tmp_path, "portal.xlsx").read_bytes()
    preview = queue.precheck(data, "鼓楼十月.xlsx", "350102.amr", settings, read_status(settings), catalogue)
    queue.enqueue(data, preview, "350102.amr", settings, "portal:gulou")
    outcomes = queue.merge(settings, catalogue)  # recorded: not left queued to come back as a duplicate
    assert outcomes is not None and [o.status for o in outcomes] == ["accepted"]
    assert queue.pending(settings) == [] and not list(queue.queue_root(settings).rglob("*.json"))
    assert "原始区未能更新" in (settings.alerts / "failures.log").read_text(encoding="utf-8")


def test_the_dagster_intake_asset_publishes_the_zone_and_fails_loudly_when_it_cannot(
    tmp_path: Path, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import DagsterInstance, materialize

    from orchestration.intake_assets import INTAKE_OP_NAME, intake_inbox

    home = tmp_path / "var"
    monkeypatch.setenv("IPWH_HOME", str(home))
    monkeypatch.delenv("IPWH_WAREHOUSE", raising=False)
    monkeypatch.setenv("IPWH_TODAY", TODAY.isoformat())
    zone = tmp_path / "zone"
    monkeypatch.setenv("IPWH_RAW_ZONE", str(zone))
    settings = Settings.from_env()
    form = _form(catalogue, tmp_path, "gulou.xlsx")
    dropped = settings.inbox / "350102.amr" / "鼓楼十月.xlsx"
    dropped.parent.mkdir(parents=True)
    dropped.write_bytes(form.read_bytes())
    config = {"ops": {INTAKE_OP_NAME: {"config": {"files": [str(dropped)]}}}}
    with DagsterInstance.ephemeral() as instance:
        assert materialize([intake_inbox], run_config=config, instance=instance).success
    assert "submissions" in _zone_matches_warehouse(settings, zone)
    # The zone's folder becomes unusable: the next file is recorded, and the run fails saying why.
    shutil.rmtree(zone)
    zone.write_text("now a file", encoding="utf-8")
    monkeypatch.setenv("IPWH_RAW_ZONE", str(zone / "inner"))
    again = settings.inbox / "350102.amr" / "鼓楼十月更正.xlsx"
    again.write_bytes(_form(catalogue, tmp_path, "v2.xlsx", trademark_registrations=701).read_bytes())
    config = {"ops": {INTAKE_OP_NAME: {"config": {"files": [str(again)]}}}}
    with DagsterInstance.ephemeral() as instance:
        result = materialize([intake_inbox], run_config=config, instance=instance, raise_on_error=False)
        assert not result.success
        failure = next(e for e in result.all_events if e.is_step_failure)
        error, messages = failure.event_specific_data.error, []
        while error is not None:  # Dagster wraps the asset's exception: the message is in the chain
            messages.append(error.message)
            error = error.cause
        assert any("原始区" in m and "已存入仓库" in m for m in messages), messages
    assert len(_warehouse_table(settings, "submissions")) == 2 and not again.exists()
