"""The same dbt project on Apache Spark, figure by figure against DuckDB (make test-spark).

The sample scenario is built on DuckDB (tests/sample_cache.py); its raw tables are exported to
Parquet, registered in a local Spark metastore (dbt run-operation register_raw_zone), and dbt builds
seeds, models and data tests with `--target spark` in this process: one in-process Spark session
(`local[2]`), started by dbt-spark's session method. Then every mart of both builds is compared
(tests/engine_compare.py). Needs the spark extra (pip install -e '.[spark]') and Java 17; collected
only when IPWH_SPARK_TESTS=1 (make test-spark), as the Spark build takes minutes.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.raw_zone import export_raw_zone
from core.settings import DBT_PROJECT_DIR
from tests.engine_compare import compare_tables
from tests.sample_cache import AS_OF, built_sample

pytestmark = pytest.mark.slow


def _dbt(args: list[str], target_path: Path) -> Any:
    from dbt.cli.main import dbtRunner

    started = time.monotonic()
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    common += ["--target", "spark", "--target-path", str(target_path), "--log-path", str(target_path)]
    result = dbtRunner().invoke([*args, *common])
    print(f"dbt {args[0]}: {time.monotonic() - started:.0f} s")
    failed = [
        f"{r.node.unique_id}: {r.status} {r.message or ''}"[:400]
        for r in (result.result or [])
        if hasattr(r, "node") and str(r.status) not in ("success", "pass")
    ]
    assert result.success and not failed, f"dbt {args[0]} on Spark failed: {result.exception}\n" + "\n".join(failed)
    return result


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, Path]:
    """The DuckDB sample warehouse, the Spark session holding the same project built on Spark, and
    the Spark warehouse folder its tables are written to as Parquet."""
    home = built_sample(tmp_path_factory)
    work = tmp_path_factory.mktemp("spark")
    raw = work / "raw"
    assert export_raw_zone(home / "warehouse.duckdb", raw)
    os.environ["IPWH_SPARK_HOME"] = str(work / "spark")
    variables = json.dumps({"as_of": AS_OF.isoformat()})
    target = work / "target"
    _dbt(["run-operation", "register_raw_zone", "--args", json.dumps({"location": str(raw)})], target)
    # Seeds, models and data tests; dbt's unit tests (the models' logic on hand-made rows, about
    # 2 minutes on Spark) run on DuckDB in make test.
    _dbt(["build", "--vars", variables, "--exclude-resource-type", "unit_test"], target)

    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    assert session is not None, "dbt-spark's session is gone"
    return home / "warehouse.duckdb", session, work / "spark" / "warehouse"


def _duckdb_marts(warehouse: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [
            r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        ]
        marts = {}
        for name in names:
            cursor = con.execute(f"select * from marts.{name}")
            marts[name] = ([d[0] for d in cursor.description], cursor.fetchall())
    return marts


def test_spark_builds_every_mart_duckdb_builds_and_the_figures_agree(builds: tuple[Path, Any, Path]) -> None:
    warehouse, spark, _ = builds
    duck = _duckdb_marts(warehouse)
    spark_names = {r.tableName for r in spark.sql("show tables in marts").collect() if not r.isTemporary}
    assert len(duck) >= 10
    assert spark_names == set(duck)
    problems: list[str] = []
    for name, (columns, rows) in sorted(duck.items()):
        frame = spark.table(f"marts.{name}")
        spark_rows = [tuple(r) for r in frame.collect()]
        problems += compare_tables(name, columns, rows, frame.columns, spark_rows)
        print(f"{name}: {len(rows)} rows compared")
    assert problems == [], "\n".join(problems[:60])


def test_the_parquet_files_spark_wrote_read_through_core_marts_agree_with_duckdb(
    builds: tuple[Path, Any, Path],
) -> None:
    """What the site and the returns read with IPWH_MARTS_SOURCE=parquet:<Spark warehouse folder>:
    Spark's own Parquet files, without Spark, figure by figure equal to the DuckDB build."""
    from core.marts import parquet_marts

    warehouse, _, spark_files = builds
    duck = _duckdb_marts(warehouse)
    problems: list[str] = []
    with parquet_marts(spark_files, None) as con:
        found = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' and table_catalog = current_database()"
            ).fetchall()
        }
        assert found == set(duck)
        assert con.execute("select count(*) from catalogue.regions").fetchone()[0] > 10
        for name, (columns, rows) in sorted(duck.items()):
            cursor = con.execute(f"select * from marts.{name}")
            problems += compare_tables(name, columns, rows, [d[0] for d in cursor.description], cursor.fetchall())
    assert problems == [], "\n".join(problems[:60])
