"""Write-audit-publish (DEFINITIONS §7): dbt builds the marts into the next publication, a
database file of their own beside the warehouse (attached to the working database as
`publication`, dbt_project/macros/generate_database_name.sql); only after every blocking check
passed is that file renamed over the warehouse. Publishing copies nothing: the file the checks
read is the file analysts get.

`prepare_publication` (before dbt builds) removes an earlier run's unpublished file, so the new
one holds exactly this run's marts. `publish_marts` moves the file to a temporary name (claiming
it), keeps only the named marts, adds `meta.publication`, flushes it to disk and renames it over
the warehouse, so a reader sees either the previous publication or the new one, never a
half-written file; a run that fails before the rename leaves the old file byte-identical.

A run killed while publishing (SIGKILL, power loss) cannot clean up after itself: its temporary
file `.<warehouse name>.publishing-<pid>` stays behind. The next publication removes every such
file whose process is gone before it starts, so killed runs do not pile up disk space.

For tests only: `JEUGDHULP_FAULT_STOP_AT=<point>` makes a publication stop itself at a named
point, so a test can kill it there instead of hoping a kill lands in a window of a second. At
the point the process writes the marker file `.<warehouse name>.stopped-at-<point>` beside the
warehouse (JSON: point, pid, temporary file) and then stops (SIGSTOP): it does nothing more
until it is killed or continued (SIGCONT). Points (`FAULT_POINTS`):
* `before_rename`: the temporary publication file is complete and flushed to disk, the rename
  over the warehouse has not happened.
Never set it outside tests: a run that reaches the point hangs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.check_passes import clear_passes, current_passes, write_passed_table
from orchestration.increments import MARTS_SCHEMA, META_SCHEMA, kept_tables, record_definitions
from orchestration.sql import quote_ident, quote_literal, user_relations

PUBLISHED_SCHEMA = MARTS_SCHEMA  # the schema analysts query (named once, in increments.py)
PUBLICATION_ALIAS = "publication"
"""The publication's name when attached to the working database (dbt_project/profiles.yml)."""
TEMPORARY_INFIX = ".publishing-"
FAULT_STOP_AT_ENV = "JEUGDHULP_FAULT_STOP_AT"
"""For tests only: the named point where a publication stops itself (module docstring)."""
FAULT_POINTS = ("before_rename",)


@dataclass
class PublishResult:
    warehouse: Path
    tables: dict[str, int] = field(default_factory=dict)
    published_at: str = ""


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_path(warehouse: Path, pid: int | None = None) -> Path:
    """The temporary file a publication by process `pid` (default: this one) writes first."""
    pid = os.getpid() if pid is None else pid
    return warehouse.with_name(f".{warehouse.name}{TEMPORARY_INFIX}{pid}")


def fault_marker_path(warehouse: Path, point: str) -> Path:
    """The marker a publication writes when it stops at fault point `point` (tests only)."""
    return Path(warehouse).with_name(f".{Path(warehouse).name}.stopped-at-{point}")


def _fault_point(point: str, warehouse: Path, temporary: Path) -> None:
    """Stop this process at `point` when JEUGDHULP_FAULT_STOP_AT names it (tests only): write the
    marker first, so a test waiting for it knows the process is at the point, then SIGSTOP."""
    wanted = os.environ.get(FAULT_STOP_AT_ENV, "").strip()
    if wanted != point:
        return
    marker = fault_marker_path(warehouse, point)
    info = {"point": point, "pid": os.getpid(), "temporary": str(temporary)}
    partial = marker.with_name(marker.name + ".partial")
    partial.write_text(json.dumps(info), encoding="utf-8")
    os.replace(partial, marker)  # the marker appears complete or not at all
    os.kill(os.getpid(), signal.SIGSTOP)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def remove_stale_temporaries(warehouse: Path) -> list[Path]:
    """Delete temporary files (and their DuckDB WAL) left by publications whose process no
    longer runs; a live process's file is left alone. Returns the deleted paths."""
    warehouse = Path(warehouse)
    prefix = f".{warehouse.name}{TEMPORARY_INFIX}"
    removed: list[Path] = []
    if not warehouse.parent.is_dir():
        return removed
    for path in sorted(warehouse.parent.iterdir()):
        if not path.name.startswith(prefix):
            continue
        pid_text = path.name[len(prefix) :].removesuffix(".wal")
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid != os.getpid() and _process_alive(pid):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def prepare_publication(publication_db: Path, working_db: Path | None = None) -> None:
    """Before dbt builds the marts: remove an unpublished publication file (and its WAL) of an
    earlier run, and the schema `marts` a working database still holds from before the marts
    were built into the publication (it would shadow the publication's for the checks)."""
    publication_db = Path(publication_db)
    for path in (publication_db, _wal(publication_db)):
        path.unlink(missing_ok=True)
    clear_passes(publication_db)  # they were about the file just removed
    if working_db is not None and Path(working_db).is_file():
        con = duckdb.connect(str(working_db))
        try:
            con.execute(f"DROP SCHEMA IF EXISTS {PUBLISHED_SCHEMA} CASCADE")
        finally:
            con.close()


