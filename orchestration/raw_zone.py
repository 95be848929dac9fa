"""The raw zone as files another engine reads: each raw table as Parquet under <folder>/<table>/.

Spark (or any engine reading Parquet) registers them with the dbt macro register_raw_zone:
    dbt run-operation register_raw_zone --target spark --args '{location: <folder>}'
Written from the warehouse on demand (make test-spark, tests/benchmarks/bench_engines.py); the
intake itself still appends to DuckDB.
"""

from __future__ import annotations

from pathlib import Path

import duckdb


def export_raw_zone(warehouse: Path, folder: Path) -> list[str]:
    """Write every table of the warehouse's raw schema to folder/<table>/part-0.parquet; returns the tables."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        query = "select table_name from duckdb_tables() where schema_name = 'raw' order by 1"
        tables = [row[0] for row in con.execute(query).fetchall()]
        for table in tables:
            (folder / table).mkdir(parents=True, exist_ok=True)
            target = str(folder / table / "part-0.parquet").replace("'", "''")
            con.execute(f"copy raw.{table} to '{target}' (format parquet)")
    return tables
