"""Prepare the frames the expectation suites validate, from the working DuckDB database.

Each function reads only the columns its suite needs. DuckDB does the joins and aggregations
that reduce data (range joins, counts, the text scan) and sorts and numbers the chains a rule
walks (the mart's own chain columns, compared as they are); the values that decide a rule (the
client's preceding trajectory, the earliest allowed re-entry date, the expected status and
duration) are recomputed here in pandas, independently of the dbt models, so a defect in the
models cannot hide itself. With a `Scope` (checks/scope.py) a frame holds only the rows that
changed since the published marts passed the same check, whole clients at a time. Month
arithmetic uses `pandas.DateOffset(months=n)`, which clamps to the month's last day like SQL
interval arithmetic (DEFINITIONS §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
from pandas.api.typing import DataFrameGroupBy

from orchestration.config import Settings
from orchestration.publish import PUBLICATION_ALIAS, PUBLISHED_SCHEMA
from orchestration.sql import quote_ident

if TYPE_CHECKING:
    from orchestration.checks.scope import Scope

MARTS_SCHEMA = PUBLISHED_SCHEMA  # the schema the checks read is the one that is published
# The day used for "open-ended" where a date is needed: a re-entry after an open-ended
# trajectory can never be early enough.
NEVER = pd.Timestamp("9999-12-31")
ONE_DAY = pd.Timedelta(days=1)
STATUSES = ("ongoing", "ended", "closed")
# The chain number of a trajectory in the frames that walk chains (_read_chains).
CHAIN = "_chain"

# A BSN look-alike (DEFINITIONS §7); the column-name rules live in the suite JSON.
NINE_DIGITS = r"[0-9]{9}"
DELIVERED_BSNS = "_delivered_bsns"


@dataclass(frozen=True)
class TrajectoryTable:
    """A trajectory mart and the columns that identify a trajectory and its chain.

    A chain is the set of trajectories the six-month rule is applied over: per client for
    `fct_trajectories`, per (client, dimension, dimension_value) for segment trajectories
    (DEFINITIONS §4, last paragraph).
    """

    table: str
    id_column: str
    previous_id_column: str
    chain_columns: tuple[str, ...]


TRAJECTORIES = TrajectoryTable(
    table="fct_trajectories",
    id_column="trajectory_id",
    previous_id_column="previous_trajectory_id",
    chain_columns=("client_key",),
)
SEGMENT_TRAJECTORIES = TrajectoryTable(
    table="fct_segment_trajectories",
    id_column="segment_trajectory_id",
    previous_id_column="previous_segment_trajectory_id",
    chain_columns=("client_key", "dimension", "dimension_value"),
)


def marts_catalog(con: duckdb.DuckDBPyConnection) -> str:
    """The database whose schema `marts` the checks read: the next publication when it is
    attached (orchestration/publish.attach_publication), else the connection's own."""
    attached = con.execute(
        "select count(*) from duckdb_databases() where database_name = ?", [PUBLICATION_ALIAS]
    ).fetchall()[0][0]
    return (
        PUBLICATION_ALIAS if attached else con.execute("select current_database()").fetchall()[0][0]
    )


def marts_table(table: str) -> str:
    return f"{quote_ident(MARTS_SCHEMA)}.{quote_ident(table)}"


def source(table: str, scope: Scope | None, *, status: bool = False) -> str:
    """The rows of `marts.<table>` a frame reads: all, or those in `scope`."""
    return marts_table(table) if scope is None else scope.relation(table, status=status)


def _read_trajectories(
    con: duckdb.DuckDBPyConnection,
    spec: TrajectoryTable,
    columns: list[str],
    *,
    with_previous: bool = False,
    scope: Scope | None = None,
    status: bool = False,
) -> pd.DataFrame:
    """Trajectories with the id (and previous id) renamed to the `fct_trajectories` names."""
    select = _trajectory_columns(spec, columns, with_previous)
    return con.sql(f"select {select} from {source(spec.table, scope, status=status)}").df()


