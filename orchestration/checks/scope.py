"""The rows a blocking check validates tonight: all of them, or those that changed since the
published marts passed it (docs/INCREMENTAL.md, "The checks").

Every check over the trajectory marts decides about one client's rows at a time (a chain of
trajectories, an allocation and its client's trajectories) except for three things that cross
clients: uniqueness of an id, a trajectory counted by the allocations that name it, and the
peildatum (a status moves with it). So when the published warehouse records that it passed a
check (`meta.checks_passed`, orchestration/check_passes.py) under today's checks version and gap
months, the check needs only:

1. the rows of the *touched* clients: a client with a row, in any of `fct_trajectories`,
   `fct_segment_trajectories` and `fct_allocations`, that is not in the published table or was
   there and is gone (compared on the columns the checks read, `CHECKED_COLUMNS`), and the
   clients whose rows share an id with a touched client's row, or whose trajectory a touched
   client's allocation names or named;
2. rows without a client (always);
3. for the status check, when the peildatum moved, the trajectories whose status can differ
   between the two peildatums (`status_window`).

An untouched client's rows are the published rows, which passed; whatever a check decides over
one client's rows it decides the same again. Any doubt (nothing published, no pass recorded,
another checks version or gap, a table or column missing, a warehouse that cannot be read, a full
rebuild) means the whole marts are checked.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.check_passes import checks_version, file_identity, published_pass
from orchestration.checks.frames import SEGMENT_TRAJECTORIES, TRAJECTORIES, TrajectoryTable
from orchestration.checks.gx_runner import load_suite_json
from orchestration.config import Settings
from orchestration.publish import PUBLICATION_ALIAS, PUBLISHED_SCHEMA
from orchestration.sql import quote_ident, quote_literal

PUBLISHED_ALIAS = "published_before"  # the warehouse, attached read-only while the scope is read
CLIENTS_TABLE = "_check_scope_clients"  # temporary table of the connection

# The columns of a trajectory mart that any check reads besides its id and chain columns.
_TRAJECTORY_COLUMNS = (
    "start_date",
    "end_date",
    "status",
    "duration_days",
    "n_allocations",
    "is_reentry",
    "gap_days",
)


def _trajectory_checked_columns(mart: TrajectoryTable) -> tuple[str, ...]:
    return (mart.id_column, *mart.chain_columns, *_TRAJECTORY_COLUMNS, mart.previous_id_column)


# Per mart: the columns any check reads (frames.py). Changes to other columns cannot change a
# verdict. tests/test_checks_scope.py runs every frame on marts cut down to these columns.
CHECKED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    TRAJECTORIES.table: _trajectory_checked_columns(TRAJECTORIES),
    SEGMENT_TRAJECTORIES.table: _trajectory_checked_columns(SEGMENT_TRAJECTORIES),
    "fct_allocations": (
        "allocation_key",
        "client_key",
        "counts_as_jeugdhulp",
        "trajectory_id",
        "ingangsdatum",
        "einddatum",
        # the chains the allocation-span checks rebuild: §4 order and the segment dimensions
        "toewijzingnummer",
        "gemeentecode",
        "hulpvorm",
        "segment",
    ),
}
# Expectations that decide row by row (or, for uniqueness, by id: the closure brings every row
# sharing a touched row's id into the frame). Any other, or one with `mostly`, is checked in full.
PER_ROW_EXPECTATIONS = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_unique",
        "expect_column_pair_values_to_be_equal",
        "expect_column_pair_values_a_to_be_greater_than_b",
    }
)
ID_COLUMNS = {
    TRAJECTORIES.table: TRAJECTORIES.id_column,
    SEGMENT_TRAJECTORIES.table: SEGMENT_TRAJECTORIES.id_column,
    "fct_allocations": "allocation_key",
}


@dataclass(frozen=True)
class Scope:
    """Validate the rows of the clients in `CLIENTS_TABLE`, the rows without a client and, for
    the status, the rows `status_window` names."""

    clients: int
    published_peildatum: dt.date
    peildatum: dt.date
    gap_months: int

    def relation(self, table: str, *, status: bool = False) -> str:
        """SQL: the rows of `marts.<table>` in scope."""
        where = f"client_key is null or client_key in (select client_key from {CLIENTS_TABLE})"
        if status and self.published_peildatum != self.peildatum:
            where += " or " + status_window(
                "end_date", self.published_peildatum, self.peildatum, self.gap_months
            )
        name = f"{quote_ident(PUBLISHED_SCHEMA)}.{quote_ident(table)}"
        return f"(select * from {name} where {where})"

    def describe(self) -> str:
        moved = (
            f"; peildatum moved from {self.published_peildatum}"
            if self.published_peildatum != self.peildatum
            else ""
        )
        return f"rows of {self.clients} client(s) changed since the published marts{moved}"


def status_window(column: str, one: dt.date, other: dt.date, gap_months: int) -> str:
    """SQL: the trajectory ends whose status (and duration) can differ between peildatum `one`
    and `other` (DEFINITIONS §4). Ongoing flips for an end in [low, high); closed flips where
    end + 1 day + gap months lies in (low, high], which needs an end after low - gap months
    - 1 day (less up to 3 days where month ends clamp): a month of margin covers that. An open
    end is ongoing under both."""
    low, high = sorted((one, other))
    return (
        f"({column} >= date {quote_literal(low.isoformat())} - interval {gap_months + 1} month "
        f"and {column} <= date {quote_literal(high.isoformat())})"
    )


_memo_lock = threading.Lock()
_memo: dict[tuple[str, ...], pa.Table] = {}


def decide(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    check: str,
    suite: str,
    *,
    full: bool = False,
) -> tuple[Scope | None, str]:
    """The scope of `check` (validating expectation suite `suite`) on the next publication
    attached to `con`, or None (check all) with the reason. Creates `CLIENTS_TABLE` in `con`
    when it returns a scope."""
    if full:
        return None, "full rebuild: every row is checked"
    unsafe = not_per_row(suite)
    if unsafe:
        return None, f"{unsafe} does not decide row by row: every row is checked"
    warehouse = Path(settings.warehouse)
    if not warehouse.is_file():
        return None, "nothing published yet: every row is checked"
    try:
        con.execute(f"ATTACH {quote_literal(str(warehouse))} AS {PUBLISHED_ALIAS} (READ_ONLY)")
    except duckdb.Error as exc:
        return None, f"the published warehouse cannot be read ({exc}): every row is checked"
    try:
        passed = published_pass(con, PUBLISHED_ALIAS, check)
        version = checks_version()
        if passed is None:
            return None, "the published marts carry no pass of this check: every row is checked"
        if passed.version != version:
            return None, "the checks changed since the published marts passed: every row is checked"
        if passed.gap_months != settings.gap_months:
            return None, "the gap months changed: every row is checked"
        missing = _missing_columns(con)
        if missing:
            return None, f"{missing}: every row is checked"
        key = (
            file_identity(settings.publication_db_path),
            file_identity(warehouse),
            version,
        )
        with _memo_lock:
            touched = _memo.get(key)
            if touched is None:
                touched = _touched_clients(con)
                _memo.clear()
                _memo[key] = touched
    finally:
        con.execute(f"DETACH {PUBLISHED_ALIAS}")
    con.register("_check_scope_arrow", touched)
    try:
        con.execute(
            f"create or replace temp table {CLIENTS_TABLE} as "
            "select distinct client_key from _check_scope_arrow"
        )
    finally:
        con.unregister("_check_scope_arrow")
    scope = Scope(
        clients=touched.num_rows,
        published_peildatum=passed.peildatum,
        peildatum=settings.peildatum,
        gap_months=settings.gap_months,
    )
    return scope, scope.describe()


def not_per_row(suite: str) -> str:
    """The first expectation of `suite` that a frame of some clients cannot decide ('' if none)."""
    for expectation in load_suite_json(suite).get("expectations", []):
        kwargs = expectation.get("kwargs") or {}
        if expectation["type"] not in PER_ROW_EXPECTATIONS or kwargs.get("mostly") is not None:
            return str(expectation["type"])
    return ""


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ?",
        [catalog, PUBLISHED_SCHEMA, table],
    ).fetchall()
    return dict(rows)


def _missing_columns(con: duckdb.DuckDBPyConnection) -> str:
    """Why the two publications cannot be compared on the checked columns ('' when they can)."""
    for table, columns in CHECKED_COLUMNS.items():
        new = _columns(con, PUBLICATION_ALIAS, table)
        old = _columns(con, PUBLISHED_ALIAS, table)
        for column in columns:
            if column not in new or column not in old:
                return f"marts.{table}.{column} is missing from one of the publications"
            if new[column] != old[column]:
                return f"marts.{table}.{column} changed type"
    return ""


def _table(catalog: str, table: str) -> str:
    return f"{catalog}.{quote_ident(PUBLISHED_SCHEMA)}.{quote_ident(table)}"


def _touched_clients(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The touched clients (module docstring, point 1), as a one-column Arrow table.

    Rows are compared by a 64-bit hash of their checked columns: the multisets of hashes are
    subtracted both ways (`EXCEPT ALL` on integers, ≈ 4× faster nationally than on the rows
    themselves), then the rows with a hash left over give their clients. A changed row goes
    unnoticed only if its hash equals that of another row on the other side, a chance of about
    2^-64 per changed row (the monthly fact's fingerprints take the same chance)."""
    new, old = PUBLICATION_ALIAS, PUBLISHED_ALIAS
    changed = []
    for table, columns in CHECKED_COLUMNS.items():
        row_hash = "hash(" + ", ".join(quote_ident(c) for c in columns) + ")"
        a, b = _table(new, table), _table(old, table)
        only_new = f"select {row_hash} from {a} except all select {row_hash} from {b}"
        only_old = f"select {row_hash} from {b} except all select {row_hash} from {a}"
        changed.append(f"select client_key from {a} where {row_hash} in ({only_new})")
        changed.append(f"select client_key from {b} where {row_hash} in ({only_old})")
    con.execute("create or replace temp table _check_scope_changed as " + " union ".join(changed))
    changed_clients = "select client_key from _check_scope_changed"
    alloc_new, alloc_old = _table(new, "fct_allocations"), _table(old, "fct_allocations")
    named = (
        f"select trajectory_id from {_table(new, 'fct_trajectories')} "
        f"where client_key in ({changed_clients}) "
        f"union select trajectory_id from {alloc_new} where client_key in ({changed_clients}) "
        f"union select trajectory_id from {alloc_old} where client_key in ({changed_clients})"
    )
    closure = [changed_clients]
    closure.append(
        f"select client_key from {_table(new, 'fct_trajectories')} where trajectory_id in ({named})"
    )
    for table, id_column in ID_COLUMNS.items():
        relation, ident = _table(new, table), quote_ident(id_column)
        closure.append(
            f"select client_key from {relation} where {ident} in "
            f"(select {ident} from {relation} where client_key in ({changed_clients}))"
        )
    try:
        return con.sql(
            "select client_key from (" + " union ".join(closure) + ") where client_key is not null"
        ).to_arrow_table()
    finally:
        con.execute("drop table if exists _check_scope_changed")
