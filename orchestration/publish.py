"""Write-audit-publish: copy the checked marts from the working database into the analysts'
warehouse, atomically (DEFINITIONS §7).

The new warehouse is written to a temporary file beside the old one, flushed to disk, and only
then renamed over it, so a reader sees either the previous publication or the new one, never a
half-written file; a run that fails before the rename leaves the old file byte-identical.

A run killed while publishing (SIGKILL, power loss) cannot clean up after itself: its temporary
file `.<warehouse name>.publishing-<pid>` stays behind. The next publication removes every such
file whose process is gone before it starts, so killed runs do not pile up disk space.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

PUBLISHED_SCHEMA = "marts"
META_SCHEMA = "meta"
TEMPORARY_INFIX = ".publishing-"


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


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish_marts(
    working_db: Path,
    warehouse: Path,
    tables: Sequence[str],
    *,
    peildatum: dt.date,
    run_id: str = "",
    before_rename: Callable[[Path], None] | None = None,
    duckdb_config: Mapping[str, str] | None = None,
) -> PublishResult:
    """Copy `marts.<table>` for each table from working_db into a new warehouse file and swap it
    in atomically. `before_rename` is a hook for tests (called with the temporary file).
    `duckdb_config` (memory_limit, threads, temp_directory) bounds the copy like the rest of the
    run; row order inside a table carries no meaning, so the copy runs in parallel."""
    warehouse = Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(warehouse)
    remove_stale_temporaries(warehouse)  # also this process's own, from an earlier attempt
    published_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    result = PublishResult(warehouse=warehouse, published_at=published_at)
    try:
        con = duckdb.connect(
            str(tmp), config={**(duckdb_config or {}), "preserve_insertion_order": False}
        )
        try:
            con.execute(f"ATTACH '{working_db}' AS work (READ_ONLY)")
            con.execute(f"CREATE SCHEMA {PUBLISHED_SCHEMA}")
            con.execute(f"CREATE SCHEMA {META_SCHEMA}")
            for table in sorted(tables):
                qualified = f"{PUBLISHED_SCHEMA}.{_quote(table)}"
                con.execute(
                    f"CREATE TABLE {qualified} AS SELECT * FROM work.{PUBLISHED_SCHEMA}.{_quote(table)}"
                )
                result.tables[table] = con.execute(f"SELECT count(*) FROM {qualified}").fetchall()[
                    0
                ][0]
            con.execute(
                f"""CREATE TABLE {META_SCHEMA}.publication AS SELECT
                    ?::DATE AS peildatum, ?::TIMESTAMP AS published_at, ? AS run_id,
                    ? AS table_row_counts""",
                [peildatum, published_at.replace("+00:00", ""), run_id, json.dumps(result.tables)],
            )
            con.execute("DETACH work")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        _fsync(tmp)
        if before_rename is not None:
            before_rename(tmp)
        os.replace(tmp, warehouse)
        dir_fd = os.open(warehouse.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return result
