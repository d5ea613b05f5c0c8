"""Landing files → landing tables of text values, one reader per file extension.

DEFINITIONS §2: files arrive as CSV or Parquet in the `allocations/` and `declarations/`
sub-folders of the landing folder; §2.1 adds the optional sub-folders `care_starts/`,
`care_stops/`, `allocation_requests/`, `declaration_responses/` and `outcome_reports/`. iJw XML
messages (one per file) are read by `ijw_xml.py`. A file that cannot be parsed at all, or lacks a required
column, fails the run with a clear message naming the file (`LandingFileError`).

Every reader appends the rows of one file to a landing table that has every contract column
as VARCHAR (values as delivered, as text, so '0153' stays '0153'; surrounding whitespace is
trimmed and an empty value or a missing optional column is NULL), `_extra` (unknown columns
as a JSON object of their raw values), `_source_file`, `_source_row` (1-based data row in
file order, header not counted) and `_file_seq`. Typing and validation happen later,
set-based, in `validate.py`.

To support another format, write a function with the `Reader` signature and add it to
`READERS` under its extension.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.config import GENERATED_MARKER
from orchestration.ingest import csv_text
from orchestration.ingest.contract import CORE_ENTITIES, ENTITIES, Column
from orchestration.sql import quote_ident, quote_literal


class LandingFileError(ValueError):
    """A landing file (or the landing folder) cannot be ingested; the run must stop.

    `str()` names the file, says what is wrong and what to do about it.
    """

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class LandingFile:
    """One delivered file. `seq` is its 1-based position in sorted path order."""

    path: Path
    rel: str
    entity: str
    format: str
    seq: int


Reader = Callable[[duckdb.DuckDBPyConnection, LandingFile, str], int]
"""Append the rows of a file to a landing table; return the number of rows read."""


# ----------------------------------------------------------------------------- discovery


def discover_files(landing_dir: Path) -> list[LandingFile]:
    """All delivery files under the entity sub-folders, in sorted path order (DEFINITIONS §2).

    Hidden files and folders are skipped, and so is the generator's marker file at the root.
    A CSV or Parquet file outside the entity sub-folders is an error: it would otherwise be
    ignored silently.
    """
    if not landing_dir.is_dir():
        raise LandingFileError(
            landing_dir,
            "the landing folder does not exist; point JEUGDHULP_LANDING_DIR (or --landing) at "
            "the folder holding allocations/ and declarations/",
        )
    entity_dirs = {e: landing_dir / e for e in ENTITIES if (landing_dir / e).is_dir()}
    if not any(e in entity_dirs for e in CORE_ENTITIES):
        raise LandingFileError(
            landing_dir,
            "the landing folder has neither an allocations/ nor a declarations/ sub-folder; "
            "put the delivered files there",
        )
    for entry in landing_dir.iterdir():
        if entry.name == GENERATED_MARKER or _hidden(entry.name) or not entry.is_file():
            continue
        if entry.suffix.lower() in READERS:
            raise LandingFileError(
                entry,
                "the file is not inside allocations/ or declarations/ (or another entity "
                f"sub-folder: {', '.join(f'{e}/' for e in ENTITIES if e not in CORE_ENTITIES)}); "
                "move it into the sub-folder of its entity",
            )
    found: list[tuple[str, Path, str]] = []
    for entity, folder in entity_dirs.items():
        for path in folder.rglob("*"):
            rel_parts = path.relative_to(landing_dir).parts
            if any(_hidden(part) for part in rel_parts) or not path.is_file():
                continue
            if path.suffix.lower() not in READERS:
                raise LandingFileError(
                    path,
                    f"unknown file type {path.suffix or '(no extension)'!r} in {entity}/; "
                    f"deliver {' or '.join(sorted(READERS))} files, or move this file out of "
                    "the landing folder",
                )
            found.append((path.relative_to(landing_dir).as_posix(), path, entity))
    found.sort()
    return [
        LandingFile(path=p, rel=rel, entity=e, format=p.suffix.lower().lstrip("."), seq=i)
        for i, (rel, p, e) in enumerate(found, start=1)
    ]


def _hidden(name: str) -> bool:
    return name.startswith(".")


# ----------------------------------------------------------------------------- landing table


def create_landing_table(con: duckdb.DuckDBPyConnection, table: str, entity: str) -> None:
    """The landing table of an entity: every contract column as text, plus lineage."""
    columns = [f"{quote_ident(c.name)} VARCHAR" for c in ENTITIES[entity]]
    columns += ["_extra VARCHAR", "_source_file VARCHAR", "_source_row BIGINT", "_file_seq INTEGER"]
    con.execute(f"CREATE OR REPLACE TABLE {table} ({', '.join(columns)})")


def land_file(con: duckdb.DuckDBPyConnection, file: LandingFile, table: str) -> int:
    """Append a file's rows to the landing table with the reader of its extension."""
    return READERS[file.path.suffix.lower()](con, file, table)