def _trajectory_columns(spec: TrajectoryTable, columns: list[str], with_previous: bool) -> str:
    """The select list of the readers above and below: the id (and previous id) under the
    `fct_trajectories` names, then `columns`."""
    select = [f"{quote_ident(spec.id_column)} as trajectory_id"]
    if with_previous:
        select.append(f"{quote_ident(spec.previous_id_column)} as previous_trajectory_id")
    select += [quote_ident(c) for c in dict.fromkeys(columns)]
    return ", ".join(select)


def _read_chains(
    con: duckdb.DuckDBPyConnection,
    spec: TrajectoryTable,
    columns: list[str],
    *,
    with_previous: bool = False,
    scope: Scope | None = None,
) -> pd.DataFrame:
    """Trajectories in chain order: per chain by start date (then end date, open last, then
    id), each row with `CHAIN`, its chain's number (equal chain columns, empty ones included,
    give one number). DuckDB sorts and numbers the chains on its own strings; the frame carries
    an integer instead of the chain columns: converting the 64-character client keys to pandas
    and grouping on them took 5 of the 12 s of the national segment re-entry check."""
    select = _trajectory_columns(spec, columns, with_previous)
    chain = ", ".join(f"{quote_ident(c)} asc nulls last" for c in spec.chain_columns)
    order = ", ".join(
        f"{k} asc nulls last" for k in (CHAIN, "start_date", "end_date", "trajectory_id")
    )
    sql = (
        f"select {select}, dense_rank() over (order by {chain}) as {CHAIN} "
        f"from {source(spec.table, scope)} order by {order}"
    )
    return con.sql(sql).df()


def _chains(frame: pd.DataFrame) -> DataFrameGroupBy:
    return frame.groupby(CHAIN, sort=False)


def prepare_reentry_gap(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    spec: TrajectoryTable = TRAJECTORIES,
    scope: Scope | None = None,
) -> pd.DataFrame:
    """Frame for `trajectories_reentry_gap` (DEFINITIONS §4, re-entry and the six-month rule).

    Adds per trajectory: `expected_is_reentry` (not the chain's first by start date),
    `preceding_trajectory_id` (the chain's immediately preceding trajectory), the previous
    trajectory's `previous_end_date` looked up through `previous_trajectory_id` (or, where
    that is empty, the preceding one), `earliest_reentry_start` = previous end + 1 day + gap
    months (never, if the previous one is open-ended) and `expected_gap_days` = start -
    previous end - 1.
    """
    frame = _read_chains(
        con,
        spec,
        ["start_date", "end_date", "is_reentry", "gap_days"],
        with_previous=True,
        scope=scope,
    )
    chains = _chains(frame)
    frame["expected_is_reentry"] = chains.cumcount() > 0
    frame["preceding_trajectory_id"] = chains["trajectory_id"].shift(1)

    ends = frame.dropna(subset=["trajectory_id"]).drop_duplicates("trajectory_id")
    end_by_id = ends.set_index("trajectory_id")["end_date"]
    # The earlier trajectory as the mart names it; where it names none, the chain's preceding
    # one, so a missing previous_trajectory_id cannot bypass the gap rule.
    previous_id = frame["previous_trajectory_id"].fillna(frame["preceding_trajectory_id"])
    position = end_by_id.index.get_indexer(previous_id)
    names_known = pd.Series(position >= 0, index=frame.index)
    looked_up = end_by_id.to_numpy()[position] if len(end_by_id) else frame["end_date"]
    previous_end = pd.Series(looked_up, index=frame.index).where(names_known)
    earliest = previous_end + ONE_DAY + pd.DateOffset(months=settings.gap_months)
    earliest = earliest.mask(names_known & previous_end.isna(), NEVER)

    frame["previous_end_date"] = previous_end
    frame["earliest_reentry_start"] = earliest
    frame["expected_gap_days"] = (frame["start_date"] - previous_end).dt.days - 1
    return frame.drop(columns=CHAIN)


