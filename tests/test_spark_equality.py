"""The dbt models give the same marts on Apache Spark (dbt-spark) as on DuckDB (docs/SPARK.md).

One raw data set — the worked cases of DEFINITIONS §4 plus 300 generated clients — is ingested
into a DuckDB working database. dbt builds it there (target `duckdb`), and on a local Spark
session (target `spark`, seeds, models, unit and data tests) after the raw tables are exported
to Parquet and registered as `raw.allocations` / `raw.declarations`. Every mart must then hold
the same rows on both engines. Spark's catalog, warehouse, dbt target and logs live in a tmp dir.

Run with `pytest -m spark`; skipped when pyspark, dbt-spark or Java are missing.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import CASES, ROOT, TEST_HMAC_KEY, client_key

DBT_PROJECT_DIR = ROOT / "dbt_project"
PEILDATUM = (CASES / "peildatum.txt").read_text().strip()
CORE_MARTS = (
    "fct_trajectories",
    "fct_segment_trajectories",
    "fct_allocations",
    "fct_declarations_monthly",
)
INDICATOR_MART = "fct_indicator_values"
# Unit tests that cannot run on Spark carry this tag (docs/SPARK.md); none do today.
SPARK_EXCLUDE = ["--exclude", "tag:duckdb_only"]
# Doubles (the monthly fact's volume, hours and care days) are sums of whole numbers, hours
# divided by 60 once (macros/units.sql): equal to the last bit whatever order an engine adds in.
# Exact numbers (DECIMAL) are rounded by the models (indicator values to 4 places). A value that
# is exactly half-way rounds differently: DuckDB divides DECIMALs as DOUBLE (5410.346249… →
# 5410.3462), Spark as DECIMAL (5410.34625 → 5410.3463). One unit in the 4th place is allowed.
DECIMAL_ABS_TOL = 1e-4 + 1e-9


def _java_available() -> bool:
    return bool(os.environ.get("JAVA_HOME")) or shutil.which("java") is not None


def _spark_available() -> bool:
    try:
        return (
            importlib.util.find_spec("pyspark") is not None
            and importlib.util.find_spec("dbt.adapters.spark") is not None
        )
    except ModuleNotFoundError:
        return False


pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(not _spark_available(), reason="pyspark / dbt-spark not installed"),
    pytest.mark.skipif(not _java_available(), reason="Spark needs Java (JAVA_HOME or java)"),
]


# --------------------------------------------------------------------------- builds
def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JEUGDHULP_", "DBT_"))}
    env.update(
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
        PYTHONPATH=str(ROOT),
        SPARK_LOCAL_IP="127.0.0.1",
    )
    env.update(extra)
    return env


def _dbt_flags(work: Path, target: str) -> list[str]:
    return [
        "--target",
        target,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--vars",
        json.dumps({"peildatum": PEILDATUM}),
    ]


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    (cwd / "output.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    return result


def _working_database(tmp: Path) -> Path:
    """Worked cases + 300 generated clients, ingested (§2) into a DuckDB working database."""
    from orchestration.generate import generate_landing
    from orchestration.ingest.load import ingest_landing

    landing = tmp / "landing"
    generate_landing(landing, clients=300, seed=42)
    shutil.copy(CASES / "allocations.csv", landing / "allocations" / "worked_cases.csv")
    working_db = tmp / "working.duckdb"
    con = duckdb.connect(str(working_db))
    try:
        ingest_landing(
            landing,
            con,
            hmac_key=TEST_HMAC_KEY.encode(),
            peildatum=dt.date.fromisoformat(PEILDATUM),
        )
    finally:
        con.close()
    return working_db


class Build:
    """One engine's dbt build: its run results and a way to read the marts it produced."""

    def __init__(self, work: Path, reader: Any, result: subprocess.CompletedProcess) -> None:
        self.work = work
        self.read = reader
        self.returncode = result.returncode
        self.results: dict[str, str] = {}
        run_results = work / "target" / "run_results.json"
        if run_results.is_file():
            for r in json.loads(run_results.read_text())["results"]:
                self.results[r["unique_id"]] = r["status"]
        manifest = work / "target" / "manifest.json"
        self.manifest = json.loads(manifest.read_text()) if manifest.is_file() else {}

    def log_tail(self) -> str:
        return (self.work / "output.log").read_text(encoding="utf-8")[-3000:]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    from orchestration.publish import attach_publication
    from orchestration.spark import RAW_TABLES, export_raw_tables

    tmp = tmp_path_factory.mktemp("spark_equality")
    working_db = _working_database(tmp)

    duck = tmp / "duckdb"
    duck.mkdir()
    duck_result = _run(
        # unit and data tests on DuckDB are the main suite's job; here only what Spark is compared to
        [
            sys.executable,
            "-m",
            "dbt.cli.main",
            "build",
            *_dbt_flags(duck, "duckdb"),
            "--exclude-resource-type",
            "unit_test",
            "test",
        ],
        cwd=duck,
        env=_env(JEUGDHULP_WORKING_DB=str(working_db)),
    )

    raw_parquet = export_raw_tables(working_db, tmp / "raw_parquet")
    assert set(raw_parquet) == set(RAW_TABLES)
    spark = tmp / "spark"
    spark.mkdir()
    spark_result = _run(
        [
            sys.executable,
            "-m",
            "orchestration.spark",
            "--raw-parquet",
            str(tmp / "raw_parquet"),
            "--export-dir",
            str(spark / "marts"),
            "--",
            "build",
            *_dbt_flags(spark, "spark"),
            *SPARK_EXCLUDE,
        ],
        cwd=spark,
        env=_env(
            JEUGDHULP_SPARK_WAREHOUSE_DIR=str(spark / "warehouse"),
            JEUGDHULP_SPARK_METASTORE_DIR=str(spark / "metastore_db"),
            JEUGDHULP_SPARK_THREADS="2",
        ),
    )

    def read_duckdb(table: str) -> tuple[list[str], list[tuple]]:
        con = duckdb.connect(str(working_db), read_only=True)
        try:
            # the DuckDB build puts the marts into the publication beside the working database
            assert attach_publication(con, Path(f"{working_db}.publication"))
            cur = con.execute(f"select * from marts.{table}")
            return [d[0] for d in cur.description], cur.fetchall()
        finally:
            con.close()

    def read_spark(table: str) -> tuple[list[str], list[tuple]]:
        folder = spark / "marts" / table
        assert folder.is_dir(), f"Spark build did not produce marts.{table}"
        con = duckdb.connect()
        try:
            cur = con.execute("select * from read_parquet(?)", [str(folder / "*.parquet")])
            return [d[0] for d in cur.description], cur.fetchall()
        finally:
            con.close()

    return {
        "duckdb": Build(duck, read_duckdb, duck_result),
        "spark": Build(spark, read_spark, spark_result),
    }