@dataclass(frozen=True)
class _ColumnMatch:
    present: dict[str, str]  # contract column -> name as delivered
    extra: list[str]  # delivered names that are not contract columns


def _match_columns(file: LandingFile, delivered: Sequence[str], hint: str = "") -> _ColumnMatch:
    """Map delivered column names (case-insensitive) onto the entity's contract columns."""
    seen: dict[str, str] = {}
    for position, name in enumerate(delivered, start=1):
        if not name:
            raise LandingFileError(
                file.path, f"column {position} of the header has no name; name it or remove it"
            )
        key = name.lower()
        if key in seen:
            raise LandingFileError(
                file.path,
                f"column {name!r} appears more than once in the header; keep one of them",
            )
        seen[key] = name
    contract: Sequence[Column] = ENTITIES[file.entity]
    missing = [c.name for c in contract if c.required and c.name not in seen]
    if missing:
        raise LandingFileError(
            file.path,
            f"required column(s) missing: {', '.join(missing)}; the {file.entity} contract "
            f"(DEFINITIONS §2) needs them{hint}",
        )
    names = {c.name for c in contract}
    return _ColumnMatch(
        present={c.name: seen[c.name] for c in contract if c.name in seen},
        extra=[name for key, name in seen.items() if key not in names],
    )


def _insert_sql(
    file: LandingFile,
    table: str,
    values: dict[str, str],
    extras: dict[str, str],
    row_number: str,
    source: str,
    *,
    source_file: str | None = None,
    file_seq: str | None = None,
) -> str:
    """INSERT … SELECT of one file into its landing table.

    `values` maps present contract columns to text expressions over `source`, `extras` maps
    unknown delivered column names to expressions, `row_number` is the 1-based row number.
    """
    targets = [quote_ident(name) for name in values]
    selects = [f"nullif(trim({expr}), '')" for expr in values.values()]
    if extras:
        pairs = ", ".join(f"{quote_literal(name)}, {expr}" for name, expr in extras.items())
        extra_expr = f"CAST(json_object({pairs}) AS VARCHAR)"
    else:
        extra_expr = "NULL"
    targets += ["_extra", "_source_file", "_source_row", "_file_seq"]
    selects += [
        extra_expr,
        source_file or quote_literal(file.rel),
        row_number,
        file_seq or str(file.seq),
    ]
    return f"INSERT INTO {table} ({', '.join(targets)}) SELECT {', '.join(selects)} FROM {source}"


