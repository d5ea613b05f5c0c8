"""Landing folder → raw tables of the working database: the public entry point of ingestion.

`ingest_landing` reads every file under `allocations/` and `declarations/` (DEFINITIONS §2) and,
when present, `care_starts/`, `care_stops/`, `allocation_requests/`, `declaration_responses/` and
`outcome_reports/` (§2.1), validates the rows set-based in DuckDB (`validate.py`), and replaces,
in one transaction:

- raw.allocations, raw.declarations and the §2.1 tables raw.care_starts, raw.care_stops,
  raw.allocation_requests, raw.declaration_responses, raw.outcome_reports (always created,
  empty when their sub-folder is absent): the rows that pass every rule, typed, with
  `client_id` (not the answers, which carry no BSN) and lineage (_source_file, _source_row,
  _extra; all but declarations also _file_seq, which decides between undated versions);
  allocations also carry the `client_key` (§7). Declaration lines
  do not: at 60M lines the 64-character key is the costliest column to write, and dbt looks it
  up in raw.clients after aggregating on client_id. The BSN stays here — the working database
  is never published; dbt staging drops it.
- raw.clients: client_id → client_key, one row per client (no BSN). The ids are stable from
  one ingest to the next (`raw_state.py`).
- raw.quarantine: every row that breaks a rule, once, with its primary rule, all broken
  rules and the original values as JSON text.
- raw.ingest_files: one row per file with the counts of `FileReport`.

Each run validates every row of every file in the landing folder, so running it twice gives
the same tables. Reading is incremental: a file unchanged since an earlier run (same path,
size and content hash) is not parsed again, its landed rows come from the cache of
`incremental.py`. So is writing raw.declarations: the rows whose file and fate did not change
stay, the others are deleted or inserted (`raw_state.py`). `full_refresh=True` reads every
file again and writes every table in full. The raw tables hold the same rows either way. A file that cannot be read raises `LandingFileError` before any raw table is
touched. Intermediate tables live in a scratch schema of the same database (so large
deliveries spill to disk, not memory) and are dropped at the end.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from orchestration.ingest.contract import ENTITIES
from orchestration.ingest.hashing import client_key_params, client_key_sql
from orchestration.ingest.incremental import (
    LandingStats,
    land_incrementally,
    late_file_ids,
    record_file_validation,
    repeated_keys_table,
)
from orchestration.ingest.raw_state import (
    assign_client_ids,
    excluded_table,
    file_ids_table,
    save_state,
    state_is_current,
    state_version,
    update_declarations,
)
from orchestration.ingest.readers import (
    LandingFile,
    LandingFileError,
    discover_files,
    duckdb_settings,
    insertion_order,
)
from orchestration.ingest.report import FileReport, IngestReport, RawUpdate
from orchestration.ingest.validate import (
    RULES,
    EntityTables,
    credit_rules_sql,
    cross_rules_sql,
    duplicates_sql,
    quarantine_rules_sql,
    repeated_keys_sql,
    single_rules_sql,
    typed,
    value,
)
from orchestration.sql import quote_ident, quote_literal

__all__ = ["FileReport", "IngestReport", "LandingFileError", "ingest_landing"]

SCRATCH_SCHEMA = "_ingest_scratch"
RAW_SCHEMA = "raw"
# Lineage columns per raw table. Declaration lines do not keep `_file_seq`: it is the file's
# position in this run's sorted paths, so a new file renumbers the files after it, and the
# lines are kept from one ingest to the next (raw_state.py); nothing downstream orders lines
# by file.
_FULL_LINEAGE = "c._source_file, c._source_row, c._file_seq, c._extra"
LINEAGE = {entity: _FULL_LINEAGE for entity in ENTITIES} | {
    "declarations": "c._source_file, c._source_row, c._extra",
}
# The client columns each raw table gets from the client keys (see the module docstring). The
# declaration answers carry no BSN (§2.1), so no client.
CLIENT_COLUMNS = {
    entity: "k.client_id"
    for entity, columns in ENTITIES.items()
    if any(c.name == "bsn" for c in columns)
} | {"allocations": "k.client_key, k.client_id"}
# The raw tables written in full every run (raw.declarations is updated in place).
FULL_TABLES = tuple(entity for entity in ENTITIES if entity != "declarations")


def _scratch(name: str) -> str:
    return f"{SCRATCH_SCHEMA}.{name}"


def ingest_landing(
    landing_dir: Path,
    con: duckdb.DuckDBPyConnection,
    *,
    hmac_key: bytes,
    peildatum: dt.date,
    progress: Callable[[str], None] | None = None,
    full_refresh: bool = False,
) -> IngestReport:
    """Ingest the whole landing folder into schema `raw` of the working database.

    `con` is a read-write connection. `peildatum` bounds plausible dates (§2 rules in
    `validate.RULES`). `progress` receives one message per file and per step.
    `full_refresh` re-reads every file instead of reusing the landed rows of unchanged ones.
    """
    say = progress or (lambda _message: None)
    landing_dir = Path(landing_dir)
    files = discover_files(landing_dir)
    say(f"Found {len(files)} file(s) in {landing_dir}")
    with duckdb_settings(con, _SETTINGS):
        try:
            con.execute(f"DROP SCHEMA IF EXISTS {SCRATCH_SCHEMA} CASCADE")
            con.execute(f"CREATE SCHEMA {SCRATCH_SCHEMA}")
            landed = _land(con, files, say, full_refresh)
            version = state_version(landed.reader_version, hmac_key)
            keep = state_is_current(con, version)
            _validate(con, peildatum, say, landed.seq_by_file_id)
            say("Hashing BSNs into client keys")
            _client_keys(con, hmac_key)
            say("Replacing the raw tables")
            report = _replace_raw_tables(con, files, landed, version, keep=keep)
            if report.raw_declarations:
                say(report.raw_declarations.describe())
        finally:
            con.execute(f"DROP SCHEMA IF EXISTS {SCRATCH_SCHEMA} CASCADE")
    say(
        f"Ingested {report.rows_read} rows: {report.rows_loaded} loaded, "
        f"{report.rows_quarantined} quarantined, {report.rows_duplicate} duplicate"
    )
    return report


# Nothing in validation depends on the physical row order (rows are identified by
# (_file_seq, _source_row)), so DuckDB may work in parallel without keeping it; the readers
# that number rows by scan order (CSV, XML) keep it for their own insert. The progress bar
# would only clutter logs.
_SETTINGS = {"preserve_insertion_order": False, "enable_progress_bar": False}


def _land(
    con: duckdb.DuckDBPyConnection,
    files: list[LandingFile],
    say: Callable[[str], None],
    full_refresh: bool,
) -> LandingStats:
    """The landing relation of each entity (a view over the landed-file cache); rows per file
    and the cache's file ids."""
    stats = land_incrementally(
        con,
        files,
        lambda entity: _scratch(f"land_{entity}"),
        lambda entity: _scratch(f"hits_{entity}"),
        say,
        full_refresh=full_refresh,
    )
    if stats.reused:
        say(f"Landed {len(stats.read)} new or changed file(s), reused {len(stats.reused)}")
    return stats