def prepare_no_overlap(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    spec: TrajectoryTable = TRAJECTORIES,
    scope: Scope | None = None,
) -> pd.DataFrame:
    """Frame for `trajectories_no_overlap` (DEFINITIONS §4: trajectories are maximal chains).

    Adds the chain's preceding trajectory's `preceding_end_date` and whether that one is open
    ended (`follows_open_ended_trajectory`; empty for a chain's first trajectory).
    """
    frame = _read_chains(con, spec, ["start_date", "end_date"], scope=scope)
    frame["open_ended"] = frame["end_date"].isna()
    chains = _chains(frame)
    frame["preceding_end_date"] = chains["end_date"].shift(1)
    follows_open = chains["open_ended"].shift(1).astype(object)
    frame["follows_open_ended_trajectory"] = follows_open.where(chains.cumcount() > 0, None)
    return frame.drop(columns=["open_ended", CHAIN])


def prepare_status_dates(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    spec: TrajectoryTable = TRAJECTORIES,
    scope: Scope | None = None,
) -> pd.DataFrame:
    """Frame for `trajectories_status_dates` (DEFINITIONS §4, status as of the peildatum).

    `expected_status`: ongoing iff end empty or end >= peildatum; closed iff end + 1 day +
    gap months <= peildatum; else ended. `expected_duration_days` = end - start + 1 unless
    ongoing.
    """
    frame = _read_trajectories(
        con,
        spec,
        ["client_key", "start_date", "end_date", "status", "duration_days", "n_allocations"],
        scope=scope,
        status=True,
    )
    peildatum = pd.Timestamp(settings.peildatum)
    end = frame["end_date"]
    final_from = end + ONE_DAY + pd.DateOffset(months=settings.gap_months)
    ongoing = end.isna() | (end >= peildatum)
    closed = ~ongoing & (final_from <= peildatum)
    expected = pd.Series("ended", index=frame.index, dtype=object)
    expected[ongoing] = "ongoing"
    expected[closed] = "closed"
    frame["expected_status"] = expected
    duration = (end - frame["start_date"]).dt.days + 1
    frame["expected_duration_days"] = duration.where(~ongoing)
    return frame


def prepare_allocations_in_one_trajectory(
    con: duckdb.DuckDBPyConnection, settings: Settings, scope: Scope | None = None
) -> pd.DataFrame:
    """Frame for `allocations_in_one_trajectory` (DEFINITIONS §4, trajectories are chains of
    the client's jeugdhulp allocations; §3 `counts_as_jeugdhulp`).

    Per effective allocation: for jeugdhulp ones, how many trajectories of the same client
    contain [ingangsdatum, einddatum or +inf] in [start_date, end_date or +inf]
    (`n_containing_trajectories`), which (`containing_trajectory_ids`, comma separated) and
    the allocation's own `jeugdhulp_trajectory_id`; for the others, `non_jeugdhulp_trajectory_id`
    (must be empty).
    """
    sql = f"""
        with allocations as (
            select row_number() over () as allocation_row, allocation_key, client_key,
                   counts_as_jeugdhulp, trajectory_id, ingangsdatum, einddatum
            from {source("fct_allocations", scope)}
        ),
        containing as (
            select a.allocation_row,
                   count(*) as n_containing,
                   string_agg(t.trajectory_id, ',' order by t.start_date, t.trajectory_id) as ids
            from allocations as a
            join {source("fct_trajectories", scope)} as t
              on t.client_key = a.client_key
             and t.start_date <= a.ingangsdatum
             and coalesce(t.end_date, 'infinity'::date) >= coalesce(a.einddatum, 'infinity'::date)
            where a.counts_as_jeugdhulp
            group by a.allocation_row
        )
        select a.allocation_key,
               a.counts_as_jeugdhulp,
               case when a.counts_as_jeugdhulp then a.trajectory_id end
                   as jeugdhulp_trajectory_id,
               case when not a.counts_as_jeugdhulp then a.trajectory_id end
                   as non_jeugdhulp_trajectory_id,
               case when a.counts_as_jeugdhulp then coalesce(c.n_containing, 0) end
                   as n_containing_trajectories,
               c.ids as containing_trajectory_ids
        from allocations as a
        left join containing as c using (allocation_row)
        order by a.allocation_row
    """
    return con.sql(sql).df()


