"""The benchmark baselines compute the pipeline's trajectories (DEFINITIONS §2, §4).

(a) plain pandas and (b) one DuckDB query must agree with the worked cases' expected
trajectories, with each other on a small generated delivery, and load exactly the allocation
versions the pipeline's ingestion loads; the guard that stops a baseline running out of time
or memory must stop it.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from benchmarks.baseline_pandas import pandas_trajectories, read_allocations, valid_versions
from benchmarks.baseline_sql import loaded_versions_sql, sql_trajectories
from benchmarks.procmem import MIB, run_guarded
from orchestration.generate import generate_landing
from orchestration.ingest.contract import column_names
from orchestration.ingest.load import ingest_landing
from tests.conftest import CASES, TEST_HMAC_KEY, client_key
from tests.test_ingest_support import OTHER_VALID_BSN, VALID_BSN, alloc, csv_text, make_landing

KEY = TEST_HMAC_KEY.encode()
BASELINES = {"pandas": pandas_trajectories, "sql": sql_trajectories}
GENERATED_PEILDATUM = dt.date(2026, 1, 1)


def rows(frame: pd.DataFrame) -> set[tuple]:
    """(client_key, seq, start, end, status, is_reentry, gap_days) with ISO-text dates."""

    def day(value: object) -> str:
        return "" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()

    return {
        (
            r.client_key,
            int(r.trajectory_seq),
            day(r.start_date),
            day(r.end_date),
            r.status,
            bool(r.is_reentry),
            None if pd.isna(r.gap_days) else int(r.gap_days),
        )
        for r in frame.itertuples()
    }


def expected_cases() -> set[tuple]:
    with (CASES / "expected_trajectories.csv").open() as fh:
        return {
            (
                client_key(r["bsn"]),
                int(r["seq"]),
                r["start_date"],
                r["end_date"],
                r["status"],
                r["is_reentry"] == "true",
                int(r["gap_days"]) if r["gap_days"] else None,
            )
            for r in csv.DictReader(fh)
        }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("generated") / "landing"
    generate_landing(landing, clients=300, seed=7, fmt="csv")
    return landing


@pytest.mark.parametrize("method", sorted(BASELINES))
def test_baseline_reproduces_the_worked_cases(tmp_path: Path, method: str) -> None:
    landing = make_landing(
        tmp_path, {"allocations/cases.csv": (CASES / "allocations.csv").read_text()}
    )
    peildatum = dt.date.fromisoformat((CASES / "peildatum.txt").read_text().strip())
    result = BASELINES[method](landing, peildatum=peildatum, gap_months=6, hmac_key=KEY)
    assert rows(result) == expected_cases()


def test_baselines_agree_on_a_generated_delivery(generated: Path) -> None:
    kwargs = {"peildatum": GENERATED_PEILDATUM, "gap_months": 6, "hmac_key": KEY}
    by_pandas = rows(pandas_trajectories(generated, **kwargs))
    by_sql = rows(sql_trajectories(generated, **kwargs))
    assert by_pandas == by_sql
    assert any(r[5] for r in by_pandas), "the delivery should hold re-entries"
    assert {r[4] for r in by_pandas} == {"ongoing", "ended", "closed"}


def test_baselines_load_the_versions_the_pipeline_loads(generated: Path) -> None:
    """Same §2 row rules: the (file, row) of every loaded allocation version matches raw."""
    con = duckdb.connect()
    ingest_landing(generated, con, hmac_key=KEY, peildatum=GENERATED_PEILDATUM)
    pipeline = set(con.execute("SELECT _file_seq, _source_row FROM raw.allocations").fetchall())
    assert (
        con.execute("SELECT count(*) FROM raw.quarantine WHERE entity = 'allocations'").fetchall()[
            0
        ][0]
        > 0
    ), "the delivery should hold rejected allocation rows"
    versions = valid_versions(read_allocations(generated), GENERATED_PEILDATUM)
    by_pandas = set(zip(versions["file_seq"], versions["source_row"], strict=True))
    by_sql = set(
        duckdb.connect().execute(loaded_versions_sql(generated, GENERATED_PEILDATUM)).fetchall()
    )
    # Files are numbered over the whole landing folder (allocation_requests/ sorts before
    # allocations/): what must agree is the order of the allocation files, not their numbers.
    assert _file_order(by_pandas) == _file_order(pipeline)
    assert _file_order(by_sql) == _file_order(pipeline)


def _file_order(versions: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """(file's rank among the files present, row) of each (file number, row)."""
    rank = {seq: i for i, seq in enumerate(sorted({seq for seq, _ in versions}))}
    return {(rank[seq], row) for seq, row in versions}


@pytest.mark.parametrize("method", sorted(BASELINES))
def test_conflicts_duplicates_and_undated_versions_follow_section_2(
    tmp_path: Path, method: str
) -> None:
    columns = column_names("allocations")
    client = {"bsn": VALID_BSN, "ingangsdatum": "2021-01-01", "einddatum": "2021-03-31"}
    landing = make_landing(
        tmp_path,
        {
            "allocations/a.csv": csv_text(
                [
                    alloc(toewijzingnummer="K1", dagtekening="2021-01-01", **client),
                    # undated: ranks below the dated version whatever the file order
                    alloc(
                        toewijzingnummer="K1",
                        dagtekening="",
                        **{**client, "einddatum": "2021-12-31"},
                    ),
                    # T2's first version; the two versions dated 2021-02-01 conflict
                    alloc(
                        toewijzingnummer="K2",
                        dagtekening="2021-01-05",
                        bsn=OTHER_VALID_BSN,
                        ingangsdatum="2021-01-01",
                        einddatum="2021-01-31",
                    ),
                ],
                columns,
            ),
            "allocations/b.csv": csv_text(
                [
                    # exact duplicate of K1's dated version: loaded once, no conflict
                    alloc(toewijzingnummer="K1", dagtekening="2021-01-01", **client),
                    alloc(
                        toewijzingnummer="K2",
                        dagtekening="2021-02-01",
                        bsn=OTHER_VALID_BSN,
                        ingangsdatum="2021-01-01",
                        einddatum="2021-12-31",
                    ),
                    alloc(
                        toewijzingnummer="K2",
                        dagtekening="2021-02-01",
                        bsn=OTHER_VALID_BSN,
                        ingangsdatum="2021-01-01",
                        einddatum="2021-11-30",
                    ),
                ],
                columns,
                sep=";",
            ),
        },
    )
    result = BASELINES[method](landing, peildatum=dt.date(2024, 1, 1), gap_months=6, hmac_key=KEY)
    assert rows(result) == {
        (client_key(VALID_BSN), 1, "2021-01-01", "2021-03-31", "closed", False, None),
        (client_key(OTHER_VALID_BSN), 1, "2021-01-01", "2021-01-31", "closed", False, None),
    }


@pytest.mark.parametrize("method", sorted(BASELINES))
def test_legacy_category_without_successor_is_not_loaded(tmp_path: Path, method: str) -> None:
    # REFERENCE_DATA: 35 (2015 pleegzorg) loads as jeugdhulp; 38 has no successor: quarantined.
    columns = column_names("allocations")
    landing = make_landing(
        tmp_path,
        {
            "allocations/a.csv": csv_text(
                [
                    alloc(toewijzingnummer="L1", productcategorie="35", bsn=VALID_BSN),
                    alloc(toewijzingnummer="L2", productcategorie="38", bsn=OTHER_VALID_BSN),
                ],
                columns,
            )
        },
    )
    result = BASELINES[method](landing, peildatum=dt.date(2024, 1, 1), gap_months=6, hmac_key=KEY)
    assert {row[0] for row in rows(result)} == {client_key(VALID_BSN)}


def test_guard_stops_a_baseline_at_its_timeout() -> None:
    run = run_guarded([sys.executable, "-c", "import time; time.sleep(600)"], timeout=1.0)
    assert run.stopped_by == "timeout"
    assert not run.finished_ok
    assert run.seconds < 300  # long before the child would have ended (generous: a busy host)


def test_guard_stops_a_baseline_above_its_memory_limit() -> None:
    hog = "import time; block = bytearray(400 * 2**20); time.sleep(600)"
    # the timeout only bounds a broken guard: a busy host may take a while to start the hog
    run = run_guarded([sys.executable, "-c", hog], memory_limit=200 * MIB, timeout=300.0)
    assert run.stopped_by == "memory"
    assert run.peak_rss > 200 * MIB


def test_repeated_runs_are_summarised_by_the_median_published_run() -> None:
    from benchmarks.pipeline import PipelineRun
    from benchmarks.run import median_run, repeat_line

    def run(seconds: float, published: bool = True) -> PipelineRun:
        return PipelineRun(exit_code=0, published=published, seconds=seconds, peak_rss=0)

    three = [run(70.0), run(58.0), run(63.0)]
    assert median_run(three).seconds == 63.0
    assert median_run([run(70.0), run(60.0)]).seconds == 60.0  # the faster middle one
    # a run that did not publish counts as the slowest, whatever its time
    assert median_run([run(10.0, published=False), run(61.0), run(62.0)]).seconds == 62.0
    assert repeat_line(three, median_run(three)) == (
        "3 runs, end-to-end 70.0 s, 58.0 s, 63.0 s; median 63.0 s (the tables below are that run's)"
    )


def test_baselines_option_names_the_baselines_to_run() -> None:
    from benchmarks.run import baseline_methods

    assert baseline_methods("sql,pandas") == ["sql", "pandas"]
    assert baseline_methods(" sql , sql") == ["sql"]
    with pytest.raises(SystemExit, match="unknown baseline"):
        baseline_methods("sql,spark")