def _tables(entity: str) -> EntityTables:
    return EntityTables(
        land=_scratch(f"land_{entity}"),
        hits=_scratch(f"hits_{entity}"),
        keyed=_scratch(f"keyed_{entity}"),
        dups=_scratch(f"dups_{entity}"),
        single=_scratch(f"single_{entity}"),
        cross=_scratch(f"cross_{entity}"),
    )


def _validate(
    con: duckdb.DuckDBPyConnection,
    peildatum: dt.date,
    say: Callable[[str], None],
    seq_by_file_id: dict[int, int],
) -> None:
    """The steps of validate.py in the order of ENTITIES: allocations first (the others refer to
    them), declarations finished (credits included) before their answers. What depends on a
    file alone is worked out once per landed file (`record_file_validation`)."""
    for entity in ENTITIES:
        say(f"Validating {entity}")
        recorded = record_file_validation(con, entity)
        if recorded:
            say(f"Recorded the single-row rules and keys of {recorded} new {entity} file(s)")
        tables = _tables(entity)
        con.execute(repeated_keys_sql(entity, tables, repeated_keys_table(entity)))
        con.execute(duplicates_sql(entity, tables))
        late = [seq_by_file_id[i] for i in late_file_ids(con, entity, peildatum)]
        con.execute(single_rules_sql(entity, tables, peildatum, late))
        con.execute(
            cross_rules_sql(
                entity,
                tables,
                allocations=_tables("allocations"),
                declarations=_tables("declarations"),
            )
        )
        if entity == "declarations":
            say("Checking credit lines against their debit lines")
            for statement in credit_rules_sql(tables, _scratch("debits"), _scratch("credits")):
                con.execute(statement)
    for entity in ENTITIES:
        con.execute(quarantine_rules_sql(_tables(entity), _scratch(f"rules_{entity}")))