def prepare_trajectory_allocation_count(
    con: duckdb.DuckDBPyConnection, settings: Settings, scope: Scope | None = None
) -> pd.DataFrame:
    """Frame for `trajectories_allocation_count` (DEFINITIONS §4): per trajectory its stated
    `n_allocations` and the number of effective allocations naming it (counted over every
    allocation, also when only some trajectories are in scope)."""
    sql = f"""
        select t.trajectory_id,
               t.n_allocations,
               coalesce(named.n, 0) as allocations_naming_trajectory
        from {source("fct_trajectories", scope)} as t
        left join (
            select trajectory_id, count(*) as n
            from {marts_table("fct_allocations")}
            where trajectory_id is not null
            group by trajectory_id
        ) as named using (trajectory_id)
    """
    return con.sql(sql).df()


def prepare_no_personal_data(con: duckdb.DuckDBPyConnection, settings: Settings) -> pd.DataFrame:
    """Frame for `marts_no_personal_data` (DEFINITIONS §7: no BSN, name or birth date).

    One row per column of every table and view in schema `marts`: its name and type, and for
    text columns the number of values that are a BSN, counted in DuckDB so no value leaves the
    database. Where the working database holds the delivered BSNs (schema raw), a value counts
    when it is one of them — a 9-digit allocation number is no BSN; without raw tables, any
    9-digit string passing the eleven-test counts.
    """
    columns = con.execute(
        """
        select table_name, column_name, data_type
        from information_schema.columns
        where table_schema = ? and table_catalog = ?
        order by table_name, ordinal_position
        """,
        [MARTS_SCHEMA, marts_catalog(con)],
    ).df()
    delivered = _has_delivered_bsns(con)
    counts: dict[tuple[str, str], int] = {}
    text = columns[columns["data_type"] == "VARCHAR"]
    if delivered:
        # The delivered BSNs once, in a temporary table of this connection (allowed read-only);
        # each text column is then scanned on its own and only its 9-character values are
        # looked up, so no mart row is joined against tens of millions of declaration lines.
        con.execute(
            f"create or replace temp table {DELIVERED_BSNS} as "
            "select bsn from raw.allocations union select bsn from raw.declarations"
        )
        try:
            for table, column in zip(text["table_name"], text["column_name"], strict=True):
                n = con.execute(
                    f"select count(*) from {marts_table(str(table))} as m "
                    f"join {DELIVERED_BSNS} as d on d.bsn = trim({quote_ident(column)}) "
                    f"where {_trims_to_nine(quote_ident(column))}"
                ).fetchall()[0][0]
                counts[(str(table), str(column))] = int(n)
        finally:
            con.execute(f"drop table if exists {DELIVERED_BSNS}")
    else:
        for table, group in text.groupby("table_name", sort=True):
            names = list(group["column_name"])
            counters = ", ".join(
                f"count(*) filter (where {_bsn_predicate(quote_ident(c))})" for c in names
            )
            row = con.execute(f"select {counters} from {marts_table(str(table))}").fetchone()
            counts.update({(str(table), c): int(n) for c, n in zip(names, row, strict=True)})
    columns["nine_digit_values"] = [
        counts.get((t, c))
        for t, c in zip(columns["table_name"], columns["column_name"], strict=True)
    ]
    columns["nine_digit_values"] = columns["nine_digit_values"].astype("Int64")
    return columns


def _has_delivered_bsns(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        """
        select count(distinct table_name) from information_schema.columns
        where table_schema = 'raw' and table_name in ('allocations', 'declarations')
            and column_name = 'bsn' and table_catalog = current_database()
        """
    ).fetchall()[0][0]
    return found == 2


def _trims_to_nine(column: str) -> str:
    """SQL: `length(trim(column)) = 9`, without trimming every value. DuckDB's `trim` removes
    spaces only, so a value that neither starts nor ends with one is its own trim, and a
    byte length (stored with the value) other than 9 rules it out before its characters are
    counted. Nationally this spares trimming 36.8 M client keys of 64 characters (7.2 → 0.9 s
    for that column)."""
    edge = f"(starts_with({column}, ' ') or ends_with({column}, ' '))"
    return (
        f"(case when {edge} then length(trim({column})) = 9 "
        f"else strlen({column}) = 9 and length({column}) = 9 end)"
    )


