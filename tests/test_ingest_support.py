"""Helpers shared by the ingestion tests: valid base rows, tiny landing folders, one run.

(No tests here; the name keeps it beside the tests it serves.)
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from orchestration.ingest.contract import column_names
from orchestration.ingest.load import IngestReport, ingest_landing

PEILDATUM = dt.date(2024, 1, 1)
KEY = b"test-key-for-ingest-tests"
VALID_BSN = "123456782"  # 9*1+8*2+7*3+6*4+5*5+4*6+3*7+2*8-1*2 = 154 = 14*11
OTHER_VALID_BSN = "111222333"  # 9+8+7+12+10+8+9+6-3 = 66 = 6*11

ALLOCATION = {
    "toewijzingnummer": "T001",
    "gemeentecode": "0153",
    "aanbieder_agb": "12345678",
    "bsn": VALID_BSN,
    "geboortedatum": "2012-05-01",
    "productcategorie": "45",
    "productcode": "45A01",
    "ingangsdatum": "2023-01-01",
    "einddatum": "2023-12-31",
    "toewijzingsdatum": "2022-12-15",
    "volume": "10",
    "eenheid": "04",
    "frequentie": "2",
    "reden_wijziging": "01",
    "verwijzer_type": "02",
    "reden_beeindiging": "",
    "dagtekening": "2022-12-15",
}

DECLARATION = {
    "declaratienummer": "D001",
    "vorig_declaratienummer": "",
    "debet_credit": "D",
    "toewijzingnummer": "T001",
    "gemeentecode": "0153",
    "aanbieder_agb": "12345678",
    "bsn": VALID_BSN,
    "productcategorie": "45",
    "productcode": "45A01",
    "begindatum": "2023-01-01",
    "einddatum": "2023-01-31",
    "geleverd_volume": "10",
    "eenheid": "04",
    "bedrag": "75000",
}


def alloc(**changes: str) -> dict[str, str]:
    return {**ALLOCATION, **changes}


def decl(**changes: str) -> dict[str, str]:
    return {**DECLARATION, **changes}


def csv_text(rows: list[dict[str, str]], columns: list[str] | None = None, sep: str = ",") -> str:
    """CSV text with a header; a value holding the separator or a quote is quoted."""

    def field(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if sep in v or '"' in v or "\n" in v else v

    columns = columns or list(rows[0])
    lines = [sep.join(columns)] + [sep.join(field(r.get(c, "")) for c in columns) for r in rows]
    return "\n".join(lines) + "\n"


def make_landing(root: Path, files: dict[str, str | bytes]) -> Path:
    """A landing folder holding `files` (path relative to the folder → content)."""
    landing = root / "landing"
    for sub in ("allocations", "declarations"):
        (landing / sub).mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = landing / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return landing


def ingest(
    landing: Path,
    con: duckdb.DuckDBPyConnection | None = None,
    peildatum: dt.date = PEILDATUM,
) -> tuple[IngestReport, duckdb.DuckDBPyConnection]:
    con = con or duckdb.connect()
    report = ingest_landing(landing, con, hmac_key=KEY, peildatum=peildatum)
    return report, con


def ingest_rows(
    root: Path,
    allocations: list[dict[str, str]] | None = None,
    declarations: list[dict[str, str]] | None = None,
) -> tuple[IngestReport, duckdb.DuckDBPyConnection]:
    """Ingest one allocations file and one declarations file with all contract columns."""
    files: dict[str, str] = {}
    if allocations is not None:
        files["allocations/a.csv"] = csv_text(allocations, column_names("allocations"))
    if declarations is not None:
        files["declarations/d.csv"] = csv_text(declarations, column_names("declarations"))
    return ingest(make_landing(root, files))


RAW_TABLES = ("allocations", "declarations", "clients", "quarantine", "ingest_files")


def raw_snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every row of every raw table, all columns, in a stable order; `client_id` as the
    client_key it stands for (the ids are kept from one ingest to the next, so a night and a
    full ingest of the same folder number new clients differently)."""
    snapshot = {}
    for table in RAW_TABLES:
        columns = [
            c
            for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' "
                "AND table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
        ]
        sql = f"SELECT * FROM raw.{table}"
        if "client_id" in columns:
            sql = (
                f"SELECT t.* REPLACE (k.client_key AS client_id) FROM raw.{table} AS t "
                "LEFT JOIN raw.clients AS k ON k.client_id = t.client_id"
            )
        snapshot[table] = sorted(con.execute(sql).fetchall(), key=repr)
    return snapshot


def quarantined(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """raw.quarantine as dicts, original_values parsed."""
    rows = con.execute(
        "SELECT entity, source_file, source_row, rule, rules, original_values "
        "FROM raw.quarantine ORDER BY entity, source_file, source_row"
    ).fetchall()
    keys = ("entity", "source_file", "source_row", "rule", "rules", "original_values")
    result = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        item["original_values"] = json.loads(str(item["original_values"]))
        result.append(item)
    return result


def loaded(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[object]:
    """One column of a raw table in file/row order (within a table, the files' sorted paths
    are their delivery order)."""
    return [
        r[0]
        for r in con.execute(
            f"SELECT {column} FROM raw.{table} ORDER BY _source_file, _source_row"
        ).fetchall()
    ]


def assert_files_balance(report: IngestReport) -> None:
    for f in report.files:
        assert f.rows_read == f.rows_loaded + f.rows_quarantined + f.rows_duplicate, f.path
