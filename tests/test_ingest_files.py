"""File-level behaviour of ingestion (DEFINITIONS §2): formats, encodings, lineage and the
files that must stop the run with a `LandingFileError` naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.config import GENERATED_MARKER
from orchestration.ingest.hashing import client_key
from orchestration.ingest.load import ingest_landing
from orchestration.ingest.readers import LandingFileError
from tests.test_ingest_support import (
    KEY,
    PEILDATUM,
    alloc,
    assert_files_balance,
    csv_text,
    decl,
    ingest,
    loaded,
    make_landing,
    quarantined,
    raw_snapshot,
)


def rejected(landing: Path) -> LandingFileError:
    with pytest.raises(LandingFileError) as info:
        ingest(landing)
    assert isinstance(info.value, ValueError)
    return info.value


# ----------------------------------------------------------------------------- CSV dialects


def test_semicolon_separated_csv_loads(tmp_path: Path) -> None:
    text = csv_text([alloc(), alloc(toewijzingnummer="T002", productcode="45;A")], sep=";")
    report, con = ingest(make_landing(tmp_path, {"allocations/a.csv": text}))
    assert quarantined(con) == []
    assert loaded(con, "allocations", "productcode") == ["45A01", "45;A"]
    assert report.files[0].rows_loaded == 2


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    text = "\ufeff" + csv_text([alloc()])
    _, con = ingest(make_landing(tmp_path, {"allocations/a.csv": text}))
    assert loaded(con, "allocations", "toewijzingnummer") == ["T001"]


def test_crlf_line_ends_and_quoted_newlines_are_read(tmp_path: Path) -> None:
    text = csv_text([alloc(productcode="line one\nline two"), alloc(toewijzingnummer="T2")])
    _, con = ingest(make_landing(tmp_path, {"allocations/a.csv": text.replace("\n", "\r\n")}))
    assert loaded(con, "allocations", "productcode") == ["line one\r\nline two", "45A01"]
    assert loaded(con, "allocations", "_source_row") == [1, 2]


def test_leading_zeros_are_kept(tmp_path: Path) -> None:
    row = alloc(gemeentecode="0050", aanbieder_agb="01234567", productcategorie="04")
    _, con = ingest(make_landing(tmp_path, {"allocations/a.csv": csv_text([row])}))
    assert con.execute(
        "SELECT gemeentecode, aanbieder_agb, productcategorie, reden_wijziging FROM raw.allocations"
    ).fetchall() == [("0050", "01234567", "04", "01")]


def test_extra_columns_are_kept_as_json_in_extra(tmp_path: Path) -> None:
    row = {**alloc(), "Opmerking": "spoed", "regio_intern": "007"}
    _, con = ingest(make_landing(tmp_path, {"allocations/a.csv": csv_text([row])}))
    [(extra,)] = con.execute("SELECT _extra FROM raw.allocations").fetchall()
    assert json.loads(extra) == {"Opmerking": "spoed", "regio_intern": "007"}


def test_extra_columns_appear_in_quarantined_original_values(tmp_path: Path) -> None:
    row = {**alloc(bsn="123456789"), "opmerking": "x"}
    _, con = ingest(make_landing(tmp_path, {"allocations/a.csv": csv_text([row])}))
    [q] = quarantined(con)
    assert q["original_values"]["opmerking"] == "x"
    assert q["original_values"]["bsn"] == "123456789"


def test_missing_optional_columns_are_empty(tmp_path: Path) -> None:
    columns = ["toewijzingnummer", "gemeentecode", "aanbieder_agb", "bsn"]
    columns += ["productcategorie", "ingangsdatum"]
    _, con = ingest(make_landing(tmp_path, {"allocations/a.csv": csv_text([alloc()], columns)}))
    assert con.execute("SELECT einddatum, volume, _extra FROM raw.allocations").fetchall() == [
        (None, None, None)
    ]


def test_column_names_match_case_insensitively(tmp_path: Path) -> None:
    text = csv_text([alloc()]).replace("toewijzingnummer", "Toewijzingnummer", 1)
    _, con = ingest(make_landing(tmp_path, {"allocations/a.csv": text}))
    assert loaded(con, "allocations", "toewijzingnummer") == ["T001"]


def test_header_only_csv_loads_zero_rows(tmp_path: Path) -> None:
    header = ",".join(alloc()) + "\n"
    report, _ = ingest(make_landing(tmp_path, {"allocations/a.csv": header}))
    [f] = report.files
    assert (f.rows_read, f.rows_loaded) == (0, 0)


def test_row_numbers_follow_the_file_order(tmp_path: Path) -> None:
    """Row N of the file is _source_row N, also for a file read in parallel chunks."""
    rows = [
        alloc(
            toewijzingnummer=f"T{i:06d}",
            productcode="a\nb" if i % 997 == 0 else "45A01",
            bsn="123456789" if i % 1000 == 0 else "123456782",
        )
        for i in range(1, 60001)
    ]
    con = duckdb.connect(config={"threads": "2"})
    _, con = ingest(make_landing(tmp_path, {"allocations/a.csv": csv_text(rows)}), con)
    assert [r["source_row"] for r in quarantined(con)] == list(range(1000, 60001, 1000))
    mismatched = con.execute(
        "SELECT count(*) FROM raw.allocations "
        "WHERE toewijzingnummer <> 'T' || lpad(CAST(_source_row AS VARCHAR), 6, '0')"
    ).fetchall()
    assert mismatched == [(0,)]


# ----------------------------------------------------------------------------- Parquet


def parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def test_typed_parquet_declarations_load_and_match_csv_duplicates(tmp_path: Path) -> None:
    import datetime as dt

    parquet = pa.table(
        {
            **{k: pa.array([v], pa.string()) for k, v in decl().items()},
            "begindatum": pa.array([dt.date(2023, 1, 1)], pa.date32()),
            "einddatum": pa.array([dt.datetime(2023, 1, 31)], pa.timestamp("us")),
            "geleverd_volume": pa.array([10.0], pa.float64()),
            "bedrag": pa.array([75000], pa.int64()),
        }
    )
    landing = make_landing(
        tmp_path,
        {
            "allocations/a.csv": csv_text([alloc()]),
            "declarations/1.parquet": parquet_bytes(parquet),
            "declarations/2.csv": csv_text([decl()]),
        },
    )
    report, con = ingest(landing)
    assert [(f.path, f.format, f.rows_loaded, f.rows_duplicate) for f in report.files] == [
        ("allocations/a.csv", "csv", 1, 0),
        ("declarations/1.parquet", "parquet", 1, 0),
        ("declarations/2.csv", "csv", 0, 1),
    ]
    assert con.execute(
        "SELECT begindatum, einddatum, geleverd_volume, bedrag, _source_row FROM raw.declarations"
    ).fetchall() == [(dt.date(2023, 1, 1), dt.date(2023, 1, 31), 10.0, 75000, 1)]


def test_parquet_with_integer_gemeentecode_is_rejected(tmp_path: Path) -> None:
    table = pa.table(
        {
            **{k: pa.array([v], pa.string()) for k, v in alloc().items()},
            "gemeentecode": pa.array([153], pa.int64()),
        }
    )
    landing = make_landing(tmp_path, {"allocations/a.parquet": parquet_bytes(table)})
    error = rejected(landing)
    assert "a.parquet" in str(error)
    assert "gemeentecode" in str(error) and "int64" in str(error)


def test_parquet_missing_required_column_is_rejected(tmp_path: Path) -> None:
    values = {k: pa.array([v], pa.string()) for k, v in alloc().items() if k != "bsn"}
    landing = make_landing(tmp_path, {"allocations/a.parquet": parquet_bytes(pa.table(values))})
    error = rejected(landing)
    assert "a.parquet" in str(error) and "bsn" in str(error)


def test_corrupt_parquet_is_rejected(tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"allocations/a.parquet": b"PAR1 not really parquet"})
    assert "not a readable Parquet file" in str(rejected(landing))


def strings_table(rows: list[dict[str, str]], **typed: pa.Array) -> pa.Table:
    """Rows as a Parquet table of string columns, some columns replaced by typed arrays."""
    columns = {k: pa.array([r[k] for r in rows], pa.string()) for k in rows[0]}
    return pa.table({**columns, **typed})


def parquet_landing(tmp_path: Path) -> Path:
    """Parquet files of both entities: runs of files with one schema, a file whose dates are
    typed (another schema), a file with an extra column, duplicates and a bad row across files."""
    import datetime as dt

    a = [alloc(toewijzingnummer=f"T{i:03d}") for i in range(1, 5)]
    d = [decl(declaratienummer=f"D{i:03d}", toewijzingnummer=f"T{i:03d}") for i in range(1, 5)]
    return make_landing(
        tmp_path,
        {
            "allocations/1.parquet": parquet_bytes(strings_table(a[:2])),
            "allocations/2.parquet": parquet_bytes(strings_table([a[2], a[0]])),  # a duplicate
            "allocations/3.parquet": parquet_bytes(
                strings_table([a[3]], ingangsdatum=pa.array([dt.date(2023, 1, 1)], pa.date32()))
            ),
            "allocations/4.parquet": parquet_bytes(strings_table([a[1] | {"bsn": "123"}])),
            "declarations/1.parquet": parquet_bytes(strings_table(d[:2])),
            "declarations/2.parquet": parquet_bytes(
                strings_table(d[2:], opmerking=pa.array(["x", None], pa.string()))
            ),
        },
    )


def test_parquet_files_of_one_schema_are_read_together(tmp_path: Path) -> None:
    from orchestration.ingest.readers import discover_files, parquet_batches

    landing = parquet_landing(tmp_path)
    batches = [[f.rel for f in b.files] for b in parquet_batches(discover_files(landing))]
    assert batches == [
        ["allocations/1.parquet", "allocations/2.parquet"],
        ["allocations/3.parquet"],  # typed ingangsdatum: another schema
        ["allocations/4.parquet"],
        ["declarations/1.parquet"],
        ["declarations/2.parquet"],  # an extra column: another schema
    ]


def test_parquet_read_together_equals_parquet_read_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.ingest import readers

    landing = parquet_landing(tmp_path)
    _, together = ingest(landing)
    monkeypatch.setattr(readers, "PARQUET_BATCH_ROWS", 0)  # every file a batch of its own
    _, alone = ingest(landing)
    assert raw_snapshot(together) == raw_snapshot(alone)
    assert ("allocations/4.parquet", 1, "invalid_bsn") in {
        (q["source_file"], q["source_row"], q["rule"]) for q in quarantined(together)
    }
    files = dict(together.execute("SELECT path, rows_duplicate FROM raw.ingest_files").fetchall())
    assert files["allocations/2.parquet"] == 1


def test_unreadable_parquet_file_in_a_batch_is_named(tmp_path: Path) -> None:
    from orchestration.ingest import incremental

    landing = parquet_landing(tmp_path)
    good = (landing / "allocations" / "2.parquet").read_bytes()
    footer = int.from_bytes(good[-8:-4], "little")
    broken = good[:4] + bytes([7]) * (len(good) - footer - 12) + good[-footer - 8 :]
    (landing / "allocations" / "2.parquet").write_bytes(broken)
    con = duckdb.connect()
    with pytest.raises(LandingFileError) as info:
        ingest_landing(landing, con, hmac_key=KEY, peildatum=PEILDATUM)
    assert info.value.path.name == "2.parquet" and "allocations" in str(info.value.path)
    assert "could not be read" in str(info.value)
    # the file before it in its batch is landed and kept; nothing of the broken file is
    cached = con.execute(f"SELECT rel FROM {incremental.FILES_TABLE} ORDER BY rel").fetchall()
    assert cached == [("allocations/1.parquet",)]


# ----------------------------------------------------------------------------- rejected files


def test_latin1_file_is_rejected_with_its_line(tmp_path: Path) -> None:
    text = csv_text([alloc(), alloc(toewijzingnummer="T002", productcode="café")])
    landing = make_landing(tmp_path, {"allocations/a.csv": text.encode("latin-1")})
    error = rejected(landing)
    assert "a.csv" in str(error)
    assert "not UTF-8 at line 3" in str(error) and "re-export" in str(error)


def test_latin1_header_is_rejected_at_line_1(tmp_path: Path) -> None:
    text = csv_text([{**alloc(), "opmérking": "x"}])
    landing = make_landing(tmp_path, {"allocations/a.csv": text.encode("latin-1")})
    assert "not UTF-8 at line 1" in str(rejected(landing))


def test_binary_file_is_rejected(tmp_path: Path) -> None:
    junk = bytes(range(256)) * 8
    landing = make_landing(tmp_path, {"declarations/d.csv": junk})
    error = rejected(landing)
    assert "d.csv" in str(error) and "binary" in str(error)


def test_excel_workbook_named_csv_is_rejected(tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"allocations/a.csv": b"PK\x03\x04" + b"x" * 100})
    assert "export it as CSV" in str(rejected(landing))


def test_zero_byte_file_is_rejected(tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"allocations/a.csv": b""})
    error = rejected(landing)
    assert "a.csv" in str(error) and "empty (0 bytes)" in str(error)


def test_missing_required_column_is_rejected_naming_it(tmp_path: Path) -> None:
    columns = [c for c in decl() if c not in ("bedrag", "eenheid")]
    landing = make_landing(tmp_path, {"declarations/d.csv": csv_text([decl()], columns)})
    error = rejected(landing)
    assert "d.csv" in str(error)
    assert "required column(s) missing: eenheid, bedrag" in str(error)


def test_tab_separated_file_gets_a_delimiter_hint(tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"allocations/a.csv": csv_text([alloc()], sep="\t")})
    assert "comma or semicolon" in str(rejected(landing))


def test_repeated_header_column_is_rejected(tmp_path: Path) -> None:
    text = csv_text([alloc()]).replace("eenheid", "volume", 1)
    landing = make_landing(tmp_path, {"allocations/a.csv": text})
    assert "'volume' appears more than once" in str(rejected(landing))


def test_row_with_too_many_fields_is_rejected_with_its_line(tmp_path: Path) -> None:
    text = csv_text([alloc(), alloc()]) + ",".join(alloc().values()) + ",extra\n"
    landing = make_landing(tmp_path, {"allocations/a.csv": text})
    error = rejected(landing)
    assert "a.csv" in str(error) and "could not be parsed as CSV" in str(error)
    assert "Line: 4" in str(error)
    assert "123456782" not in str(error), "error messages must not echo row contents (BSN)"


def test_unknown_extension_is_rejected(tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"allocations/a.xlsx": b"whatever"})
    error = rejected(landing)
    assert "a.xlsx" in str(error) and "'.xlsx'" in str(error)


def test_csv_outside_the_entity_folders_is_rejected(tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"allocations.csv": csv_text([alloc()])})
    assert "not inside allocations/ or declarations/" in str(rejected(landing))


def test_missing_landing_folder_is_rejected(tmp_path: Path) -> None:
    error = rejected(tmp_path / "nowhere")
    assert "nowhere" in str(error) and "does not exist" in str(error)


def test_landing_folder_without_entity_folders_is_rejected(tmp_path: Path) -> None:
    assert "neither an allocations/ nor a declarations/" in str(rejected(tmp_path))


# ----------------------------------------------------------------------------- discovery


def test_hidden_files_and_generator_marker_are_skipped(tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path,
        {
            GENERATED_MARKER: "{}",
            "allocations/a.csv": csv_text([alloc()]),
            "allocations/.~lock.a.csv#": "lock",
            "allocations/.cache/b.bin": b"\x00",
        },
    )
    report, _ = ingest(landing)
    assert [f.path for f in report.files] == ["allocations/a.csv"]


def test_only_one_entity_folder_is_enough(tmp_path: Path) -> None:
    (tmp_path / "allocations").mkdir()
    (tmp_path / "allocations" / "a.csv").write_text(csv_text([alloc()]), encoding="utf-8")
    report, con = ingest(tmp_path)
    assert [f.rows_loaded for f in report.files] == [1]
    assert con.execute("SELECT count(*) FROM raw.declarations").fetchall() == [(0,)]


def test_files_are_numbered_in_sorted_path_order_with_progress(tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path,
        {
            "allocations/2024/b.csv": csv_text([alloc(toewijzingnummer="T2")]),
            "allocations/2023.csv": csv_text([alloc()]),
            "declarations/d.csv": csv_text([decl()]),
        },
    )
    messages: list[str] = []
    con = duckdb.connect()
    report = ingest_landing(
        landing, con, hmac_key=KEY, peildatum=PEILDATUM, progress=messages.append
    )
    assert [f.path for f in report.files] == [
        "allocations/2023.csv",
        "allocations/2024/b.csv",
        "declarations/d.csv",
    ]
    assert loaded(con, "allocations", "_file_seq") == [1, 2]
    # declaration lines keep no `_file_seq`: it renumbers when a file sorts in between, and
    # the lines are kept from one ingest to the next (raw_state.py)
    assert loaded(con, "declarations", "_source_file") == ["declarations/d.csv"]
    for f in report.files:
        assert any(f.path in m for m in messages)
    assert_files_balance(report)


def test_rejected_delivery_leaves_the_previous_raw_tables(tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"allocations/a.csv": csv_text([alloc()])})
    _, con = ingest(landing)
    (landing / "allocations" / "b.csv").write_bytes(b"")
    with pytest.raises(LandingFileError):
        ingest(landing, con)
    assert loaded(con, "allocations", "toewijzingnummer") == ["T001"]
    schemas = con.execute("SELECT schema_name FROM information_schema.schemata").fetchall()
    assert ("_ingest_scratch",) not in schemas


def test_connection_settings_are_restored(tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"allocations/a.csv": csv_text([alloc()])})
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    ingest(landing, con)
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall() == [
        (False,)
    ]


# ----------------------------------------------------------------------------- client ids


def test_client_ids_follow_the_client_keys_and_match_the_rows(tmp_path: Path) -> None:
    from tests.test_ingest_support import OTHER_VALID_BSN

    landing = make_landing(
        tmp_path,
        {
            "allocations/a.csv": csv_text(
                [alloc(), alloc(toewijzingnummer="T2", bsn=OTHER_VALID_BSN)]
            ),
            "declarations/d.csv": csv_text(
                [decl(), decl(declaratienummer="D2", toewijzingnummer="T2", bsn=OTHER_VALID_BSN)]
            ),
        },
    )
    _, con = ingest(landing)
    clients = con.execute("SELECT client_id, client_key FROM raw.clients ORDER BY 1").fetchall()
    assert [i for i, _ in clients] == [1, 2]
    assert [k for _, k in clients] == sorted(k for _, k in clients)  # id follows the key
    by_id = dict(clients)
    for entity in ("allocations", "declarations"):
        # declaration lines carry only client_id: their key is raw.clients' (load.py)
        rows = con.execute(f"SELECT DISTINCT client_id, bsn FROM raw.{entity}").fetchall()
        assert sorted(i for i, _ in rows) == [1, 2]
        assert all(by_id[i] == client_key(bsn, KEY) for i, bsn in rows)
    pairs = con.execute(
        "SELECT DISTINCT r.client_id, c.client_key = r.client_key FROM raw.allocations AS r "
        "JOIN raw.clients AS c USING (client_id)"
    ).fetchall()
    assert sorted(pairs) == [(1, True), (2, True)]
    columns = [r[0] for r in con.execute("DESCRIBE raw.declarations").fetchall()]
    assert "client_id" in columns and "client_key" not in columns
    columns = [r[0] for r in con.execute("DESCRIBE raw.clients").fetchall()]
    assert columns == ["client_id", "client_key"]  # no BSN