def _bsn_predicate(column: str) -> str:
    """SQL: the text value is a 9-digit string passing the eleven-test (without raw tables)."""
    digits = [f"cast(substr(trim({column}), {i}, 1) as integer)" for i in range(1, 10)]
    weighted = " + ".join(f"{w} * {d}" for w, d in zip(range(9, 1, -1), digits[:8], strict=True))
    return (
        f"{_trims_to_nine(column)} "
        f"and regexp_full_match(trim({column}), '{NINE_DIGITS}') "
        f"and trim({column}) <> '000000000' "
        f"and (case when regexp_full_match(trim({column}), '{NINE_DIGITS}') "
        f"then ({weighted} - {digits[8]}) % 11 end) = 0"
    )


# ------------------------------------------------------------ trajectories and their allocations

SPAN_TRAJECTORIES = "_span_trajectories"  # temporary table of the connection
_TRAJECTORY_ROW = "_trajectory_row"
_EPOCH = pd.Timestamp("1970-01-01")
# An open-ended einddatum as a day number in the running covered_until: after every real date.
_OPEN_DAY = 10**8


def _chain_allocations(spec: TrajectoryTable, scope: Scope | None) -> str:
    """SQL: the allocations a chain of `spec` is built from (DEFINITIONS §4), with the chain
    columns of `spec`: per client the jeugdhulp allocations; per (client, dimension,
    dimension_value) the jeugdhulp allocations of that hulpvorm or segment (an allocation
    without one is in no chain of that dimension)."""
    allocations = source("fct_allocations", scope)
    columns = "toewijzingnummer, gemeentecode, ingangsdatum, einddatum"
    if spec.chain_columns == ("client_key",):
        return f"select client_key, {columns} from {allocations} where counts_as_jeugdhulp"
    return " union all ".join(
        f"select client_key, '{dimension}' as dimension, {dimension} as dimension_value, "
        f"{columns} from {allocations} where counts_as_jeugdhulp and {dimension} is not null"
        for dimension in ("hulpvorm", "segment")
    )


