"""Stable client ids, and raw.declarations updated in place from one ingest to the next.

A night adds a month of files to a landing folder of six years. Validation decides over every
row of every file (DEFINITIONS §2, `validate.py`), but its outcome changes for few delivered
rows, so rewriting the tens of millions of declaration lines that were loaded before and load
again is the costliest part of a nightly ingest that changes nothing about them.

What makes a loaded row the same from one ingest to the next:

- *its file*: the landed-file cache (`incremental.py`) gives every landed file a `file_id` that
  stays while the file's content does (a changed file gets a new id);
- *its fate*: the row is loaded when it is not excluded (an exact duplicate, or quarantined by
  any rule). The excluded rows are few; their set is stored per ingest;
- *its values*: the typed columns are a function of the landed text and the code of the ingest
  package (`incremental.reader_version`, which also drops the cache on any change), and the
  `client_id` of its BSN, which is stable (below).

**Client ids.** `client_id` is an integer stand-in for the 64-character `client_key` where dbt
groups tens of millions of rows. The working database keeps the number it gave each client key
(`_ingest_landed.client_ids`) and never gives it to another: a client seen before keeps its id,
new clients get the next numbers, in client_key order. A cold working database (or a full
refresh) numbers from 1 in client_key order. raw.clients lists tonight's clients only. The
numbers are never published and no model depends on their order.

**The update** (`update_declarations`), when the stored state was written under the same
reader version and HMAC key (otherwise raw.declarations is written in full and the ids are
numbered afresh): delete the rows of files that are gone or changed, delete the rows of kept
files that are excluded tonight but were not before, insert the loadable rows of new files and
the rows of kept files that were excluded before but are not tonight. The result is the set of
rows a full write gives, row for row (`tests/test_incremental.py` compares every raw table with
a full ingest); the ingest report's per-file identity (read = loaded + quarantined + duplicate,
counted in the written tables) guards the counts in every run.

The state lives in schema `_ingest_landed` beside the cache (it holds no BSN but belongs to the
working database, which is never published): dropping the cache drops it, so a full refresh
rewrites every raw table and numbers the clients afresh. It is written in the same transaction
as the raw tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import duckdb

from orchestration.ingest.incremental import LANDED_SCHEMA, landed_table
from orchestration.ingest.readers import LandingFile
from orchestration.ingest.report import RawUpdate
from orchestration.sql import table_exists

CLIENT_IDS = f"{LANDED_SCHEMA}.client_ids"
STATE = f"{LANDED_SCHEMA}.raw_state"
STATE_FILES = f"{LANDED_SCHEMA}.raw_declaration_files"
STATE_EXCLUDED = f"{LANDED_SCHEMA}.raw_declarations_excluded"
ENTITY = "declarations"


def state_version(reader_version: str, hmac_key: bytes) -> str:
    """What the stored rows depend on besides the landed text: the ingest code and DuckDB
    (`reader_version`, as the cache was prepared with) and the HMAC key. Only a one-way digest
    of the key is stored."""
    digest = hashlib.sha256(reader_version.encode())
    digest.update(hashlib.sha256(b"jeugdhulp raw state\x00" + hmac_key).digest())
    return digest.hexdigest()


def state_is_current(con: duckdb.DuckDBPyConnection, version: str) -> bool:
    """Whether raw.declarations and the client ids were written by an ingest whose rows are
    still valid: same reader version and HMAC key, state complete."""
    tables = ("client_ids", "raw_state", "raw_declaration_files", "raw_declarations_excluded")
    if not all(table_exists(con, LANDED_SCHEMA, t) for t in tables):
        return False
    if not table_exists(con, "raw", ENTITY):
        return False
    stored = con.execute(f"SELECT version FROM {STATE}").fetchall()
    return stored == [(version,)]


def assign_client_ids(
    con: duckdb.DuckDBPyConnection, keys: str, target: str, *, keep: bool
) -> None:
    """Create `target` (bsn, client_key, client_id) for the (bsn, client_key) rows of `keys`.

    With `keep`, keys numbered before keep their id and new keys get the next ones; otherwise
    the numbering starts again from 1. Call inside the raw tables' transaction."""
    if not keep:
        con.execute(f"DROP TABLE IF EXISTS {CLIENT_IDS}")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {CLIENT_IDS} (client_key VARCHAR PRIMARY KEY, "
        "client_id INTEGER NOT NULL UNIQUE)"
    )
    con.execute(
        f"INSERT INTO {CLIENT_IDS} SELECT client_key, CAST((SELECT coalesce(max(client_id), 0) "
        f"FROM {CLIENT_IDS}) + row_number() OVER (ORDER BY client_key) AS INTEGER) FROM "
        f"(SELECT DISTINCT client_key FROM {keys} AS k WHERE NOT EXISTS "
        f"(SELECT 1 FROM {CLIENT_IDS} AS i WHERE i.client_key = k.client_key))"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {target} AS SELECT k.bsn, k.client_key, i.client_id "
        f"FROM {keys} AS k JOIN {CLIENT_IDS} AS i ON i.client_key = k.client_key"
    )