def attach_publication(con: duckdb.DuckDBPyConnection, publication_db: Path) -> bool:
    """Attach the next publication read-only to a connection on the working database, so that
    `marts.<table>` names its marts (the publication's schema joins the search path). False
    when there is no publication file (nothing attached)."""
    if not Path(publication_db).is_file():
        return False
    con.execute(f"ATTACH {quote_literal(str(publication_db))} AS {PUBLICATION_ALIAS} (READ_ONLY)")
    working = con.execute("SELECT current_database()").fetchall()[0][0]
    search_path = f"{quote_ident(working)}.main,{PUBLICATION_ALIAS}.{PUBLISHED_SCHEMA}"
    con.execute(f"SET search_path = {quote_literal(search_path)}")
    return True


def publish_marts(
    publication_db: Path,
    warehouse: Path,
    tables: Sequence[str],
    *,
    peildatum: dt.date,
    run_id: str = "",
    before_rename: Callable[[Path], None] | None = None,
    duckdb_config: Mapping[str, str] | None = None,
) -> PublishResult:
    """Publish the publication file dbt built: keep `marts.<table>` for each table (anything
    else in the file is dropped), add `meta.publication`, and swap it in atomically for the
    warehouse. `before_rename` is a hook for tests (called with the temporary file).
    `duckdb_config` (memory_limit, threads, temp_directory) bounds DuckDB like the rest of the
    run. A named table missing from the publication raises PublicationError and leaves the
    warehouse untouched."""
    publication_db, warehouse = Path(publication_db), Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(warehouse)  # also this process's own, from an earlier attempt
    if not publication_db.is_file():
        raise PublicationError(
            f"no publication to publish: {publication_db} does not exist (dbt builds it; "
            "run the whole pipeline)"
        )
    tmp = temporary_path(warehouse)
    published_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    result = PublishResult(warehouse=warehouse, published_at=published_at)
    passes = current_passes(publication_db)  # before the file is touched: its identity
    try:
        os.replace(publication_db, tmp)  # claimed: a kill from here on leaves a stale temporary
        if _wal(publication_db).exists():
            os.replace(_wal(publication_db), _wal(tmp))
        con = duckdb.connect(str(tmp), config=dict(duckdb_config or {}))
        try:
            _keep_only(con, tables)
            for table in sorted(tables):
                qualified = f"{PUBLISHED_SCHEMA}.{quote_ident(table)}"
                result.tables[table] = con.execute(f"SELECT count(*) FROM {qualified}").fetchall()[
                    0
                ][0]
            record_definitions(con)
            write_passed_table(con, passes)
            con.execute(
                f"""CREATE TABLE {META_SCHEMA}.publication AS SELECT
                    ?::DATE AS peildatum, ?::TIMESTAMP AS published_at, ? AS run_id,
                    ? AS table_row_counts""",
                [peildatum, published_at.replace("+00:00", ""), run_id, json.dumps(result.tables)],
            )
            con.execute("CHECKPOINT")
        finally:
            con.close()
        _fsync(tmp)
        if before_rename is not None:
            before_rename(tmp)
        _fault_point("before_rename", warehouse, tmp)
        os.replace(tmp, warehouse)
        dir_fd = os.open(warehouse.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        for leftover in (tmp, _wal(tmp)):
            leftover.unlink(missing_ok=True)
    clear_passes(publication_db)
    return result


class PublicationError(RuntimeError):
    """The publication cannot be published; the message says why. The warehouse is untouched."""


def _keep_only(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
    """Drop every table, view and schema of the publication except `marts.<table>` for the
    named tables and the state the incremental marts were built from (`meta.<mart>__months` and
    `meta.<mart>__links`, orchestration/increments.py); PublicationError when one of the named tables is missing."""
    present = user_relations(con)
    missing = sorted(set(tables) - {t for s, t, _ in present if s == PUBLISHED_SCHEMA})
    if missing:
        raise PublicationError(
            f"the publication lacks mart(s) {', '.join(missing)}: the dbt build did not finish"
        )
    views = sorted(
        t for s, t, kind in present if s == PUBLISHED_SCHEMA and t in tables and kind == "VIEW"
    )
    if views:
        raise PublicationError(
            f"mart(s) {', '.join(views)} are views: a view would read the working database, "
            "which analysts do not have; materialise the marts as tables"
        )
    state = kept_tables()
    for schema, name, kind in present:
        if schema == PUBLISHED_SCHEMA and name in tables:
            continue
        if kind == "TABLE" and (schema, name) in state:
            continue
        con.execute(f"DROP {kind} {quote_ident(schema)}.{quote_ident(name)}")
    for (schema,) in con.execute(
        "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() "
        "AND NOT internal AND schema_name NOT IN (?, ?, 'main')",
        [PUBLISHED_SCHEMA, META_SCHEMA],
    ).fetchall():
        con.execute(f"DROP SCHEMA {quote_ident(schema)} CASCADE")