def prepare_allocation_span(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    spec: TrajectoryTable = TRAJECTORIES,
    scope: Scope | None = None,
) -> pd.DataFrame:
    """Frame for `trajectories_allocation_span` (DEFINITIONS §4: a trajectory is a maximal
    chain without a break of the gap months, from its first ingangsdatum to covered_until).

    DuckDB joins each trajectory to the allocations of its chain whose ingangsdatum lies in
    [start_date, end_date or +inf], in §4 order (ingangsdatum, einddatum with open last,
    toewijzingnummer, gemeentecode). Pandas then walks them again: a running covered_until
    (open = infinity) and, per trajectory, `has_inner_gap` (some allocation starts on or after
    the day after the covered_until before it + the gap months: it should have started a new
    trajectory; `split_ingangsdatum` is the first such start), `expected_start_date` (first
    ingangsdatum), `expected_end_date` (latest einddatum, empty iff one is open-ended) and
    `expected_n_allocations`.
    """
    chain_equal = " and ".join(
        f"a.{quote_ident(c)} = t.{quote_ident(c)}" for c in spec.chain_columns
    )
    chain_select = ", ".join(quote_ident(c) for c in spec.chain_columns)
    con.execute(
        f"create or replace temp table {SPAN_TRAJECTORIES} as "
        f"select row_number() over () as {_TRAJECTORY_ROW}, "
        f"{quote_ident(spec.id_column)} as trajectory_id, {chain_select}, "
        f"start_date, end_date, n_allocations from {source(spec.table, scope)}"
    )
    try:
        trajectories = con.sql(
            f"select {_TRAJECTORY_ROW}, trajectory_id, start_date, end_date, n_allocations "
            f"from {SPAN_TRAJECTORIES} order by {_TRAJECTORY_ROW}"
        ).df()
        allocations = con.sql(
            f"""
            select t.{_TRAJECTORY_ROW}, a.ingangsdatum, a.einddatum
            from {SPAN_TRAJECTORIES} as t
            join ({_chain_allocations(spec, scope)}) as a
              on {chain_equal}
             and a.ingangsdatum >= t.start_date
             and (t.end_date is null or a.ingangsdatum <= t.end_date)
            order by t.{_TRAJECTORY_ROW}, a.ingangsdatum, a.einddatum is null, a.einddatum,
                     a.toewijzingnummer, a.gemeentecode
            """
        ).df()
    finally:
        con.execute(f"drop table if exists {SPAN_TRAJECTORIES}")

    group = allocations[_TRAJECTORY_ROW]
    start = allocations["ingangsdatum"]
    end = allocations["einddatum"]
    end_day = ((end - _EPOCH).dt.days).fillna(_OPEN_DAY).astype("int64")
    covered = end_day.groupby(group, sort=False).cummax()
    before = covered.groupby(group, sort=False).shift(1)  # covered_until before this allocation
    before_date = _EPOCH + pd.to_timedelta(before.where(before < _OPEN_DAY), unit="D")
    earliest_split = before_date + ONE_DAY + pd.DateOffset(months=settings.gap_months)
    splits = start >= earliest_split  # never for a chain's first or after an open one (NaT)

    per = pd.DataFrame(
        {
            _TRAJECTORY_ROW: group,
            "ingangsdatum": start,
            "einddatum": end,
            "open_ended": end.isna(),
            "split_ingangsdatum": start.where(splits),
        }
    ).groupby(_TRAJECTORY_ROW, sort=False)
    summary = pd.DataFrame(
        {
            "expected_start_date": per["ingangsdatum"].min(),
            "any_open": per["open_ended"].any(),
            "latest_end": per["einddatum"].max(),
            "expected_n_allocations": per["ingangsdatum"].size(),
            "split_ingangsdatum": per["split_ingangsdatum"].min(),
        }
    )
    summary["expected_end_date"] = summary["latest_end"].where(~summary["any_open"])
    summary["has_inner_gap"] = summary["split_ingangsdatum"].notna()
    frame = trajectories.join(
        summary[
            [
                "expected_start_date",
                "expected_end_date",
                "expected_n_allocations",
                "has_inner_gap",
                "split_ingangsdatum",
            ]
        ],
        on=_TRAJECTORY_ROW,
    )
    frame["expected_n_allocations"] = frame["expected_n_allocations"].fillna(0).astype("int64")
    frame["has_inner_gap"] = frame["has_inner_gap"].fillna(False).astype(bool)
    return frame.drop(columns=_TRAJECTORY_ROW)


# ------------------------------------------------------------- effective versions from raw

RAW_ALLOCATIONS = "raw.allocations"
LEGACY_CATEGORIES = "reference.ijw_productcategorie_2015"
# Per gemeente, the allocations breaking each rule of `allocations_effective_versions`.
EFFECTIVE_VERSION_RULES = (
    "withdrawn_published",
    "effective_missing",
    "effective_repeated",
    "not_delivered",
    "dates_differ",
    "aanbieder_differs",
    "product_differs",
)
EXAMPLES = 5  # allocation numbers named per gemeente and rule


