"""End to end through `jeugdhulp run`: the worked cases of DEFINITIONS §4, publication and
privacy of the published file."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from tests.conftest import (
    CASES,
    ROOT,
    SHARED_CASES,
    client_key,
    dbt_log,
    make_landing,
    run_args,
    run_cli,
)

pytestmark = pytest.mark.slow

CONTRACT_COLUMNS = [
    "trajectory_id",
    "client_key",
    "gemeentecode",
    "start_date",
    "end_date",
    "status",
    "duration_days",
    "n_allocations",
    "is_reentry",
    "gap_days",
    "previous_trajectory_id",
]


def _expected(cases: Path) -> list[tuple]:
    with open(cases / "expected_trajectories.csv", encoding="utf-8") as fh:
        return sorted(
            (
                r["bsn"],
                int(r["seq"]),
                r["start_date"],
                r["end_date"],
                r["status"],
                r["is_reentry"] == "true",
                r["gap_days"],
            )
            for r in csv.DictReader(fh)
        )


def _published(warehouse: Path, bsns: set[str]) -> list[tuple]:
    by_key = {client_key(b): b for b in bsns}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select client_key, row_number() over (partition by client_key order by start_date), "
            "start_date, end_date, status, is_reentry, gap_days from marts.fct_trajectories"
        ).fetchall()
    finally:
        con.close()
    return sorted(
        (by_key[k], seq, str(s), str(e) if e else "", st, r, "" if g is None else str(g))
        for k, seq, s, e, st, r, g in rows
    )


def _run_cases(cases: Path, tmp_path: Path) -> tuple[Path, Path]:
    landing = make_landing(tmp_path, allocations=[cases / "allocations.csv"])
    warehouse = tmp_path / "warehouse" / "jeugdhulp.duckdb"
    report = tmp_path / "report.json"
    peildatum = (cases / "peildatum.txt").read_text().strip()
    # the project's instance configuration (orchestration/dagster_storage.py), as `make run`
    shutil.copy(ROOT / ".dagster_home" / "dagster.yaml", tmp_path / "dagster.yaml")
    result = run_cli(
        run_args(landing, warehouse, peildatum=peildatum, report=report),
        env_extra={"DAGSTER_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return warehouse, report


def _bsns(cases: Path) -> set[str]:
    with open(cases / "allocations.csv", encoding="utf-8") as fh:
        return {r["bsn"] for r in csv.DictReader(fh)}


def test_worked_cases_publish_expected_trajectories(tmp_path: Path) -> None:
    warehouse, report = _run_cases(CASES, tmp_path)
    assert _published(warehouse, _bsns(CASES)) == _expected(CASES)

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = 'fct_trajectories' order by ordinal_position"
            ).fetchall()
        ]
        assert columns == CONTRACT_COLUMNS
        # the BSN never reaches the published file: no column, no value
        for schema, table, column in con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall():
            for bsn in _bsns(CASES):
                hits = con.execute(
                    f'select count(*) from "{schema}"."{table}" where "{column}" = ?', [bsn]
                ).fetchall()[0][0]
                assert hits == 0, (schema, table, column, bsn)
        assert not con.execute(
            "select * from information_schema.columns where lower(column_name) in "
            "('bsn', 'geboortedatum')"
        ).fetchall()
        schemas = {
            r[0]
            for r in con.execute(
                "select schema_name from information_schema.schemata "
                "where catalog_name = current_database()"
            ).fetchall()
        }
        assert "raw" not in schemas
    finally:
        con.close()

    # the pipeline keeps a Parquet export and the indicator report beside the warehouse
    export_dir = warehouse.parent / "jeugdhulp_parquet"
    assert (export_dir / "fct_trajectories.parquet").is_file()
    assert (warehouse.parent / "jeugdhulp_report.html").is_file()
    # … and the analyst commands write them anywhere
    out = tmp_path / "export"
    result = run_cli(["export", "--warehouse", str(warehouse), "--out", str(out)])
    assert result.returncode == 0, result.stderr
    assert duckdb.sql(f"select count(*) from '{out / 'fct_trajectories.parquet'}'").fetchall() == [
        (len(_expected(CASES)),)
    ]
    html = tmp_path / "report.html"
    result = run_cli(["report", "--warehouse", str(warehouse), "--out", str(html)])
    assert result.returncode == 0, result.stderr
    assert "<html" in html.read_text(encoding="utf-8")[:500].lower()

    data = json.loads(report.read_text())
    assert data["published"] is True and data["failed_checks"] == []
    _assert_asset_metadata(tmp_path, warehouse)
    _assert_dbt_log_without_statements(data["run_id"])
    [f] = data["files"]
    assert f["rows_read"] == 20
    assert f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"] + f["rows_duplicate"]


def test_a_new_peildatum_reaches_dbt_without_a_full_parse(tmp_path: Path) -> None:
    """The nightly case: the same warehouse and settings, another day. The second run starts
    from the first run's parse (no full parse: the peildatum is read when dbt executes, macros/
    peildatum.sql) and its statuses are those of its own peildatum, not the first run's."""
    landing = make_landing(tmp_path, allocations=[CASES / "allocations.csv"])
    warehouse = tmp_path / "warehouse" / "jeugdhulp.duckdb"
    shutil.copy(ROOT / ".dagster_home" / "dagster.yaml", tmp_path / "dagster.yaml")
    env = {"DAGSTER_HOME": str(tmp_path)}
    runs = []
    for peildatum in ("2031-01-01", (CASES / "peildatum.txt").read_text().strip()):
        report = tmp_path / f"report-{peildatum}.json"
        result = run_cli(run_args(landing, warehouse, peildatum=peildatum, report=report), env)
        assert result.returncode == 0, result.stderr[-4000:]
        runs.append(json.loads(report.read_text())["run_id"])
        published = _published(warehouse, _bsns(CASES))
        # 2031: every trajectory of the cases is closed; the cases' own date gives their statuses
        assert (published == _expected(CASES)) == (peildatum != "2031-01-01")
    unable = [e for e in dbt_log(runs[1]) if e["info"]["name"] == "UnableToPartialParse"]
    assert unable == [], unable[0]["info"]["msg"] if unable else None


