"""Run the dbt models on Apache Spark (dbt-spark, target `spark`; docs/SPARK.md).

The ingestion writes the raw tables (DEFINITIONS §2) into the DuckDB working database. On Spark
the models read them from database `raw`; this module moves them there:

- `export_raw_tables` copies the raw tables (RAW_TABLES) of a DuckDB working database
  to Parquet (one folder per table);
- `register_raw_tables` registers such folders as external tables `raw.<table>` of a Spark
  session (on a cluster: the session of a notebook or job);
- `python -m orchestration.spark --raw-parquet DIR -- build …` opens the session the dbt
  profile describes (target `spark`, method `session`), registers the raw tables in it and runs
  dbt in the same process, so dbt sees them; `--export-dir` then copies the tables that exist
  to Parquet (also when dbt failed part of the build).

The raw tables still hold the BSN (§7): keep their Parquet folders where the working database
would be, never next to published data. pyspark is only imported when a session is needed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.sql import quote_literal

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import SparkSession

RAW_DATABASE = "raw"
RAW_TABLES = (
    "allocations",
    "declarations",
    "clients",
    # the rest of the message cycle (DEFINITIONS §2.1); empty tables when nothing was delivered
    "care_starts",
    "care_stops",
    "allocation_requests",
    "declaration_responses",
    "outcome_reports",
)
# The published marts (DEFINITIONS §4–§6); fct_indicator_values only once the indicators exist.
MART_TABLES = (
    "marts.fct_trajectories",
    "marts.fct_segment_trajectories",
    "marts.fct_allocations",
    "marts.fct_declarations_monthly",
    "marts.fct_indicator_values",
)


def _sql_string(value: str) -> str:
    """A single-quoted SQL string literal (backslash and quote escaped, valid in Spark SQL)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def export_raw_tables(
    working_db: Path | duckdb.DuckDBPyConnection,
    parquet_dir: Path,
    tables: Sequence[str] = RAW_TABLES,
) -> dict[str, Path]:
    """Copy `raw.<table>` of a DuckDB working database to `parquet_dir/<table>/part-0.parquet`.

    `working_db` is the database file (opened read-only) or an open connection. Returns the
    folder written per table; an existing folder is replaced.
    """
    import duckdb

    con = (
        duckdb.connect(str(working_db), read_only=True)
        if isinstance(working_db, str | Path)
        else working_db
    )
    written: dict[str, Path] = {}
    try:
        for table in tables:
            folder = Path(parquet_dir) / table
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("*.parquet"):
                old.unlink()
            target = (folder / "part-0.parquet").resolve()
            con.execute(
                f"COPY (SELECT * FROM {RAW_DATABASE}.{table}) TO {quote_literal(str(target))} "
                "(FORMAT parquet)"
            )
            written[table] = folder.resolve()
    finally:
        if isinstance(working_db, str | Path):
            con.close()
    return written


def register_raw_tables(
    spark: SparkSession,
    parquet_dir: Path,
    tables: Sequence[str] = RAW_TABLES,
    database: str = RAW_DATABASE,
) -> list[str]:
    """Register `parquet_dir/<table>/` as the external Parquet table `<database>.<table>`.

    Creates the database when missing and replaces an existing table of that name (dropping an
    external table leaves its files alone). Returns the qualified table names.
    """
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
    registered = []
    for table in tables:
        folder = (Path(parquet_dir) / table).resolve()
        if not folder.is_dir():
            raise FileNotFoundError(f"No Parquet folder for raw table {table}: {folder}")
        name = f"{database}.{table}"
        spark.sql(f"DROP TABLE IF EXISTS {name}")
        spark.sql(f"CREATE TABLE {name} USING parquet LOCATION {_sql_string(folder.as_uri())}")
        registered.append(name)
    return registered


def export_tables(spark: SparkSession, tables: Iterable[str], out_dir: Path) -> dict[str, Path]:
    """Write each existing table (`database.table`) to the Parquet folder `out_dir/<table>/`
    (overwritten); tables that do not exist are left out of the result."""
    written: dict[str, Path] = {}
    for qualified in tables:
        if not spark.catalog.tableExists(qualified):
            continue
        folder = (Path(out_dir) / qualified.split(".")[-1]).resolve()
        spark.table(qualified).write.mode("overwrite").parquet(folder.as_uri())
        written[qualified] = folder
    return written


def profile_session(extra_dbt_args: Sequence[str] = ()) -> SparkSession:
    """The Spark session of the dbt profile's target (method `session`), in this process.

    `dbt debug --connection` connects with the profile's `server_side_parameters` (master,
    warehouse and metastore location, …), which creates the session; later dbt invocations in
    this process reuse it. Project, profiles dir and target come from `extra_dbt_args` or the
    DBT_PROJECT_DIR / DBT_PROFILES_DIR / DBT_TARGET environment variables.
    """
    from dbt.cli.main import dbtRunner
    from pyspark.sql import SparkSession

    result = dbtRunner().invoke(["debug", "--connection", *extra_dbt_args])
    if not result.success:
        raise RuntimeError("dbt debug --connection failed: is the target a Spark session one?")
    return SparkSession.builder.getOrCreate()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.spark",
        description="Register raw Parquet tables in the dbt profile's Spark session, run dbt.",
        epilog="Example: python -m orchestration.spark --raw-parquet raw_parquet -- "
        "build --target spark --project-dir dbt_project --profiles-dir dbt_project",
    )
    parser.add_argument(
        "--raw-parquet", type=Path, help="folder with allocations/, declarations/, clients/"
    )
    parser.add_argument("--export-dir", type=Path, help="after dbt, copy tables to Parquet here")
    parser.add_argument(
        "--export",
        nargs="*",
        default=list(MART_TABLES),
        metavar="DATABASE.TABLE",
        help="tables for --export-dir (default: the marts)",
    )
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help="dbt command, after --")
    return parser


def _connection_args(dbt_args: Sequence[str]) -> list[str]:
    """The flags of a dbt command that `dbt debug` needs to find the same connection."""
    wanted = {"--project-dir", "--profiles-dir", "--target", "-t", "--profile", "--log-path"}
    picked: list[str] = []
    args = list(dbt_args)
    for i, arg in enumerate(args):
        name = arg.split("=", 1)[0]
        if name in wanted:
            picked.append(arg)
            if "=" not in arg and i + 1 < len(args):
                picked.append(args[i + 1])
    return picked


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns 0 when dbt succeeded, 1 otherwise."""
    args = _parser().parse_args(argv)
    dbt_args = [a for a in args.dbt_args if a != "--"] or ["build"]
    spark = profile_session(_connection_args(dbt_args[1:]))
    if args.raw_parquet is not None:
        for name in register_raw_tables(spark, args.raw_parquet):
            print(f"registered {name} from {args.raw_parquet}", file=sys.stderr)

    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(dbt_args)
    # also after a partial failure: the tables dbt did build can still be inspected
    if args.export_dir is not None:
        for name, folder in export_tables(spark, args.export, args.export_dir).items():
            print(f"exported {name} to {folder}", file=sys.stderr)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