def _table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, table = qualified.split(".")
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def prepare_effective_versions(con: duckdb.DuckDBPyConnection, settings: Settings) -> pd.DataFrame:
    """Frame for `allocations_effective_versions` (DEFINITIONS §2: the effective version of an
    allocation, withdrawal), read against the delivered versions in `raw.allocations` of the
    working database, which the models do not own.

    DuckDB recomputes per (gemeentecode, toewijzingnummer) the latest version (highest
    dagtekening; an empty one below dated ones, and among those the later file `_file_seq`,
    then the later row `_source_row`) and whether it withdraws the allocation (einddatum before
    ingangsdatum), and compares it with the rows of `marts.fct_allocations`. A delivered legacy
    productcategorie is compared as its successor (reference.ijw_productcategorie_2015), an
    empty productcode as none. The frame holds one row per gemeente with, per rule, the
    allocation numbers that break it (up to five, then how many in all; empty when none), so it
    stays small nationally. No BSN is read.
    """
    if not _table_exists(con, RAW_ALLOCATIONS):
        raise RuntimeError(
            f"{RAW_ALLOCATIONS} is missing from the working database: the delivered versions "
            "the effective allocations are checked against"
        )
    category = "v.productcategorie"
    legacy_join = ""
    if _table_exists(con, LEGACY_CATEGORIES):
        category = "coalesce(legacy.successor_productcategorie, v.productcategorie)"
        legacy_join = (
            f"left join {LEGACY_CATEGORIES} as legacy "
            "on legacy.productcategorie = v.productcategorie"
        )
    # Over `compared` below: one row per allocation delivered or published.
    flags = {
        "withdrawn_published": "withdrawn and n_rows > 0",
        "effective_missing": "effective and coalesce(n_rows, 0) = 0",
        "effective_repeated": "effective and n_rows > 1",
        "not_delivered": "not delivered",
        "dates_differ": "effective and dates_differ",
        "aanbieder_differs": "effective and aanbieder_differs",
        "product_differs": "effective and product_differs",
    }
    listed = ", ".join(
        f"""case when count(*) filter (where {flag}) > 0 then
                array_to_string((list(toewijzingnummer order by toewijzingnummer)
                    filter (where {flag}))[1:{EXAMPLES}], ', ')
                || case when count(*) filter (where {flag}) > {EXAMPLES}
                        then ' (' || count(*) filter (where {flag}) || ' in all)' else '' end
            end as {rule}"""
        for rule, flag in flags.items()
    )
    sql = f"""
        with versions as (
            select v.gemeentecode, v.toewijzingnummer, v.aanbieder_agb,
                   {category} as productcategorie, nullif(v.productcode, '') as productcode,
                   v.ingangsdatum, v.einddatum,
                   row_number() over (
                       partition by v.gemeentecode, v.toewijzingnummer
                       order by v.dagtekening desc nulls last, v._file_seq desc,
                                v._source_row desc
                   ) as version_rank
            from {RAW_ALLOCATIONS} as v
            {legacy_join}
        ),
        effective as (
            select *, coalesce(einddatum < ingangsdatum, false) as withdrawn
            from versions where version_rank = 1
        ),
        published as (
            select m.gemeentecode, m.toewijzingnummer, count(*) as n_rows,
                   bool_or(m.ingangsdatum is distinct from e.ingangsdatum
                           or m.einddatum is distinct from e.einddatum) as dates_differ,
                   bool_or(m.aanbieder_agb is distinct from e.aanbieder_agb) as aanbieder_differs,
                   bool_or(m.productcategorie is distinct from e.productcategorie
                           or m.productcode is distinct from e.productcode) as product_differs
            from {marts_table("fct_allocations")} as m
            left join effective as e using (gemeentecode, toewijzingnummer)
            group by m.gemeentecode, m.toewijzingnummer
        ),
        compared as (
            select coalesce(e.gemeentecode, m.gemeentecode) as gemeentecode,
                   coalesce(e.toewijzingnummer, m.toewijzingnummer) as toewijzingnummer,
                   e.toewijzingnummer is not null as delivered,
                   coalesce(e.withdrawn, false) as withdrawn,
                   coalesce(not e.withdrawn, false) as effective,
                   m.n_rows, m.dates_differ, m.aanbieder_differs, m.product_differs
            from effective as e
            full outer join published as m using (gemeentecode, toewijzingnummer)
        )
        select gemeentecode,
               count(*) filter (where effective) as effective_allocations,
               {listed}
        from compared
        group by gemeentecode
        order by gemeentecode nulls first
    """
    return con.sql(sql).df()


# ------------------------------------------------------------------ small-cell suppression

INDICATOR_CELLS_SCHEMA = "indicator_cells"
CELL_KEY = ("indicator_code", "period_year", "regio", "gemeentecode", "segment", "aanbieder_agb")


