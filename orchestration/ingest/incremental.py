"""Landed-file cache: a run reads only the delivery files that are new or changed.

DEFINITIONS §2 decides over *all* delivered rows together — the latest version of an
allocation across all files, exact duplicates across files, conflicting versions, unknown
allocations, credits against debits — so validation (`validate.py`) always decides over every
row of every file, as in a full reload. What is kept between runs is what depends on a file
alone: the reader's output per file (its rows as trimmed text with `_source_file` and
`_source_row`, `readers.py`), which is the expensive part (CSV parsing, Parquet decoding), and,
once validation has seen the file (`record_file_validation`), the single-row rules its rows
break (but for the peildatum's bound), its latest date and its rows' natural-key hashes counted
into the set of repeated keys.

A file's landed rows are reused when its path, size and SHA-256 of its content are the same
as when they were landed, under the same reader code and DuckDB version (`reader_version`).
Anything else — a new, changed, renamed or replaced file, a changed reader — is read again;
a file no longer delivered is forgotten. `_file_seq` (the file's position in sorted path
order, which decides "later file" in §2) is not stored: the landing view numbers the files
of this run afresh, so a new file that sorts between old ones renumbers them exactly as a
full reload would. The cache lives in schema `_ingest_landed` of the working database (it
holds BSNs, like schema raw, and is never published). `full_refresh` drops it first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from orchestration.ingest.contract import ENTITIES
from orchestration.ingest.readers import (
    LandingFile,
    ParquetBatch,
    ParquetBatchError,
    ParquetPlan,
    create_landing_table,
    land_file,
    parquet_batches,
    read_parquet_files,
)
from orchestration.ingest.validate import (
    file_rule_hits_sql,
    latest_date_sql,
    latest_plausible_date,
    legacy_codes_without_successor,
    new_repeated_keys_sql,
    reden_beeindiging_codes,
    verwijzer_codes,
)
from orchestration.sql import quote_ident, quote_literal, table_exists

LANDED_SCHEMA = "_ingest_landed"
FILES_TABLE = f"{LANDED_SCHEMA}.files"
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileFingerprint:
    """What identifies the content of a delivered file."""

    rel: str
    entity: str
    size: int
    mtime_ns: int
    sha256: str


@dataclass
class LandingStats:
    """Which files this run read, reused from the cache, or forgot (no longer delivered)."""

    read: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)
    file_ids: dict[str, int] = field(default_factory=dict)  # rel -> the cache's stable id
    seq_by_file_id: dict[int, int] = field(default_factory=dict)  # the id -> seq in this run
    reader_version: str = ""  # the version the cache holds the files under


def landed_table(entity: str) -> str:
    return f"{LANDED_SCHEMA}.{entity}"


def rule_hits_table(entity: str) -> str:
    """(_file_seq = file_id, _source_row, rule): the single-row rules each landed row breaks,
    but for the peildatum's bound (`validate.file_rule_hits_sql`)."""
    return f"{LANDED_SCHEMA}.{entity}_rule_hits"


def repeated_keys_table(entity: str) -> str:
    """(h): natural-key hashes that occur more than once among the landed rows of the files
    validation has seen (`validate.new_repeated_keys_sql`), and those of files gone since."""
    return f"{LANDED_SCHEMA}.{entity}_repeated_keys"