def _client_keys(con: duckdb.DuckDBPyConnection, hmac_key: bytes) -> None:
    """One client key per distinct BSN of the loaded rows (hashing.py is the definition). Their
    client_id is given in the raw tables' transaction (raw_state.assign_client_ids)."""
    distinct = " UNION ".join(
        f"SELECT l.bsn FROM {_tables(entity).land} AS l WHERE {_tables(entity).clean('l')}"
        for entity in CLIENT_COLUMNS
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {_scratch('bsn_keys')} AS "
        f"SELECT bsn, {client_key_sql('bsn')} AS client_key FROM ({distinct})",
        client_key_params(hmac_key),
    )


def _raw_rows(entity: str, source: str) -> str:
    """The SELECT of raw.<entity>'s rows among the landing relation `source`: loadable, typed,
    with client columns and lineage."""
    tables = _tables(entity)
    selects = ", ".join(f"{typed(c, 'c')} AS {quote_ident(c.name)}" for c in ENTITIES[entity])
    if entity not in CLIENT_COLUMNS:
        return f"SELECT {selects}, {LINEAGE[entity]} FROM {source} AS c WHERE {tables.clean('c')}"
    return (
        f"SELECT {selects}, {CLIENT_COLUMNS[entity]}, {LINEAGE[entity]} FROM {source} AS c "
        f"JOIN {_scratch('client_keys')} AS k ON k.bsn = {value('bsn', 'c')} "
        f"WHERE {tables.clean('c')}"
    )


def _write_declarations(
    con: duckdb.DuckDBPyConnection,
    files: list[LandingFile],
    landed: LandingStats,
    *,
    keep: bool,
) -> RawUpdate:
    """raw.declarations: updated in place from the stored state when `keep`, else in full.
    Leaves the scratch tables the state is saved from."""
    entity = "declarations"
    tables = _tables(entity)
    file_ids_table(con, files, landed.file_ids, _scratch("declaration_files"))
    excluded_table(
        con,
        (tables.dups, tables.single, tables.cross),
        _scratch("declaration_files"),
        _scratch("declarations_excluded"),
    )
    if keep:
        return update_declarations(
            con,
            files=_scratch("declaration_files"),
            excluded=_scratch("declarations_excluded"),
            insert_rows=lambda candidates: (
                f"INSERT INTO {RAW_SCHEMA}.{entity} {_raw_rows(entity, candidates)}"
            ),
            scratch=_scratch("raw_"),
        )
    con.execute(
        f"CREATE OR REPLACE TABLE {RAW_SCHEMA}.{entity} AS {_raw_rows(entity, tables.land)}"
    )
    total = con.execute(f"SELECT count(*) FROM {RAW_SCHEMA}.{entity}").fetchall()[0][0]
    return RawUpdate(incremental=False, deleted=0, inserted=int(total))


def _original_values(entity: str) -> str:
    """The row as delivered (values trimmed, empty as null), as JSON text: contract columns,
    then any extra columns."""
    pairs = ", ".join(f"{quote_literal(c.name)}, {value(c.name, 'c')}" for c in ENTITIES[entity])
    base = f"CAST(json_object({pairs}) AS VARCHAR)"
    return (
        f"CASE WHEN c._extra IS NULL OR c._extra = '{{}}' THEN {base} "
        f"ELSE left({base}, length({base}) - 1) || ',' || substr(c._extra, 2) END"
    )


