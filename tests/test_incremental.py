"""The nightly increment: only new or changed files are read, and the raw layer is exactly what
a full rebuild gives (DEFINITIONS §2 decided over all files: latest version wins across files,
exact duplicates across files, conflicting versions, unknown allocations, credits).

Each test ingests a base delivery, changes the landing folder the way a night does, ingests
again on the same database (reusing the landed-file cache), and compares every raw table with
a full ingest of the same folder into a fresh database.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import incremental, load, validate
from orchestration.ingest.contract import column_names
from orchestration.ingest.hashing import client_key
from orchestration.ingest.load import ingest_landing
from orchestration.ingest.readers import LandingFileError
from orchestration.ingest.report import RawUpdate
from orchestration.ingest.validate import is_valid_bsn
from tests.test_ingest_support import (
    KEY,
    OTHER_VALID_BSN,
    PEILDATUM,
    VALID_BSN,
    alloc,
    csv_text,
    decl,
    make_landing,
    raw_snapshot,
)


def allocations_csv(*rows: dict[str, str]) -> str:
    return csv_text(list(rows), column_names("allocations"))


def declarations_csv(*rows: dict[str, str]) -> str:
    return csv_text(list(rows), column_names("declarations"))


BASE = {
    "allocations/2023-01.csv": allocations_csv(
        alloc(toewijzingnummer="T001"),
        alloc(toewijzingnummer="T002", bsn=OTHER_VALID_BSN, dagtekening="2023-01-10"),
        alloc(toewijzingnummer="T003", dagtekening="2023-01-05", volume="10"),
    ),
    "declarations/2023-01.csv": declarations_csv(
        decl(declaratienummer="D001"),
        decl(declaratienummer="D002", toewijzingnummer="T009"),  # unknown allocation (yet)
        decl(declaratienummer="D003", toewijzingnummer="T002", bsn=OTHER_VALID_BSN, bedrag="1000"),
    ),
}

NEW_MONTH = {
    "allocations/2023-02.csv": allocations_csv(
        # a later version of T001 wins
        alloc(toewijzingnummer="T001", einddatum="2023-06-30", dagtekening="2023-02-01"),
        # T002 withdrawn: end before start
        alloc(
            toewijzingnummer="T002",
            bsn=OTHER_VALID_BSN,
            einddatum="2022-12-31",
            dagtekening="2023-02-02",
        ),
        # same dagtekening as the delivered T003 version, other content: both are quarantined
        alloc(toewijzingnummer="T003", dagtekening="2023-01-05", volume="12"),
        # the allocation the delivered D002 named: D002 now loads
        alloc(toewijzingnummer="T009", dagtekening="2023-02-03"),
        # an exact duplicate of a delivered row
        alloc(toewijzingnummer="T001"),
    ),
    # sorts before 2023-01.csv: every later file is renumbered, and this copy of T002 becomes
    # the first occurrence, so the delivered one turns into the duplicate
    "allocations/2022-12-late.csv": allocations_csv(
        alloc(toewijzingnummer="T002", bsn=OTHER_VALID_BSN, dagtekening="2023-01-10"),
    ),
    "declarations/2023-02.csv": declarations_csv(
        decl(
            declaratienummer="C001",
            debet_credit="C",
            vorig_declaratienummer="D003",
            toewijzingnummer="T002",
            bsn=OTHER_VALID_BSN,
            bedrag="400",
        ),
        decl(
            declaratienummer="C002",
            debet_credit="C",
            vorig_declaratienummer="D003",
            toewijzingnummer="T002",
            bsn=OTHER_VALID_BSN,
            bedrag="700",
        ),  # 400 + 700 > 1000: exceeds the debit
        decl(declaratienummer="D004", begindatum="2023-02-01", einddatum="2023-02-28"),
    ),
}


def run(
    landing: Path, con: duckdb.DuckDBPyConnection, *, full_refresh: bool = False
) -> duckdb.DuckDBPyConnection:
    ingest_landing(landing, con, hmac_key=KEY, peildatum=PEILDATUM, full_refresh=full_refresh)
    return con


def full_rebuild(landing: Path) -> dict[str, list[tuple]]:
    return raw_snapshot(run(landing, duckdb.connect()))


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files actually parsed by a reader, in order."""
    seen: list[str] = []
    original = incremental.land_file

    def counting(con, file, table):  # type: ignore[no-untyped-def]
        seen.append(file.rel)
        return original(con, file, table)

    monkeypatch.setattr(incremental, "land_file", counting)
    return seen