def _assert_dbt_log_without_statements(run_id: str) -> None:
    """The run's dbt.log is written at `info` (DEFAULT_DBT_LOG_LEVEL_FILE): no debug lines, so
    not every SQL statement dbt sends."""
    from orchestration.dbt import DEFAULT_DBT_LOG_LEVEL_FILE

    assert DEFAULT_DBT_LOG_LEVEL_FILE == "info"
    levels = {event["info"]["level"] for event in dbt_log(run_id)}
    assert "info" in levels and "debug" not in levels, levels


def _assert_asset_metadata(dagster_home: Path, warehouse: Path) -> None:
    """What the UI shows: every dbt table's row count as built, the published tables' previews."""
    from dagster import AssetKey, DagsterInstance

    working_db = warehouse.parent / f".{warehouse.stem}.working.duckdb"
    with (
        # the project's dagster.yaml places the storage under $DAGSTER_HOME
        mock.patch.dict(os.environ, {"DAGSTER_HOME": str(dagster_home)}),
        DagsterInstance.from_config(str(dagster_home)) as instance,
        duckdb.connect(str(working_db), read_only=True) as con,
    ):
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('reference', 'intermediate', 'indicator_cells', 'marts')"
        ).fetchall()
        assert len(tables) > 50
        for schema, table in tables:
            event = instance.get_latest_materialization_event(AssetKey([schema, table]))
            assert event is not None, (schema, table)
            metadata = event.asset_materialization.metadata
            n = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
            assert metadata["dagster/row_count"].value == n, (schema, table)
        # how the run wrote the declaration lines (a first run: in full)
        raw = instance.get_latest_materialization_event(AssetKey(["raw", "declarations"]))
        lines = con.execute("select count(*) from raw.declarations").fetchall()[0][0]
        assert raw.asset_materialization.metadata["written"].value == (
            f"raw.declarations written in full: {lines} rows"
        )
        published = instance.get_latest_materialization_event(AssetKey(["published", "warehouse"]))
        metadata = published.asset_materialization.metadata
        assert "client_key" in metadata["preview fct_trajectories"].value
        assert "recidive" in metadata["latest_vs_target"].value


@pytest.mark.skipif(
    not SHARED_CASES.is_dir(), reason="../shared/spec/cases not present (users' clones have none)"
)
def test_shared_worked_cases_still_match(tmp_path: Path) -> None:
    """The project's fixture copy may lag the shared spec: run the originals too when present."""
    warehouse, _ = _run_cases(SHARED_CASES, tmp_path)
    assert _published(warehouse, _bsns(SHARED_CASES)) == _expected(SHARED_CASES)


def test_run_without_key_on_real_data_refuses_naming_the_variable(tmp_path: Path) -> None:
    landing = make_landing(tmp_path, allocations=[CASES / "allocations.csv"])
    result = run_cli(
        run_args(landing, tmp_path / "w.duckdb"),
        env_extra={"JEUGDHULP_HMAC_KEY": "", "DAGSTER_HOME": str(tmp_path)},
    )
    assert result.returncode == 2
    assert "JEUGDHULP_HMAC_KEY" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()


QUERIES = Path(__file__).resolve().parent.parent / "docs" / "queries"


def test_documented_example_queries_run_on_a_published_warehouse(tmp_path: Path) -> None:
    """Every analyst query in docs/queries runs; the per-indicator ones for every indicator."""
    warehouse, _ = _run_cases(CASES, tmp_path)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        codes = [
            r[0] for r in con.execute("select indicator_code from marts.dim_indicators").fetchall()
        ]
        assert len(codes) >= 32
        years = [
            r[0]
            for r in con.execute(
                "select distinct period_year from marts.fct_indicator_values"
            ).fetchall()
        ] or [2023]
        files = sorted(QUERIES.glob("*.sql"))
        assert len(files) >= 7
        for path in files:
            sql = path.read_text(encoding="utf-8")
            if "$indicator_code" in sql:
                for code in codes:
                    params = {"indicator_code": code}
                    if "$period_year" in sql:
                        params["period_year"] = max(years)
                    con.execute(sql, params).fetchall()
            else:
                con.execute(sql).fetchall()
        recidive = con.execute(
            (QUERIES / "indicator_trend.sql").read_text(), {"indicator_code": "recidive"}
        ).fetchall()
        assert recidive, "the worked cases have re-entries, so recidive has rows"
        reentries = con.execute((QUERIES / "reentries_per_year.sql").read_text()).fetchall()
        assert [(int(y), n) for y, n, *_ in reentries] == [(2020, 1), (2021, 2), (2023, 1)]
    finally:
        con.close()
