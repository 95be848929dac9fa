"""The raw zone exported as Parquet for another engine: every raw table, every row, same values."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.raw_zone import export_raw_zone
from sources.intake.raw_schema import ensure_raw_schema


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