def _replace_raw_tables(
    con: duckdb.DuckDBPyConnection,
    files: list[LandingFile],
    landed: LandingStats,
    version: str,
    *,
    keep: bool,
) -> IngestReport:
    """Write the raw tables and count what reached them, in one transaction, with the state
    the next ingest starts from (raw_state.py). `keep`: the stored state is current, so client
    ids are kept and raw.declarations is updated in place.

    The report counts rows in the written tables (and the duplicates found), so a
    row lost on the way would break the per-file identity and roll everything back.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
        assign_client_ids(con, _scratch("bsn_keys"), _scratch("client_keys"), keep=keep)
        for entity in FULL_TABLES:
            con.execute(
                f"CREATE OR REPLACE TABLE {RAW_SCHEMA}.{entity} AS "
                f"{_raw_rows(entity, _tables(entity).land)}"
            )
        update = _write_declarations(con, files, landed, keep=keep)
        save_state(
            con,
            version=version,
            files=_scratch("declaration_files"),
            excluded=_scratch("declarations_excluded"),
        )
        con.execute(
            f"CREATE OR REPLACE TABLE {RAW_SCHEMA}.clients AS SELECT client_id, client_key "
            f"FROM {_scratch('client_keys')} ORDER BY client_id"
        )
        con.execute(
            f"CREATE OR REPLACE TABLE {RAW_SCHEMA}.quarantine (entity VARCHAR, "
            "source_file VARCHAR, source_row BIGINT, rule VARCHAR, rules VARCHAR, "
            "original_values VARCHAR)"
        )
        with insertion_order(con, preserve=True):  # file and row order, for readers
            for entity in ENTITIES:
                con.execute(
                    f"INSERT INTO {RAW_SCHEMA}.quarantine SELECT '{entity}', c._source_file, "
                    "c._source_row, split_part(r.rules, ',', 1), r.rules, "
                    f"{_original_values(entity)} FROM {_tables(entity).land} AS c "
                    f"JOIN {_scratch(f'rules_{entity}')} AS r ON r._file_seq = c._file_seq "
                    "AND r._source_row = c._source_row ORDER BY c._file_seq, c._source_row"
                )
        report = replace(_report(con, files, landed.rows_read), raw_declarations=update)
        con.execute(
            f"CREATE OR REPLACE TABLE {RAW_SCHEMA}.ingest_files (path VARCHAR, entity VARCHAR, "
            "format VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, "
            "rows_duplicate BIGINT, quarantined_by_rule VARCHAR)"
        )
        if report.files:
            con.executemany(
                f"INSERT INTO {RAW_SCHEMA}.ingest_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        f.path,
                        f.entity,
                        f.format,
                        f.rows_read,
                        f.rows_loaded,
                        f.rows_quarantined,
                        f.rows_duplicate,
                        json.dumps(f.quarantined_by_rule),
                    )
                    for f in report.files
                ],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return report


def _per_file(con: duckdb.DuckDBPyConnection, sql: str) -> dict[Any, int]:
    return {file: int(n) for file, n in con.execute(sql).fetchall()}


def _report(
    con: duckdb.DuckDBPyConnection, files: list[LandingFile], rows_read: dict[str, int]
) -> IngestReport:
    """Per file: rows read (by the reader), loaded (raw tables), quarantined (raw.quarantine,
    per primary rule) and duplicate. FileReport checks that they add up."""
    loaded: dict[str, int] = {}
    duplicates: dict[int, int] = {}  # by file seq
    for entity in ENTITIES:
        loaded |= _per_file(
            con, f"SELECT _source_file, count(*) FROM {RAW_SCHEMA}.{entity} GROUP BY 1"
        )
        duplicates |= _per_file(
            con, f"SELECT _file_seq, count(*) FROM {_tables(entity).dups} GROUP BY 1"
        )
    by_rule: dict[str, dict[str, int]] = {f.rel: {} for f in files}
    for path, rule, n in con.execute(
        f"SELECT source_file, rule, count(*) FROM {RAW_SCHEMA}.quarantine GROUP BY ALL"
    ).fetchall():
        by_rule[path][rule] = int(n)
    reports = []
    for file in files:
        rules = by_rule[file.rel]
        reports.append(
            FileReport(
                path=file.rel,
                entity=file.entity,
                format=file.format,
                rows_read=rows_read[file.rel],
                rows_loaded=loaded.get(file.rel, 0),
                rows_quarantined=sum(rules.values()),
                rows_duplicate=duplicates.get(file.seq, 0),
                quarantined_by_rule={r: rules[r] for r in RULES if r in rules},
            )
        )
    return IngestReport(files=reports)