def file_ids_table(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[LandingFile],
    file_ids: dict[str, int],
    target: str,
) -> None:
    """`target` (_file_seq, file_id, rel) for this run's declaration files: the run's file
    order next to the cache's stable id."""
    con.execute(
        f"CREATE OR REPLACE TABLE {target} (_file_seq INTEGER, file_id INTEGER, rel VARCHAR)"
    )
    rows = [(f.seq, file_ids[f.rel], f.rel) for f in files if f.entity == ENTITY]
    if rows:
        con.executemany(f"INSERT INTO {target} VALUES (?, ?, ?)", rows)


def excluded_table(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str], files: str, target: str
) -> None:
    """`target` (file_id, _source_row): tonight's declaration rows that do not load, from the
    validation tables `sources` (keyed by the run's `_file_seq`)."""
    union = " UNION ".join(f"SELECT _file_seq, _source_row FROM {s}" for s in sources)
    con.execute(
        f"CREATE OR REPLACE TABLE {target} AS SELECT f.file_id, x._source_row "
        f"FROM ({union}) AS x JOIN {files} AS f ON f._file_seq = x._file_seq"
    )


def update_declarations(
    con: duckdb.DuckDBPyConnection,
    *,
    files: str,
    excluded: str,
    insert_rows: Callable[[str], str],
    scratch: str,
) -> RawUpdate:
    """Bring raw.declarations from the stored state to tonight's rows, in place.

    `files` and `excluded` are tonight's tables (`file_ids_table`, `excluded_table`).
    `insert_rows(candidates)` is the INSERT of the loadable rows among the landing relation
    `candidates` (the caller owns typing, client ids and lineage). `scratch` prefixes the
    helper tables. Run inside the raw tables' transaction."""
    kept = f"{scratch}kept_files"
    con.execute(
        f"CREATE OR REPLACE TABLE {kept} AS SELECT f.file_id, f.rel, f._file_seq "
        f"FROM {files} AS f JOIN {STATE_FILES} AS s ON s.file_id = f.file_id"
    )
    deleted = 0
    # rows of files that are gone or changed (a changed file has a new file_id)
    deleted += _count(
        con,
        f"DELETE FROM raw.{ENTITY} WHERE _source_file IN (SELECT rel FROM {STATE_FILES} "
        f"WHERE file_id NOT IN (SELECT file_id FROM {kept}))",
    )
    # rows of kept files whose fate changed
    con.execute(
        f"CREATE OR REPLACE TABLE {scratch}newly_excluded AS SELECT k.rel, x._source_row FROM "
        f"(SELECT file_id, _source_row FROM {excluded} EXCEPT "
        f"SELECT file_id, _source_row FROM {STATE_EXCLUDED}) AS x "
        f"JOIN {kept} AS k ON k.file_id = x.file_id"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {scratch}newly_loadable AS "
        "SELECT k.file_id, k._file_seq, x._source_row "
        f"FROM (SELECT file_id, _source_row FROM {STATE_EXCLUDED} EXCEPT "
        f"SELECT file_id, _source_row FROM {excluded}) AS x "
        f"JOIN {kept} AS k ON k.file_id = x.file_id"
    )
    deleted += _count(
        con,
        f"DELETE FROM raw.{ENTITY} AS d USING {scratch}newly_excluded AS x "
        "WHERE d._source_file = x.rel AND d._source_row = x._source_row",
    )
    # The landed rows to look at: every row of a new file, and the newly loadable rows of kept
    # files. Read from the cache by its stable file id, a real column compared with constants,
    # so DuckDB skips the row groups of other files (new files are appended), and numbered with
    # tonight's `_file_seq`.
    new_ids = {
        int(r[0])
        for r in con.execute(
            f"SELECT file_id FROM {files} WHERE file_id NOT IN (SELECT file_id FROM {kept})"
        ).fetchall()
    }
    reread_ids = {
        int(r[0])
        for r in con.execute(f"SELECT DISTINCT file_id FROM {scratch}newly_loadable").fetchall()
    }
    ids = ", ".join(str(i) for i in sorted(new_ids | reread_ids)) or "NULL"
    new = ", ".join(str(i) for i in sorted(new_ids)) or "NULL"
    con.execute(
        f"CREATE OR REPLACE TABLE {scratch}candidates AS SELECT c.* REPLACE (f._file_seq AS "
        f"_file_seq) FROM {landed_table(ENTITY)} AS c JOIN {files} AS f "
        f"ON f.file_id = c._file_seq WHERE c._file_seq IN ({ids}) AND (f.file_id IN ({new}) "
        f"OR EXISTS (SELECT 1 FROM {scratch}newly_loadable AS n "
        "WHERE n._file_seq = f._file_seq AND n._source_row = c._source_row))"
    )
    inserted = _count(con, insert_rows(f"{scratch}candidates"))
    return RawUpdate(incremental=True, deleted=deleted, inserted=inserted)


def save_state(con: duckdb.DuckDBPyConnection, *, version: str, files: str, excluded: str) -> None:
    """Record what raw.declarations was built from. Inside the raw tables' transaction."""
    con.execute(
        f"CREATE OR REPLACE TABLE {STATE} AS SELECT CAST(? AS VARCHAR) AS version", [version]
    )
    con.execute(f"CREATE OR REPLACE TABLE {STATE_FILES} AS SELECT file_id, rel FROM {files}")
    con.execute(f"CREATE OR REPLACE TABLE {STATE_EXCLUDED} AS SELECT * FROM {excluded}")


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """Rows changed by a DELETE or INSERT."""
    result = con.execute(sql).fetchall()
    return int(result[0][0]) if result else 0