# --------------------------------------------------------------------------- helpers
def _ancestors(manifest: dict, node_ids: Iterable[str]) -> set[str]:
    parents = manifest["parent_map"]
    seen: set[str] = set()
    todo = list(node_ids)
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(parents.get(node, []))
    return seen


def _depends_on(manifest: dict, unique_id: str) -> list[str]:
    node = manifest["nodes"].get(unique_id) or manifest.get("unit_tests", {}).get(unique_id, {})
    return node.get("depends_on", {}).get("nodes", [])


def _nodes_of(build: Build, marts: Iterable[str]) -> dict[str, str]:
    """Run status of the marts, everything upstream of them, and the unit and data tests that
    test only those."""
    scope = _ancestors(build.manifest, (f"model.jeugdhulp.{m}" for m in marts))
    selected = {}
    for unique_id, status in build.results.items():
        if unique_id in scope:
            selected[unique_id] = status
        elif unique_id.split(".")[0] in ("test", "unit_test"):
            parents = _depends_on(build.manifest, unique_id)
            if parents and set(parents) <= scope:
                selected[unique_id] = status
    return selected


def _assert_built(build: Build, marts: Iterable[str]) -> None:
    marts = list(marts)
    assert build.results, f"no dbt run results:\n{build.log_tail()}"
    statuses = _nodes_of(build, marts)
    for mart in marts:
        assert f"model.jeugdhulp.{mart}" in statuses, f"{mart} was not built"
    failed = {k: v for k, v in statuses.items() if v not in ("success", "pass")}
    assert not failed, f"failed or skipped: {failed}\n{build.log_tail()}"