def _inserted(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0


def _file_size(file: LandingFile) -> int:
    try:
        size = file.path.stat().st_size
        with file.path.open("rb"):
            pass
    except OSError as exc:
        raise LandingFileError(
            file.path, f"the file cannot be opened ({exc.strerror}); check its permissions"
        ) from exc
    if size == 0:
        raise LandingFileError(
            file.path,
            "the file is empty (0 bytes); a delivery needs at least a header row — "
            "re-export it or remove it",
        )
    return size


def _duckdb_summary(exc: duckdb.Error) -> str:
    """The informative lines of a DuckDB error, without echoing row contents (they hold BSNs)."""
    kept = []
    for line in str(exc).splitlines():
        line = line.strip()
        if line.startswith(("Possible", "file =")):
            break
        if not line or line.startswith(("Original Line", "*")):
            continue
        kept.append(line.removeprefix("Invalid Input Error: "))
    return " ".join(kept) or type(exc).__name__


# ----------------------------------------------------------------------------- CSV


def read_csv_file(con: duckdb.DuckDBPyConnection, file: LandingFile, table: str) -> int:
    """A UTF-8 CSV (optional BOM; comma or semicolon, sniffed from the header), all text."""
    _file_size(file)
    with file.path.open("rb") as fh:
        head = fh.read(csv_text.HEAD_BYTES)
    reason = csv_text.binary_reason(head)
    if reason:
        raise LandingFileError(file.path, f"the file {reason}")
    try:
        header = csv_text.header_line(file.path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LandingFileError(
            file.path, "the file is not UTF-8 at line 1; re-export it as UTF-8"
        ) from exc
    delimiter = csv_text.sniff_delimiter(header)
    names = csv_text.parse_header(header, delimiter)
    hint = (
        " (only one column was found: is the file comma or semicolon separated?)"
        if len(names) == 1
        else ""
    )
    match = _match_columns(file, names, hint)
    position = {name: f"c{i}" for i, name in enumerate(names)}
    columns = "{" + ", ".join(f"'{position[n]}': 'VARCHAR'" for n in names) + "}"
    source = (
        f"read_csv({quote_literal(str(file.path))}, delim={quote_literal(delimiter)}, "
        "quote='\"', escape='\"', header=true, auto_detect=false, "
        f"columns={columns}, null_padding=false, strict_mode=true)"
    )
    values = {col: position[name] for col, name in match.present.items()}
    extras = {name: position[name] for name in match.extra}
    # A window over the scan numbers rows in scan order; with insertion order preserved (set
    # around the insert below) that is the file's row order.
    sql = _insert_sql(file, table, values, extras, "row_number() OVER ()", source)
    try:
        with insertion_order(con, preserve=True):  # row numbers follow the scan order
            return _inserted(con, sql)
    except duckdb.Error as exc:
        line = csv_text.first_non_utf8_line(file.path)
        if line is not None:
            raise LandingFileError(
                file.path, f"the file is not UTF-8 at line {line}; re-export it as UTF-8"
            ) from None
        raise LandingFileError(
            file.path,
            f"the file could not be parsed as CSV ({_duckdb_summary(exc)}); check the quoting "
            "and the number of fields on that line and re-export the file",
        ) from None


# ----------------------------------------------------------------------------- Parquet

# Parquet physical types accepted per contract type (DEFINITIONS §2): codes must be strings
# (a number loses leading zeros), dates may be date/timestamp/string, whole numbers
# int/string, numbers int/float/decimal/string. An all-null column has type null.
_PARQUET_KINDS = {
    "string": {"string", "null"},
    "date": {"date", "timestamp", "string", "null"},
    "int": {"integer", "string", "null"},
    "number": {"integer", "floating", "decimal", "string", "null"},
}
_KIND_ADVICE = {
    "string": "codes and text must be stored as strings (a number loses leading zeros such "
    "as 0153)",
    "date": "dates must be stored as date, timestamp or 'YYYY-MM-DD' string",
    "int": "whole numbers must be stored as integer or string",
    "number": "numbers must be stored as integer, float, decimal or string",
}


def _arrow_kind(arrow_type: object) -> str:
    import pyarrow.types as pat

    if pat.is_dictionary(arrow_type):
        return _arrow_kind(arrow_type.value_type)  # type: ignore[attr-defined]
    checks = (
        ("string", lambda t: pat.is_string(t) or pat.is_large_string(t) or pat.is_string_view(t)),
        ("null", pat.is_null),
        ("date", pat.is_date),
        ("timestamp", pat.is_timestamp),
        ("integer", pat.is_integer),
        ("floating", pat.is_floating),
        ("decimal", pat.is_decimal),
    )
    for kind, check in checks:
        if check(arrow_type):
            return kind
    return "other"


@contextmanager
def duckdb_settings(con: duckdb.DuckDBPyConnection, settings: Mapping[str, bool]) -> Iterator[None]:
    """Apply boolean DuckDB settings for the duration of the block, then restore them."""
    previous = {
        name: con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0] for name in settings
    }
    for name, setting in settings.items():
        con.execute(f"SET {name} = {str(setting).lower()}")
    try:
        yield
    except BaseException:
        # Inside a failed transaction DuckDB refuses even a SET: keep the original error.
        with suppress(duckdb.Error):
            _restore(con, previous)
        raise
    _restore(con, previous)


def _restore(con: duckdb.DuckDBPyConnection, previous: Mapping[str, object]) -> None:
    for name, setting in previous.items():
        con.execute(f"SET {name} = {str(bool(setting)).lower()}")


def insertion_order(con: duckdb.DuckDBPyConnection, *, preserve: bool) -> Iterator[None]:
    """DuckDB's preserve_insertion_order for the block: True where row numbers come from the
    scan order (CSV, XML), False where they do not (Parquet, validation) so work runs in
    parallel."""
    return duckdb_settings(con, {"preserve_insertion_order": preserve})


@dataclass(frozen=True)
class ParquetPlan:
    """How the rows of a Parquet file become landing rows: the text expression of each
    present contract column and of each extra column. Files with equal plans (same column
    names and types) can be read by one statement."""

    values: tuple[tuple[str, str], ...]
    extras: tuple[tuple[str, str], ...]
    # The delivered types are part of the plan: files that differ in a column's type are not
    # read together (DuckDB would unify the types and, e.g., turn a date into a timestamp).
    types: tuple[tuple[str, str], ...]


def parquet_plan(file: LandingFile) -> tuple[ParquetPlan, int]:
    """Check a Parquet file's schema against the contract (LandingFileError if it fails); its
    plan and its number of rows, both from one read of the file's footer."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    _file_size(file)
    try:
        with pq.ParquetFile(file.path) as parquet:
            schema, num_rows = parquet.schema_arrow, parquet.metadata.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise LandingFileError(
            file.path,
            f"the file is not a readable Parquet file ({exc}); re-export it or deliver CSV",
        ) from None
    match = _match_columns(file, [field.name for field in schema])
    contract = {c.name: c for c in ENTITIES[file.entity]}
    values: dict[str, str] = {}
    for name, delivered in match.present.items():
        arrow_type = schema.field(delivered).type
        kind = _arrow_kind(arrow_type)
        logical = contract[name].type
        if kind not in _PARQUET_KINDS[logical]:
            raise LandingFileError(
                file.path,
                f"column {name!r} has Parquet type {arrow_type}, but {_KIND_ADVICE[logical]}; "
                "re-export the file with that column's type corrected",
            )
        ident = quote_ident(delivered)
        if kind == "timestamp":
            values[name] = f"CAST(CAST({ident} AS DATE) AS VARCHAR)"
        else:
            values[name] = f"CAST({ident} AS VARCHAR)"
    plan = ParquetPlan(
        values=tuple(values.items()),
        extras=tuple((name, quote_ident(name)) for name in match.extra),
        types=tuple((field.name, str(field.type)) for field in schema),
    )
    return plan, num_rows


@dataclass(frozen=True)
class ParquetBatch:
    """Parquet files of one entity read by one statement, with the plan they share; `plan` is
    None for a file whose schema could not be checked (read alone, it reports its problem)."""

    files: tuple[LandingFile, ...]
    plan: ParquetPlan | None


def read_parquet_file(con: duckdb.DuckDBPyConnection, file: LandingFile, table: str) -> int:
    """A Parquet file whose contract columns have acceptable types; values kept as text."""
    return read_parquet_files(con, ParquetBatch((file,), None), table)[file.rel]


PARQUET_BATCH_ROWS = 20_000_000
"""At most this many rows (by the files' metadata) are read by one statement."""


def parquet_batches(files: Sequence[LandingFile]) -> list[ParquetBatch]:
    """Parquet files grouped for `read_parquet_files`: same entity and same plan, in the given
    order, at most PARQUET_BATCH_ROWS rows a batch. A file whose schema fails the contract
    ends up alone in its batch (plan None), so reading it raises its own LandingFileError."""
    batches: list[ParquetBatch] = []
    last_key: object = None
    rows = 0  # in the last batch
    for file in files:
        try:
            plan, n = parquet_plan(file)
            key: object = (file.entity, plan)
        except LandingFileError:
            plan, n, key = None, 0, object()  # unique: read alone
        if batches and key == last_key and rows + n <= PARQUET_BATCH_ROWS:
            batches[-1] = ParquetBatch((*batches[-1].files, file), plan)
            rows += n
        else:
            batches.append(ParquetBatch((file,), plan))
            rows = n
        last_key = key
    return batches


def read_parquet_files(
    con: duckdb.DuckDBPyConnection, batch: ParquetBatch, table: str
) -> dict[str, int]:
    """The files of a batch (`parquet_batches`), read by one statement (one scan in parallel
    is about twice as fast as one statement per file); rows read per file. A single file that
    fails raises LandingFileError; a batch that fails raises ParquetBatchError (the caller
    reads its files one by one to find the file)."""
    files = batch.files
    plan = batch.plan or parquet_plan(files[0])[0]
    paths = ", ".join(quote_literal(str(f.path)) for f in files)
    mapping = ", ".join(
        f"({quote_literal(str(f.path))}, {quote_literal(f.rel)}, {f.seq})" for f in files
    )
    source = (
        f"read_parquet([{paths}], file_row_number=true, filename='_parquet_path') AS p "
        f"JOIN (VALUES {mapping}) AS _files(path, rel, seq) ON _files.path = p._parquet_path"
    )
    sql = _insert_sql(
        files[0],
        table,
        dict(plan.values),
        dict(plan.extras),
        "file_row_number + 1",
        source,
        source_file="_files.rel",
        file_seq="_files.seq",
    )
    try:
        # Row numbers come from the file (file_row_number), not from the scan order, so the
        # insert may run in parallel without keeping the order (CSV files need it kept).
        with insertion_order(con, preserve=False):
            con.execute(sql)
    except duckdb.Error as exc:
        if len(files) > 1:
            raise ParquetBatchError(_duckdb_summary(exc)) from None
        raise LandingFileError(
            files[0].path,
            f"the Parquet file could not be read ({_duckdb_summary(exc)}); re-export it",
        ) from None
    seqs = ", ".join(str(f.seq) for f in files)
    counted = dict(
        con.execute(
            f"SELECT _file_seq, count(*) FROM {table} WHERE _file_seq IN ({seqs}) GROUP BY 1"
        ).fetchall()
    )
    return {f.rel: int(counted.get(f.seq, 0)) for f in files}


class ParquetBatchError(Exception):
    """Reading a batch of Parquet files failed: the caller rolls back and reads them one by one,
    so that the error names the file."""


def read_xml_file(con: duckdb.DuckDBPyConnection, file: LandingFile, table: str) -> int:
    """One iJw message (JW301 in allocations/, JW323 in declarations/, DEFINITIONS §2; JW305 in
    care_starts/, JW307 in care_stops/, JW315 in allocation_requests/, JW325 in
    declaration_responses/, §2.1; no message belongs in outcome_reports/).

    An invalid message, or one of another type, is rejected as a whole without blocking the other
    files: it lands as a single row carrying the reason, which validation quarantines under
    `rejected_message`."""
    import json

    import pyarrow as pa

    from orchestration.ingest.ijw_xml import IjwMessageError, read_ijw_message
    from orchestration.ingest.validate import REJECTED_MESSAGE_KEY

    _file_size(file)
    try:
        rows = read_ijw_message(file.path, file.entity)
    except IjwMessageError as exc:
        extra = json.dumps({REJECTED_MESSAGE_KEY: str(exc.reason)}, ensure_ascii=False)
        con.execute(
            f"INSERT INTO {table} (_extra, _source_file, _source_row, _file_seq) VALUES (?, ?, 0, ?)",
            [extra, file.rel, file.seq],
        )
        return 1
    names = [name for name in rows.column_names if name in {c.name for c in ENTITIES[file.entity]}]
    message = pa.table({name: rows.column(name).cast(pa.string()) for name in names})
    con.register("_ijw_message", message)
    try:
        values = {name: f"CAST({quote_ident(name)} AS VARCHAR)" for name in names}
        sql = _insert_sql(file, table, values, {}, "row_number() OVER ()", "_ijw_message")
        with insertion_order(con, preserve=True):  # row numbers follow the message order
            return _inserted(con, sql)
    finally:
        con.unregister("_ijw_message")


READERS: dict[str, Reader] = {
    ".csv": read_csv_file,
    ".parquet": read_parquet_file,
    ".xml": read_xml_file,
}
"""Reader per (lower-case) file extension; discovery accepts exactly these extensions."""