def prepare_indicator_insufficient_cells(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> pd.DataFrame:
    """Frame for `indicator_insufficient_cells` (DEFINITIONS §7: unknown is never "no").

    One row per published cell. pandas decides, from the published columns alone: a cell whose
    `data_quality` is insufficient puts its value, numerator, denominator and meets_target in the
    `insufficient_*` columns (each must be empty); a cell whose coverage is below the minimum
    coverage (JEUGDHULP_MIN_COVERAGE) by more than the rounding of coverage (4 decimals) and is
    not insufficient, or at or above it by that margin and is insufficient, is named in
    `low_coverage_not_insufficient` / `enough_coverage_insufficient`.
    """
    frame = con.sql(
        f"""
        select indicator_code, period_year, regio, gemeentecode, segment, aanbieder_agb,
               numerator, denominator, value, meets_target,
               cast(coverage as double) as coverage, data_quality
        from {marts_table("fct_indicator_values")}
        """
    ).df()
    insufficient = frame["data_quality"] == "insufficient"
    for column in ("value", "numerator", "denominator", "meets_target"):
        frame[f"insufficient_{column}"] = frame[column].astype(object).where(insufficient, None)
    margin = 0.00005  # coverage is published rounded to 4 decimals
    coverage = frame["coverage"]
    low = coverage.notna() & (coverage < settings.min_coverage - margin)
    enough = coverage.notna() & (coverage >= settings.min_coverage + margin)
    frame["low_coverage_not_insufficient"] = frame["data_quality"].where(low & ~insufficient, None)
    frame["enough_coverage_insufficient"] = frame["data_quality"].where(enough & insufficient, None)
    return frame


def prepare_indicator_suppression(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> pd.DataFrame:
    """Frame for `indicator_suppression` (DEFINITIONS §7: a published cell based on fewer than
    the suppression threshold of clients has no value, numerator or denominator, and
    `suppressed = true`).

    The published mart does not carry the number of clients a cell rests on; the indicator
    family tables do (`n_clients`, schema `indicator_cells` of the working database, one table
    per §6 indicator). DuckDB joins each published cell to its family cell by the cell key;
    pandas decides: `small_cell` = 0 < n_clients < threshold (a cell resting on no client
    describes nobody and is published as it is, as the models do), `expected_suppressed`, and
    the value, numerator and denominator a small cell still shows (`small_cell_value`, …).
    """
    families = [
        row[0]
        for row in con.execute(
            "select table_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and column_name = 'n_clients' order by table_name",
            [INDICATOR_CELLS_SCHEMA],
        ).fetchall()
    ]
    key = ", ".join(CELL_KEY)
    typed_key = (
        "cast(indicator_code as varchar) as indicator_code, "
        "cast(period_year as integer) as period_year, cast(regio as varchar) as regio, "
        "cast(gemeentecode as varchar) as gemeentecode, cast(segment as varchar) as segment, "
        "cast(aanbieder_agb as varchar) as aanbieder_agb"
    )
    cells = " union all ".join(
        f"select {typed_key}, cast(n_clients as bigint) as n_clients "
        f"from {quote_ident(INDICATOR_CELLS_SCHEMA)}.{quote_ident(t)}"
        for t in families
    ) or (
        "select null::varchar as indicator_code, null::integer as period_year, "
        "null::varchar as regio, null::varchar as gemeentecode, null::varchar as segment, "
        "null::varchar as aanbieder_agb, null::bigint as n_clients where false"
    )
    frame = con.sql(
        f"""
        select v.indicator_code, v.period_year, v.regio, v.gemeentecode, v.segment,
               v.aanbieder_agb, v.numerator, v.denominator, v.value, v.suppressed,
               c.n_clients
        from {marts_table("fct_indicator_values")} as v
        left join (
            select {key}, max(n_clients) as n_clients from ({cells}) group by {key}
        ) as c using ({key})
        """
    ).df()
    n = frame["n_clients"]
    small = n.notna() & (n > 0) & (n < settings.suppression_threshold)
    frame["expected_suppressed"] = small.astype(object).where(n.notna(), None)
    for column in ("value", "numerator", "denominator"):
        frame[f"small_cell_{column}"] = frame[column].where(small, None)
    return frame