def _normal(value: Any) -> Any:
    """One comparable form per value: ISO strings for dates (a timestamp where a date is
    expected keeps its time and so shows up as a difference); other values as they are."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _is_fractional(value: Any) -> bool:
    return isinstance(value, float | Decimal)


def _sort_key(row: tuple) -> tuple:
    """Orders rows independently of float noise and nulls."""
    return tuple(
        (0, "") if v is None else (1, round(float(v), 6)) if _is_fractional(v) else (2, str(v))
        for v in row
    )


def _same_value(a: Any, b: Any) -> bool:
    if _is_fractional(a) or _is_fractional(b):
        if not (_is_fractional(a) or isinstance(a, int)) or isinstance(a, bool):
            return False
        if not (_is_fractional(b) or isinstance(b, int)) or isinstance(b, bool):
            return False
        if Decimal in (type(a), type(b)):
            return math.isclose(float(a), float(b), rel_tol=0, abs_tol=DECIMAL_ABS_TOL)
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def _assert_same_mart(builds: dict[str, Build], table: str) -> int:
    duck_cols, duck_rows = builds["duckdb"].read(table)
    spark_cols, spark_rows = builds["spark"].read(table)
    assert spark_cols == duck_cols
    duck = sorted((tuple(_normal(v) for v in r) for r in duck_rows), key=_sort_key)
    spark = sorted((tuple(_normal(v) for v in r) for r in spark_rows), key=_sort_key)
    assert len(spark) == len(duck), f"{table}: {len(spark)} rows on Spark, {len(duck)} on DuckDB"
    differences = [
        (d, s)
        for d, s in zip(duck, spark, strict=True)
        if not all(_same_value(x, y) for x, y in zip(d, s, strict=True))
    ]
    assert not differences, f"{table}: {len(differences)} rows differ, e.g. {differences[:3]}"
    return len(duck)


# --------------------------------------------------------------------------- tests
def test_both_engines_build_the_core_marts_and_spark_passes_their_unit_and_data_tests(
    builds: dict[str, Build],
) -> None:
    for build in builds.values():
        _assert_built(build, CORE_MARTS)
    spark_tests = _nodes_of(builds["spark"], CORE_MARTS)
    assert any(k.startswith("unit_test.") for k in spark_tests), "no unit tests ran on Spark"
    assert any(k.startswith("test.") for k in spark_tests), "no data tests ran on Spark"


def test_worked_cases_give_the_expected_trajectories_on_spark(builds: dict[str, Build]) -> None:
    """DEFINITIONS §4 worked cases, read from the Spark mart (not only equal to DuckDB)."""
    _assert_built(builds["spark"], ["fct_trajectories"])
    with open(CASES / "expected_trajectories.csv", encoding="utf-8") as fh:
        expected_rows = list(csv.DictReader(fh))
    by_key = {client_key(r["bsn"]): r["bsn"] for r in expected_rows}
    expected = sorted(
        (
            r["bsn"],
            r["start_date"],
            r["end_date"] or None,
            r["status"],
            r["is_reentry"] == "true",
            int(r["gap_days"]) if r["gap_days"] else None,
        )
        for r in expected_rows
    )
    cols, rows = builds["spark"].read("fct_trajectories")
    i = {c: cols.index(c) for c in cols}
    published = sorted(
        (
            by_key[row[i["client_key"]]],
            row[i["start_date"]].isoformat(),
            row[i["end_date"]].isoformat() if row[i["end_date"]] else None,
            row[i["status"]],
            row[i["is_reentry"]],
            row[i["gap_days"]],
        )
        for row in rows
        if row[i["client_key"]] in by_key
    )
    assert published == expected


@pytest.mark.parametrize("table", CORE_MARTS)
def test_mart_is_equal_on_duckdb_and_spark(builds: dict[str, Build], table: str) -> None:
    for build in builds.values():
        _assert_built(build, [table])
    assert _assert_same_mart(builds, table) > 0, f"{table} is empty: the comparison proves nothing"


def test_indicator_values_are_equal_on_duckdb_and_spark(builds: dict[str, Build]) -> None:
    if f"model.jeugdhulp.{INDICATOR_MART}" not in builds["duckdb"].manifest.get("nodes", {}):
        pytest.skip(f"{INDICATOR_MART} does not exist in this project yet")
    for build in builds.values():
        _assert_built(build, [INDICATOR_MART])
    assert _assert_same_mart(builds, INDICATOR_MART) > 0