def write(landing: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (landing / rel).write_text(text, encoding="utf-8")


def test_unchanged_files_are_not_read_again(tmp_path: Path, reads: list[str]) -> None:
    landing = make_landing(tmp_path, BASE)
    con = run(landing, duckdb.connect())
    first = raw_snapshot(con)
    reads.clear()
    assert raw_snapshot(run(landing, con)) == first
    assert reads == []


def test_new_month_gives_the_raw_tables_of_a_full_rebuild(tmp_path: Path, reads: list[str]) -> None:
    landing = make_landing(tmp_path, BASE)
    con = run(landing, duckdb.connect())
    reads.clear()
    write(landing, NEW_MONTH)
    incremental_result = raw_snapshot(run(landing, con))
    assert sorted(reads) == sorted(NEW_MONTH)
    assert incremental_result == full_rebuild(landing)
    # the night changed the fate of rows delivered before it, as a full rebuild does
    quarantine = con.execute("SELECT source_file, rule FROM raw.quarantine ORDER BY ALL").fetchall()
    assert ("allocations/2023-01.csv", "conflicting_versions") in quarantine
    assert ("declarations/2023-02.csv", "credit_exceeds_debit") in quarantine
    assert con.execute(
        "SELECT count(*) FROM raw.declarations WHERE declaratienummer = 'D002'"
    ).fetchall() == [(1,)]
    files = dict(con.execute("SELECT path, rows_duplicate FROM raw.ingest_files").fetchall())
    assert files["allocations/2023-01.csv"] == 1  # its T002 now repeats the earlier file's
    assert con.execute(
        "SELECT DISTINCT _file_seq FROM raw.allocations "
        "WHERE _source_file = 'allocations/2023-01.csv'"
    ).fetchall() == [(2,)]


def test_changed_file_with_same_size_and_time_is_read_again(
    tmp_path: Path, reads: list[str]
) -> None:
    landing = make_landing(tmp_path, BASE)
    con = run(landing, duckdb.connect())
    path = landing / "allocations" / "2023-01.csv"
    stat = path.stat()
    changed = path.read_text().replace("2023-01-10", "2023-01-11")
    assert len(changed) == stat.st_size
    path.write_text(changed)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    reads.clear()
    result = raw_snapshot(run(landing, con))
    assert reads == ["allocations/2023-01.csv"]
    assert result == full_rebuild(landing)


def test_removed_file_is_forgotten(tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {**BASE, **NEW_MONTH})
    con = run(landing, duckdb.connect())
    (landing / "allocations" / "2023-02.csv").unlink()
    assert raw_snapshot(run(landing, con)) == full_rebuild(landing)
    assert (
        con.execute(
            f"SELECT rel FROM {incremental.FILES_TABLE} WHERE rel = 'allocations/2023-02.csv'"
        ).fetchall()
        == []
    )


def test_full_refresh_reads_every_file(tmp_path: Path, reads: list[str]) -> None:
    landing = make_landing(tmp_path, BASE)
    con = run(landing, duckdb.connect())
    reads.clear()
    result = raw_snapshot(run(landing, con, full_refresh=True))
    assert sorted(reads) == sorted(BASE)
    assert result == full_rebuild(landing)


def test_changed_reader_code_reads_every_file(
    tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = make_landing(tmp_path, BASE)
    con = run(landing, duckdb.connect())
    reads.clear()
    monkeypatch.setattr(incremental, "reader_version", lambda: "another reader")
    run(landing, con)
    assert sorted(reads) == sorted(BASE)


def test_unreadable_new_file_stops_the_run_and_keeps_the_cache(
    tmp_path: Path, reads: list[str]
) -> None:
    landing = make_landing(tmp_path, BASE)
    con = run(landing, duckdb.connect())
    before = raw_snapshot(con)
    (landing / "allocations" / "2023-03.csv").write_bytes(b"")
    with pytest.raises(LandingFileError):
        run(landing, con)
    assert raw_snapshot(con) == before
    (landing / "allocations" / "2023-03.csv").unlink()
    reads.clear()
    assert raw_snapshot(run(landing, con)) == before
    assert reads == []


def test_rows_of_an_unknown_file_in_the_cache_stop_the_run(tmp_path: Path) -> None:
    """The landing view does not filter the cache by file (a filter over tens of millions of
    rows is slow); it checks instead that every cached row belongs to one of this run's files."""
    landing = make_landing(tmp_path, BASE)
    con = run(landing, duckdb.connect())
    before = raw_snapshot(con)
    table = incremental.landed_table("allocations")
    con.execute(f"INSERT INTO {table} SELECT * REPLACE (999 AS _file_seq) FROM {table} LIMIT 1")
    with pytest.raises(RuntimeError, match="1 allocations row.*not in the landing folder"):
        run(landing, con)
    assert raw_snapshot(con) == before


# ------------------------------------------------ what validation keeps per landed file

# Valid at PEILDATUM (2024-01-01) only until 2029-01-01 (validate.latest_plausible_date).
LATE = {
    "allocations/2023-03.csv": allocations_csv(
        alloc(toewijzingnummer="T011", einddatum="2029-06-30"),
        # breaks the range both ways: one date_out_of_range, as in a full ingest
        alloc(toewijzingnummer="T012", ingangsdatum="2014-12-31", einddatum="2029-06-30"),
    ),
    "declarations/2023-03.csv": declarations_csv(
        decl(declaratienummer="D011", einddatum="2029-06-30", begindatum="2029-06-01"),
    ),
}


def at(peildatum: dt.date, landing: Path, con: duckdb.DuckDBPyConnection) -> dict:
    ingest_landing(landing, con, hmac_key=KEY, peildatum=peildatum)
    return raw_snapshot(con)


def test_a_moved_peildatum_bounds_the_dates_of_rows_validated_before(
    tmp_path: Path, reads: list[str]
) -> None:
    """A file's single-row rule hits are kept with it, but for the peildatum's bound on dates:
    that part is applied every run, so rows read under one peildatum load or leave under the
    next exactly as in a full ingest."""
    landing = make_landing(tmp_path, {**BASE, **LATE})
    con = duckdb.connect()
    later = dt.date(2025, 1, 1)  # bound 2030-01-01
    first = at(PEILDATUM, landing, con)
    assert ("allocations/2023-03.csv", 2, "date_out_of_range", "date_out_of_range") in [
        tuple(r)
        for r in con.execute(
            "SELECT source_file, source_row, rule, rules FROM raw.quarantine"
        ).fetchall()
    ]
    reads.clear()
    moved = at(later, landing, con)
    assert reads == []
    assert moved == at(later, landing, duckdb.connect())
    assert moved != first
    assert con.execute(
        "SELECT toewijzingnummer FROM raw.allocations WHERE toewijzingnummer LIKE 'T01_'"
    ).fetchall() == [("T011",)]
    assert con.execute(
        "SELECT count(*) FROM raw.declarations WHERE declaratienummer = 'D011'"
    ).fetchall() == [(1,)]
    assert at(PEILDATUM, landing, con) == first


def test_changed_legacy_codes_read_every_file_again(
    tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept rule hits depend on the seed of legacy codes without successor: another seed
    is another reader version, so every file is read and validated again."""
    seed = tmp_path / "legacy.csv"
    seed.write_text("productcategorie,name,successor_productcategorie\n36,a,44\n")
    monkeypatch.setattr(validate, "LEGACY_PRODUCTCATEGORIE_SEED", seed)
    files = {
        **BASE,
        "allocations/2023-03.csv": allocations_csv(
            alloc(toewijzingnummer="T013", productcategorie="36")
        ),
    }
    landing = make_landing(tmp_path, files)
    con = run(landing, duckdb.connect())
    assert con.execute(
        "SELECT count(*) FROM raw.allocations WHERE toewijzingnummer = 'T013'"
    ).fetchall() == [(1,)]
    seed.write_text("productcategorie,name,successor_productcategorie\n36,a,\n")
    reads.clear()
    night = raw_snapshot(run(landing, con))
    assert sorted(reads) == sorted(files)
    assert night == full_rebuild(landing)
    assert con.execute(
        "SELECT rule FROM raw.quarantine WHERE source_file = 'allocations/2023-03.csv'"
    ).fetchall() == [("legacy_productcategorie_without_successor",)]


def test_a_new_file_repeating_a_key_of_a_removed_one_is_compared_exactly(tmp_path: Path) -> None:
    """The repeated keys kept with the cache keep those of files gone since (a superset):
    the rows they pick out are compared exactly, so a key that no longer repeats decides
    nothing, and one that repeats again is found."""
    landing = make_landing(tmp_path, {**BASE, **NEW_MONTH})
    con = run(landing, duckdb.connect())
    (landing / "allocations" / "2023-02.csv").unlink()
    (landing / "declarations" / "2023-02.csv").unlink()
    assert raw_snapshot(run(landing, con)) == full_rebuild(landing)
    # the removed file's T003 conflicted with the delivered one; it now loads again
    assert con.execute(
        "SELECT count(*) FROM raw.allocations WHERE toewijzingnummer = 'T003'"
    ).fetchall() == [(1,)]
    write(
        landing,
        {
            "declarations/2023-04.csv": declarations_csv(
                decl(declaratienummer="D001", bedrag="12"),  # conflicts with the delivered D001
                decl(declaratienummer="D020"),
                decl(declaratienummer="D020"),  # an exact duplicate within the new file
            )
        },
    )
    assert raw_snapshot(run(landing, con)) == full_rebuild(landing)
    assert con.execute(
        "SELECT rule, count(*) FROM raw.quarantine GROUP BY ALL ORDER BY ALL"
    ).fetchall() == [("conflicting_declaratienummer", 2), ("unknown_allocation", 1)]  # D002
    assert con.execute(
        "SELECT count(*) FROM raw.declarations WHERE declaratienummer = 'D020'"
    ).fetchall() == [(1,)]


def test_a_new_file_given_the_id_of_a_removed_one_is_validated_afresh(tmp_path: Path) -> None:
    """The cache numbers a new file after the highest id it holds, so a file landed after the
    last one is removed gets that file's id: the removed file's kept rule hits must be gone."""
    landing = make_landing(
        tmp_path,
        {
            **BASE,
            "declarations/2023-05.csv": declarations_csv(
                decl(declaratienummer="D030", bedrag="-5")
            ),
        },
    )
    con = run(landing, duckdb.connect())
    (landing / "declarations" / "2023-05.csv").unlink()
    run(landing, con)
    write(landing, {"declarations/2023-06.csv": declarations_csv(decl(declaratienummer="D031"))})
    assert raw_snapshot(run(landing, con)) == full_rebuild(landing)
    assert con.execute(
        "SELECT count(*) FROM raw.declarations WHERE declaratienummer = 'D031'"
    ).fetchall() == [(1,)]


# --------------------------------------------------------- raw.declarations kept in place


def ingest_saying(landing: Path, con: duckdb.DuckDBPyConnection, **kwargs: object) -> list[str]:
    """Ingest; the progress messages about raw.declarations."""
    messages: list[str] = []
    ingest_landing(
        landing, con, hmac_key=KEY, peildatum=PEILDATUM, progress=messages.append, **kwargs
    )  # type: ignore[arg-type]
    return [m for m in messages if m.startswith("raw.declarations")]


def bsn_sorting_first(existing: list[str]) -> str:
    """A valid BSN whose client_key sorts before the keys of `existing`: a new client that a
    full ingest would number 1."""
    lowest = min(client_key(bsn, KEY) for bsn in existing)
    for number in range(100_000_000, 100_010_000):
        bsn = str(number)
        if is_valid_bsn(bsn) and client_key(bsn, KEY) < lowest:
            return bsn
    raise AssertionError("no such BSN in the range")


def clients(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {key: cid for cid, key in con.execute("SELECT * FROM raw.clients").fetchall()}


KEPT_BASE = {
    **BASE,
    # loads tonight; the night's conflicting T003 version leaves it without an allocation
    "declarations/2023-01-b.csv": declarations_csv(
        decl(declaratienummer="D005", toewijzingnummer="T003")
    ),
    "declarations/2023-01-c.csv": declarations_csv(decl(declaratienummer="D006")),  # removed
    "declarations/2023-01-d.csv": declarations_csv(decl(declaratienummer="D007")),  # changed
}


def test_declaration_lines_are_updated_in_place_with_stable_client_ids(tmp_path: Path) -> None:
    landing = make_landing(tmp_path, KEPT_BASE)
    con = duckdb.connect()
    assert ingest_saying(landing, con) == ["raw.declarations written in full: 5 rows"]
    before = clients(con)
    new_bsn = bsn_sorting_first([VALID_BSN, OTHER_VALID_BSN])
    write(landing, NEW_MONTH)
    write(
        landing,
        {
            "allocations/2023-02-b.csv": allocations_csv(
                alloc(toewijzingnummer="T010", bsn=new_bsn)
            ),
            "declarations/2023-02-b.csv": declarations_csv(
                decl(declaratienummer="D008", toewijzingnummer="T010", bsn=new_bsn)
            ),
            "declarations/2023-01-d.csv": declarations_csv(
                decl(declaratienummer="D007", bedrag="12345")
            ),
        },
    )
    (landing / "declarations" / "2023-01-c.csv").unlink()

    # deleted: D005 (now unknown_allocation), D006 (file removed), D007 (file changed);
    # inserted: D002 (its allocation arrived), C001 and D004 (C002 exceeds the debit), the
    # changed D007, D008 (a new client)
    assert ingest_saying(landing, con) == [
        "raw.declarations updated in place: 3 rows deleted, 5 inserted"
    ]
    assert raw_snapshot(con) == full_rebuild(landing)
    assert con.execute(
        "SELECT declaratienummer, bedrag FROM raw.declarations ORDER BY 1"
    ).fetchall() == [
        ("C001", 400),
        ("D001", 75000),
        ("D002", 75000),
        ("D003", 1000),
        ("D004", 75000),
        ("D007", 12345),
        ("D008", 75000),
    ]
    # clients seen before keep their id; the new one gets the next, though a full ingest
    # numbers it first
    after = clients(con)
    assert {key: after[key] for key in before} == before
    assert after[client_key(new_bsn, KEY)] == max(before.values()) + 1
    fresh = duckdb.connect()
    run(landing, fresh)
    assert clients(fresh)[client_key(new_bsn, KEY)] == 1

    # nothing changed: nothing deleted or inserted; the report says so too
    report = ingest_landing(landing, con, hmac_key=KEY, peildatum=PEILDATUM)
    assert report.raw_declarations == RawUpdate(incremental=True, deleted=0, inserted=0)
    assert report.to_dict()["raw_declarations"] == {
        "written": "in place",
        "rows_deleted": 0,
        "rows_inserted": 0,
    }
    assert raw_snapshot(con) == full_rebuild(landing)


def test_a_full_refresh_or_another_hmac_key_writes_in_full_and_numbers_afresh(
    tmp_path: Path,
) -> None:
    landing = make_landing(tmp_path, KEPT_BASE)
    con = duckdb.connect()
    ingest_saying(landing, con)
    write(landing, NEW_MONTH)
    assert ingest_saying(landing, con, full_refresh=True) == [
        "raw.declarations written in full: 7 rows"
    ]
    assert raw_snapshot(con) == full_rebuild(landing)

    other_key = b"another key"
    messages: list[str] = []
    ingest_landing(landing, con, hmac_key=other_key, peildatum=PEILDATUM, progress=messages.append)
    assert "raw.declarations written in full: 7 rows" in messages
    assert set(clients(con)) == {client_key(b, other_key) for b in (VALID_BSN, OTHER_VALID_BSN)}
    assert sorted(clients(con).values()) == [1, 2]


def test_a_failed_write_keeps_the_state_the_next_ingest_starts_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = make_landing(tmp_path, KEPT_BASE)
    con = duckdb.connect()
    ingest_saying(landing, con)
    before = raw_snapshot(con)
    write(landing, NEW_MONTH)

    def failing_report(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(load, "_report", failing_report)
    with pytest.raises(RuntimeError, match="disk full"):
        run(landing, con)
    assert raw_snapshot(con) == before
    monkeypatch.undo()
    assert ingest_saying(landing, con) == [
        "raw.declarations updated in place: 1 rows deleted, 3 inserted"
    ]
    assert raw_snapshot(con) == full_rebuild(landing)