def reader_version() -> str:
    """A fingerprint of the code that turns a file into landed rows and of what decides the
    rule hits kept with them (and of DuckDB, which parses and hashes): any change to the ingest
    package, the code lists read from seeds (legacy productcategorie codes without successor,
    JZ588 reden beëindiging, COD327 verwijzer) or the DuckDB version invalidates the cache."""
    digest = hashlib.sha256(duckdb.__version__.encode())
    for codes in (legacy_codes_without_successor(), reden_beeindiging_codes(), verwijzer_codes()):
        digest.update(",".join(codes).encode() + b"\x00")
    package = Path(__file__).resolve().parent
    for source in sorted(package.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def fingerprint(file: LandingFile) -> FileFingerprint:
    """Size, modification time and SHA-256 of the file's content."""
    stat = file.path.stat()
    digest = hashlib.sha256()
    with file.path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return FileFingerprint(
        file.rel, file.entity, stat.st_size, stat.st_mtime_ns, digest.hexdigest()
    )


def clear_landed_cache(con: duckdb.DuckDBPyConnection) -> None:
    """Forget every landed file: the next run reads the whole landing folder again."""
    con.execute(f"DROP SCHEMA IF EXISTS {LANDED_SCHEMA} CASCADE")


def land_incrementally(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[LandingFile],
    land_view: Callable[[str], str],
    hits_view: Callable[[str], str],
    say: Callable[[str], None],
    *,
    full_refresh: bool = False,
) -> LandingStats:
    """Bring the cache up to date with `files` and create, per entity, the view `land_view(e)`
    over the landed rows of exactly these files, numbered by their `seq` (readers.py columns),
    and the view `hits_view(e)` over their kept rule hits, numbered alike.

    The views name relations in a schema that exists and is dropped by the caller.
    A file that cannot be read raises `LandingFileError`; the files landed before it stay
    cached (they are correct), nothing else changes.
    """
    version = reader_version()
    _prepare_cache(con, version, full_refresh)
    known = {
        rel: (file_id, entity, size, sha256, rows)
        for file_id, rel, entity, size, sha256, rows in con.execute(
            f"SELECT file_id, rel, entity, size, sha256, rows_read FROM {FILES_TABLE}"
        ).fetchall()
    }
    stats = LandingStats()
    current: dict[str, int] = {}  # rel -> file_id
    pending: list[_Pending] = []
    for file in files:
        print_ = fingerprint(file)
        cached = known.get(file.rel)
        if cached is not None and cached[1:4] == (file.entity, print_.size, print_.sha256):
            file_id, rows = cached[0], int(cached[4])
            con.execute(
                f"UPDATE {FILES_TABLE} SET mtime_ns = ? WHERE file_id = ?",
                [print_.mtime_ns, file_id],
            )
            stats.reused.append(file.rel)
            stats.rows_read[file.rel] = rows
            current[file.rel] = file_id
            say(f"Reused {file.rel}: {rows} rows (unchanged since it was read)")
        else:
            pending.append(_Pending(file, print_, cached[0] if cached else None))
    for group in _read_groups(pending):
        for item, file_id, rows in _land_group(con, group, version):
            stats.read.append(item.file.rel)
            stats.rows_read[item.file.rel] = rows
            current[item.file.rel] = file_id
            say(f"Read {item.file.rel}: {rows} rows")
    for rel, cached in known.items():
        if rel not in current:
            _forget(con, cached[0])
            stats.forgotten.append(rel)
            say(f"Forgot {rel}: no longer in the landing folder")
    stats.file_ids = current
    stats.seq_by_file_id = {current[f.rel]: f.seq for f in files}
    _create_views(con, stats.seq_by_file_id, land_view, hits_view)
    stats.reader_version = version
    return stats


def _prepare_cache(con: duckdb.DuckDBPyConnection, version: str, full_refresh: bool) -> None:
    """Create the cache; drop it first on a full refresh or when the reader code changed."""
    complete = table_exists(con, LANDED_SCHEMA, "files") and all(
        table_exists(con, LANDED_SCHEMA, entity) for entity in ENTITIES
    )
    if complete and not full_refresh:
        stale = con.execute(
            f"SELECT count(*) FROM {FILES_TABLE} WHERE reader_version <> ?", [version]
        ).fetchall()[0][0]
        if not stale:
            return
    clear_landed_cache(con)
    con.execute(f"CREATE SCHEMA {LANDED_SCHEMA}")
    con.execute(
        f"CREATE TABLE {FILES_TABLE} (file_id INTEGER PRIMARY KEY, rel VARCHAR UNIQUE, "
        "entity VARCHAR, format VARCHAR, size BIGINT, mtime_ns BIGINT, sha256 VARCHAR, "
        "reader_version VARCHAR, rows_read BIGINT, validated BOOLEAN, latest_date DATE)"
    )
    for entity in ENTITIES:
        # `_file_seq` of a landed row holds the stable file_id, not the run's file order.
        create_landing_table(con, landed_table(entity), entity)
        con.execute(
            f"CREATE TABLE {rule_hits_table(entity)} "
            "(_file_seq INTEGER, _source_row BIGINT, rule VARCHAR)"
        )
        con.execute(f"CREATE TABLE {repeated_keys_table(entity)} (h UBIGINT)")


@dataclass(frozen=True)
class _Pending:
    """A file to read: new, or changed since `previous_id` was landed."""

    file: LandingFile
    print_: FileFingerprint
    previous_id: int | None


@dataclass(frozen=True)
class _Group:
    """Files landed in one transaction: a batch of Parquet files with the plan they share
    (`readers.parquet_batches`), or one file of another format (`plan` None)."""

    items: tuple[_Pending, ...]
    plan: ParquetPlan | None = None


def _read_groups(pending: Sequence[_Pending]) -> list[_Group]:
    """Parquet files of one entity and schema in batches, every other file on its own; in the
    given order."""
    by_rel = {item.file.rel: item for item in pending}
    parquet = [item.file for item in pending if item.file.format == "parquet"]
    batches = {batch.files[0].rel: batch for batch in parquet_batches(parquet)}
    groups: list[_Group] = []
    for item in pending:
        if item.file.format != "parquet":
            groups.append(_Group((item,)))
        elif item.file.rel in batches:
            batch = batches[item.file.rel]
            groups.append(_Group(tuple(by_rel[f.rel] for f in batch.files), batch.plan))
    return groups


def _land_group(
    con: duckdb.DuckDBPyConnection, group: _Group, version: str
) -> list[tuple[_Pending, int, int]]:
    """Read files into the cache (replacing their previous content) in one transaction:
    (file, file_id, rows read) each. A batch of Parquet files that fails is read again one
    file at a time, so that the error names the file (the files before it stay cached)."""
    first_id = con.execute(f"SELECT coalesce(max(file_id), 0) + 1 FROM {FILES_TABLE}").fetchall()[
        0
    ][0]
    ids = {item.file.rel: int(first_id) + i for i, item in enumerate(group.items)}
    con.execute("BEGIN TRANSACTION")
    try:
        for item in group.items:
            if item.previous_id is not None:
                _delete_rows(con, item.previous_id)
        files = tuple(replace(item.file, seq=ids[item.file.rel]) for item in group.items)
        table = landed_table(files[0].entity)
        if files[0].format == "parquet":
            rows = read_parquet_files(con, ParquetBatch(files, group.plan), table)
        else:
            rows = {files[0].rel: land_file(con, files[0], table)}
        con.executemany(
            f"INSERT INTO {FILES_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, false, NULL)",
            [
                [
                    ids[item.file.rel],
                    item.file.rel,
                    item.file.entity,
                    item.file.format,
                    item.print_.size,
                    item.print_.mtime_ns,
                    item.print_.sha256,
                    version,
                    rows[item.file.rel],
                ]
                for item in group.items
            ],
        )
        con.execute("COMMIT")
    except ParquetBatchError:
        con.execute("ROLLBACK")
        return [
            landed
            for item in group.items
            for landed in _land_group(con, _Group((item,), group.plan), version)
        ]
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return [(item, ids[item.file.rel], rows[item.file.rel]) for item in group.items]


def _delete_rows(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    # The file's key hashes stay in the repeated keys: a superset is allowed there.
    for entity in ENTITIES:
        con.execute(f"DELETE FROM {landed_table(entity)} WHERE _file_seq = ?", [file_id])
        con.execute(f"DELETE FROM {rule_hits_table(entity)} WHERE _file_seq = ?", [file_id])
    con.execute(f"DELETE FROM {FILES_TABLE} WHERE file_id = ?", [file_id])


def _forget(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        _delete_rows(con, file_id)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _create_views(
    con: duckdb.DuckDBPyConnection,
    seq_by_id: dict[int, int],
    land_view: Callable[[str], str],
    hits_view: Callable[[str], str],
) -> None:
    """Per entity, the landing rows of this run's files with `_file_seq` = this run's order,
    and their kept rule hits numbered alike (they enter and leave with their file's rows).

    The file order is a constant list indexed by file_id, so no join is needed. Rows enter and
    leave the cache in the same transaction as their file's registry row, so the cache holds
    only this run's files; that is checked (one integer column read) rather than filtered in
    the view: a filter `_file_seq IN (…ids…)` cost ≈ 57 s in a national night, because once the
    new files' ids are not consecutive DuckDB copied the 58 M declaration lines ≈ 5× slower.
    """
    width = max(seq_by_id, default=0)
    order = ", ".join(str(seq_by_id.get(i, 0)) for i in range(1, width + 1))
    seq = f"list_extract([{order}], _file_seq)" if seq_by_id else "NULL"
    for entity, columns in ENTITIES.items():
        for table, what in ((landed_table(entity), "row"), (rule_hits_table(entity), "rule hit")):
            stray = con.execute(
                f"SELECT count(*) FROM {table} WHERE coalesce({seq}, 0) = 0"
            ).fetchall()[0][0]
            if stray:
                raise RuntimeError(
                    f"the landed-file cache holds {stray} {entity} {what}(s) of files that are "
                    "not in the landing folder; delete the working database "
                    "(JEUGDHULP_WORKING_DB) so that every file is read again"
                )
        names = ", ".join(quote_ident(c.name) for c in columns)
        con.execute(
            f"CREATE OR REPLACE VIEW {land_view(entity)} AS SELECT {names}, _extra, "
            f"_source_file, _source_row, CAST({seq} AS INTEGER) AS _file_seq "
            f"FROM {landed_table(entity)}"
        )
        con.execute(
            f"CREATE OR REPLACE VIEW {hits_view(entity)} AS SELECT "
            f"CAST({seq} AS INTEGER) AS _file_seq, _source_row, rule "
            f"FROM {rule_hits_table(entity)}"
        )


def record_file_validation(con: duckdb.DuckDBPyConnection, entity: str) -> int:
    """Keep what validation needs of each landed `entity` file it has not seen yet, in one
    transaction with the file's `validated` mark: its rows' single-row rule hits but the
    peildatum's, its latest valid date, and its rows' natural-key hashes counted into the
    repeated keys. Returns the number of files recorded.

    All three are functions of the file's content (and of `reader_version`, under which the
    cache holds it), so a file is recorded once, when it is first validated; a cold cache
    records every file, as much work as validating them did before."""
    table = landed_table(entity)
    ids = f"SELECT file_id FROM {FILES_TABLE} WHERE entity = {quote_literal(entity)} AND"
    new_ids, seen_ids = f"{ids} NOT validated", f"{ids} validated"
    new = f"_file_seq IN ({new_ids})"
    count = con.execute(f"SELECT count(*) FROM ({new_ids})").fetchall()[0][0]
    if not count:
        return 0
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(file_rule_hits_sql(entity, table, rule_hits_table(entity), new))
        con.execute(
            f"UPDATE {FILES_TABLE} SET latest_date = d.latest FROM ("
            f"SELECT _file_seq AS file_id, max({latest_date_sql(entity)}) AS latest "
            f"FROM {table} WHERE {new} GROUP BY ALL) AS d "
            f"WHERE {FILES_TABLE}.file_id = d.file_id"
        )
        con.execute(
            new_repeated_keys_sql(
                entity, table, new, f"_file_seq IN ({seen_ids})", repeated_keys_table(entity)
            )
        )
        con.execute(
            f"UPDATE {FILES_TABLE} SET validated = true WHERE entity = ? AND NOT validated",
            [entity],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return int(count)


def late_file_ids(con: duckdb.DuckDBPyConnection, entity: str, peildatum: dt.date) -> list[int]:
    """The landed `entity` files with a valid date after the peildatum's bound of plausible
    dates (`validate.latest_plausible_date`): the only files whose rows can break that part of
    `date_out_of_range`. Their recorded latest date decides (`record_file_validation`)."""
    rows = con.execute(
        f"SELECT file_id FROM {FILES_TABLE} WHERE entity = ? AND latest_date > ? ORDER BY 1",
        [entity, latest_plausible_date(peildatum)],
    ).fetchall()
    return [int(r[0]) for r in rows]
