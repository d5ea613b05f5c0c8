"""The spill benchmark's sort runs on a working database as the ingest writes it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from benchmarks.spill import _child
from orchestration.ingest.load import ingest_landing
from tests.test_ingest_support import KEY, PEILDATUM, alloc, csv_text, decl, make_landing


def test_the_sort_reads_every_declaration_line_of_a_working_database(tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path,
        {
            "allocations/a.csv": csv_text([alloc()]),
            "declarations/d.csv": csv_text(
                [
                    decl(declaratienummer="D2", begindatum="2023-02-01", einddatum="2023-02-28"),
                    decl(declaratienummer="D1"),
                ]
            ),
        },
    )
    db = tmp_path / "working.duckdb"
    con = duckdb.connect(str(db))
    ingest_landing(landing, con, hmac_key=KEY, peildatum=PEILDATUM)
    con.close()
    out = tmp_path / "sorted.parquet"
    assert _child(str(db), "1GB", str(tmp_path / "spill"), 1, str(out)) == 0
    rows = duckdb.sql(f"SELECT declaratienummer FROM read_parquet('{out}')").fetchall()
    assert rows == [("D1",), ("D2",)]
