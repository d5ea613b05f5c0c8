"""Row rules of the raw input contract (DEFINITIONS §2, §2.1), evaluated set-based in DuckDB.

`RULES` is the one list of quarantine rules: stable snake_case ids with a one-line reason, in
priority order. A row that breaks several rules is quarantined once; its primary `rule` is
the first broken rule in this order and `rules` lists all broken rules in this order.

Evaluation happens in steps, each a SQL statement over the landing table of an entity; the
results are narrow tables of (_file_seq, _source_row[, rule]) holding only the rows concerned:
0. Rows whose natural key repeats (`NATURAL_KEYS`: the allocation version, the declaratienummer),
   found by one pass over a 64-bit hash of the key. Exact duplicates and conflicting versions or
   declaratienummers share their key, so steps 1 and 3 look for them among these rows only
   (nationally a few hundred thousand of 61 M) instead of hashing every row's whole content.
   The set of repeated hashes is kept with the landed-file cache and grows with each new file.
1. Exact duplicates: a row equal in every contract column (values trimmed; numbers compared
   by value) to an earlier row (earlier file in sorted path order, then earlier row) is a
   duplicate and is not validated: it is loaded once, through that earlier row (§2 "Exact
   duplicate lines are loaded once"). So a duplicated bad row is quarantined once.
2. Single-row rules (missing_required … end_before_start) on each other row on its own; every
   rule a row breaks is recorded. They depend on the row alone, but for the peildatum's upper
   bound of plausible dates, so they are evaluated once per landed file and kept with it; the
   upper bound is applied each run, to the rows of the files whose latest date passes it.
3. Cross-row rules (conflicting_versions, conflicting_declaratienummer, unknown_allocation,
   unknown_declaration, credit_without_debit) only for rows that pass every single-row rule: a
   malformed row is not a version or a declaration line that others can conflict with or
   depend on. A row can break several of these; all are recorded. "Loaded allocations" and
   "loaded debit lines" are the rows that pass every rule before them (allocations are
   finished first).
4. credit_exceeds_debit, for credit lines that pass every other rule; the running total
   counts only the credits that are kept.
5. The §2.1 entities, after the declarations are finished: care starts, care stops and
   outcome reports must name a loaded allocation (unknown_allocation), a declaration answer a
   loaded declaration line (unknown_declaration). They are not versions that can conflict:
   the latest per allocation wins downstream (dbt), ties broken by file, then row.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestration.config import DBT_PROJECT_DIR
from orchestration.ingest.contract import (
    DOELEN_BEHAALD_VALUES,
    ENTITIES,
    STATUS_AANLEVERING_CODES,
    Column,
)
from orchestration.sql import quote_ident, quote_literal

MISSING_REQUIRED = "missing_required"
INVALID_DATE = "invalid_date"
DATE_OUT_OF_RANGE = "date_out_of_range"
INVALID_BSN = "invalid_bsn"
INVALID_GEMEENTECODE = "invalid_gemeentecode"
INVALID_AGB = "invalid_agb"
INVALID_PRODUCTCATEGORIE = "invalid_productcategorie"
LEGACY_PRODUCTCATEGORIE = "legacy_productcategorie_without_successor"
INVALID_NUMBER = "invalid_number"
NEGATIVE_AMOUNT = "negative_amount"
INVALID_DEBET_CREDIT = "invalid_debet_credit"
END_BEFORE_START = "end_before_start"
INVALID_STATUS_AANLEVERING = "invalid_status_aanlevering"
INVALID_REDEN_BEEINDIGING = "invalid_reden_beeindiging"
INVALID_VERWIJZER_TYPE = "invalid_verwijzer_type"
INVALID_DOELEN_BEHAALD = "invalid_doelen_behaald"
INVALID_RETOURCODES = "invalid_retourcodes"
CONFLICTING_VERSIONS = "conflicting_versions"
CONFLICTING_DECLARATIENUMMER = "conflicting_declaratienummer"
UNKNOWN_ALLOCATION = "unknown_allocation"
UNKNOWN_DECLARATION = "unknown_declaration"
CREDIT_WITHOUT_DEBIT = "credit_without_debit"
CREDIT_EXCEEDS_DEBIT = "credit_exceeds_debit"

REJECTED_MESSAGE = "rejected_message"

RULES: dict[str, str] = {
    REJECTED_MESSAGE: "an iJw XML message is invalid or of another type: the whole message is "
    "one quarantine row carrying the reason; the other files are not blocked",
    MISSING_REQUIRED: "a required value is empty",
    INVALID_DATE: "a date is not YYYY-MM-DD or does not exist (e.g. 2023-02-30)",
    DATE_OUT_OF_RANGE: "a date is before 2015-01-01 (Jeugdwet) or more than 5 years after the "
    "peildatum; a birth date is only checked against the upper bound",
    INVALID_BSN: "bsn is not 9 digits or fails the eleven-test (elfproef)",
    INVALID_GEMEENTECODE: "gemeentecode is not exactly 4 digits",
    INVALID_AGB: "aanbieder_agb is not exactly 8 digits",
    INVALID_PRODUCTCATEGORIE: "productcategorie is not exactly 2 digits",
    LEGACY_PRODUCTCATEGORIE: "productcategorie is a legacy 2015 code with no obvious current "
    "successor (38 overig residentieel: with or without treatment is unknown); the other 2015 "
    "codes are loaded and read as their successor",
    INVALID_NUMBER: "volume, bedrag or geleverd_volume is not a number (volume and bedrag must "
    "be whole numbers; bedrag in whole cents)",
    NEGATIVE_AMOUNT: "bedrag or geleverd_volume is negative (the sign comes from debet_credit)",
    INVALID_DEBET_CREDIT: "debet_credit is not D or C",
    INVALID_STATUS_AANLEVERING: "status_aanlevering of a care start or stop is not 1 "
    "(delivers or corrects) or 3 (withdraws) (§2.1)",
    INVALID_REDEN_BEEINDIGING: "reden_beeindiging of a care stop is not a JZ588 code "
    "(REFERENCE_DATA, seed ijw_reden_beeindiging) (§2.1)",
    INVALID_VERWIJZER_TYPE: "verwijzer_type of an allocation request is not a COD327 code "
    "(REFERENCE_DATA, seed ijw_verwijzer) (§2.1)",
    INVALID_DOELEN_BEHAALD: "doelen_behaald of an outcome report is not ja, deels or nee (§2.1)",
    INVALID_RETOURCODES: "retourcodes of a declaration answer is not a space-separated list of "
    "4-digit iJw retourcodes (§2.1)",
    END_BEFORE_START: "a declaration's einddatum is before its begindatum",
    CONFLICTING_VERSIONS: "two or more versions of an allocation have the same dagtekening but "
    "different content: all of them are quarantined and the latest earlier version stands",
    CONFLICTING_DECLARATIENUMMER: "two or more declaration lines have the same declaratienummer "
    "but different content: all of them are quarantined",
    UNKNOWN_ALLOCATION: "the (gemeentecode, toewijzingnummer) of a declaration line, care "
    "start, care stop or outcome report is not a loaded allocation",
    UNKNOWN_DECLARATION: "a declaration answer's declaratienummer is not a loaded declaration "
    "line (§2.1)",
    CREDIT_WITHOUT_DEBIT: "a credit line's vorig_declaratienummer is empty or not a loaded "
    "debit line",
    CREDIT_EXCEEDS_DEBIT: "credits naming one debit line add up to more than its bedrag; the "
    "credits that would push the total over, in file and row order, are quarantined",
}
"""Quarantine rule id → reason, in priority order (DEFINITIONS §2)."""

REJECTED_MESSAGE_KEY = "_rejected_message"
EARLIEST_DATE = dt.date(2015, 1, 1)  # the Jeugdwet took effect on 2015-01-01
YEARS_AFTER_PEILDATUM = 5
BIRTH_DATE_COLUMN = "geboortedatum"

# Fixed-width digit codes and the rule each breaks (widths come from the contract).
FORMAT_RULES = {
    "bsn": INVALID_BSN,
    "gemeentecode": INVALID_GEMEENTECODE,
    "aanbieder_agb": INVALID_AGB,
    "productcategorie": INVALID_PRODUCTCATEGORIE,
}
NON_NEGATIVE_COLUMNS = ("bedrag", "geleverd_volume")

# The legacy 2015 productcategorie codes and their successors (REFERENCE_DATA), written once in
# this seed: dbt staging reads a legacy code as its successor, ingestion quarantines one without.
LEGACY_PRODUCTCATEGORIE_SEED = (
    DBT_PROJECT_DIR / "seeds" / "reference" / "ijw_productcategorie_2015.csv"
)
# The JZ588 (reden beëindiging) and COD327 (verwijzer) code lists of REFERENCE_DATA, in the seeds
# dbt reads them from.
REDEN_BEEINDIGING_SEED = DBT_PROJECT_DIR / "seeds" / "reference" / "ijw_reden_beeindiging.csv"
VERWIJZER_SEED = DBT_PROJECT_DIR / "seeds" / "reference" / "ijw_verwijzer.csv"

# §2.1 code columns: (entity, column) → (rule, allowed values or a function giving them). A code
# column of another entity (the allocations' own reden_beeindiging and verwijzer_type, §2) is
# not checked here.
RETOURCODES_RE = "[0-9]{4}( [0-9]{4})*"

_INT_RE = "[+-]?[0-9]+"
_NUMBER_RE = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
_ELFPROEF_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def is_valid_bsn(bsn: str) -> bool:
    """The Dutch eleven-test: 9 digits, weights 9..2 and -1, sum divisible by 11, not all 0."""
    if len(bsn) != 9 or not bsn.isascii() or not bsn.isdigit() or bsn == "0" * 9:
        return False
    return sum(w * int(d) for w, d in zip(_ELFPROEF_WEIGHTS, bsn, strict=True)) % 11 == 0


def legacy_codes_without_successor() -> tuple[str, ...]:
    """The 2015 productcategorie codes the seed gives no successor (quarantined on ingest).
    Read on every call (a few lines), so a replaced seed counts from the next ingest on, also in
    a long-running Dagster process."""
    with LEGACY_PRODUCTCATEGORIE_SEED.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"productcategorie", "successor_productcategorie"} <= set(rows[0]):
        raise ValueError(
            f"{LEGACY_PRODUCTCATEGORIE_SEED} must have columns productcategorie and "
            "successor_productcategorie"
        )
    return tuple(
        sorted(
            r["productcategorie"].strip()
            for r in rows
            if not (r["successor_productcategorie"] or "").strip()
        )
    )


def _seed_codes(path: Path, column: str) -> tuple[str, ...]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or column not in rows[0]:
        raise ValueError(f"{path} must have a column {column}")
    return tuple(sorted(r[column].strip() for r in rows if (r[column] or "").strip()))


def reden_beeindiging_codes() -> tuple[str, ...]:
    """The JZ588 codes (REFERENCE_DATA), read from the seed on every call like the legacy
    productcategorie codes."""
    return _seed_codes(REDEN_BEEINDIGING_SEED, "reden_beeindiging")


def verwijzer_codes() -> tuple[str, ...]:
    """The COD327 codes (REFERENCE_DATA), read from the seed on every call."""
    return _seed_codes(VERWIJZER_SEED, "verwijzer_type")


def code_columns(entity: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(column, rule, allowed values) of the §2.1 code columns of an entity."""
    return {
        "care_starts": [
            ("status_aanlevering", INVALID_STATUS_AANLEVERING, STATUS_AANLEVERING_CODES)
        ],
        "care_stops": [
            ("reden_beeindiging", INVALID_REDEN_BEEINDIGING, reden_beeindiging_codes()),
            ("status_aanlevering", INVALID_STATUS_AANLEVERING, STATUS_AANLEVERING_CODES),
        ],
        "allocation_requests": [("verwijzer_type", INVALID_VERWIJZER_TYPE, verwijzer_codes())],
        "outcome_reports": [("doelen_behaald", INVALID_DOELEN_BEHAALD, DOELEN_BEHAALD_VALUES)],
    }.get(entity, [])


def latest_plausible_date(peildatum: dt.date) -> dt.date:
    """peildatum + 5 years (29 February becomes 28 February)."""
    year = peildatum.year + YEARS_AFTER_PEILDATUM
    try:
        return peildatum.replace(year=year)
    except ValueError:
        return peildatum.replace(year=year, day=28)


# ----------------------------------------------------------------------------- SQL pieces
# Values in the landing table are already trimmed, with empty values as NULL (readers.py).
# Conditions use try_cast only: DuckDB may evaluate both sides of AND, so a plain CAST of an
# unchecked value could fail the whole statement.


def value(column: str, alias: str | None = None) -> str:
    """A landed value (trimmed text, NULL when empty)."""
    return f"{alias}.{quote_ident(column)}" if alias else quote_ident(column)


def _date_ok(v: str) -> str:
    # Round trip through DATE: exactly the ISO dates that exist (2023-02-30 and 2023-2-3 fail).
    return f"coalesce(CAST(try_cast({v} AS DATE) AS VARCHAR) = {v}, false)"


def _int_ok(v: str) -> str:
    return (
        f"coalesce(regexp_full_match({v}, '{_INT_RE}') "
        f"AND try_cast({v} AS BIGINT) IS NOT NULL, false)"
    )


def _number_ok(v: str) -> str:
    return (
        f"coalesce(regexp_full_match({v}, '{_NUMBER_RE}') "
        f"AND isfinite(try_cast({v} AS DOUBLE)), false)"
    )


def _digits_ok(v: str, digits: int) -> str:
    return f"coalesce(length({v}) = {digits} AND ltrim({v}, '0123456789') = '', false)"


def bsn_ok_sql(v: str) -> str:
    """SQL twin of `is_valid_bsn` for the VARCHAR expression `v` (never NULL)."""
    terms = " + ".join(
        f"({w}) * (ascii(substr({v}, {i}, 1)) - 48)"
        for i, w in enumerate(_ELFPROEF_WEIGHTS, start=1)
    )
    return f"coalesce({_digits_ok(v, 9)} AND {v} <> '000000000' AND ({terms}) % 11 = 0, false)"


def typed(column: Column, alias: str | None = None) -> str:
    """The typed value of a column of a row that passed the rules (DATE, BIGINT, DOUBLE); an
    empty column with a default (status_aanlevering) takes it."""
    v = value(column.name, alias)
    if column.default is not None:
        v = f"coalesce({v}, {quote_literal(column.default)})"
    cast = {"date": "DATE", "int": "BIGINT", "number": "DOUBLE"}.get(column.type)
    return f"CAST({v} AS {cast})" if cast else v


def canonical(column: Column) -> str:
    """The value that decides "same content": the text, numbers compared by value."""
    v = value(column.name)
    if column.type in ("int", "number"):
        return f"coalesce(CAST(try_cast({v} AS DOUBLE) AS VARCHAR), {v})"
    return v


def row_rule_conditions(entity: str) -> list[tuple[str, str]]:
    """(rule, SQL condition that is true when a row breaks it) for the single-row rules, but
    for the one part that depends on the peildatum, a date after `latest_plausible_date`
    (`date_out_of_range`; `late_dates_sql`). So they are a function of the row alone, kept per
    landed file (`incremental.record_file_validation`)."""
    lower = f"DATE '{EARLIEST_DATE.isoformat()}'"
    conditions: dict[str, list[str]] = {rule: [] for rule in RULES}
    # readers.read_xml_file lands a rejected message as one row whose _extra names the reason
    conditions[REJECTED_MESSAGE].append(
        f"json_extract_string({quote_ident('_extra')}, '$.{REJECTED_MESSAGE_KEY}') IS NOT NULL"
    )
    for c in ENTITIES[entity]:
        v = value(c.name)
        if c.required:
            conditions[MISSING_REQUIRED].append(f"{v} IS NULL")
        if c.type == "date":
            conditions[INVALID_DATE].append(f"{v} IS NOT NULL AND NOT {_date_ok(v)}")
            d = f"try_cast({v} AS DATE)"
            if c.name != BIRTH_DATE_COLUMN:  # a birth date has the upper bound only
                conditions[DATE_OUT_OF_RANGE].append(f"{_date_ok(v)} AND {d} < {lower}")
        if c.name in FORMAT_RULES:
            ok = bsn_ok_sql(v) if c.name == "bsn" else _digits_ok(v, c.digits or 0)
            conditions[FORMAT_RULES[c.name]].append(f"{v} IS NOT NULL AND NOT {ok}")
        legacy = legacy_codes_without_successor() if c.name == "productcategorie" else ()
        if legacy:
            codes = ", ".join(quote_literal(code) for code in legacy)
            conditions[LEGACY_PRODUCTCATEGORIE].append(f"{v} IN ({codes})")
        if c.type in ("int", "number"):
            ok = _int_ok(v) if c.type == "int" else _number_ok(v)
            conditions[INVALID_NUMBER].append(f"{v} IS NOT NULL AND NOT {ok}")
            if c.name in NON_NEGATIVE_COLUMNS:
                conditions[NEGATIVE_AMOUNT].append(f"{ok} AND try_cast({v} AS DOUBLE) < 0")
        if c.name == "debet_credit":
            conditions[INVALID_DEBET_CREDIT].append(f"{v} IS NOT NULL AND {v} NOT IN ('D', 'C')")
    for column, rule, allowed in code_columns(entity):
        v = value(column)
        codes = ", ".join(quote_literal(code) for code in allowed)
        conditions[rule].append(f"{v} IS NOT NULL AND {v} NOT IN ({codes})")
    if entity == "declaration_responses":
        v = value("retourcodes")
        conditions[INVALID_RETOURCODES].append(
            f"{v} IS NOT NULL AND NOT regexp_full_match({v}, '{RETOURCODES_RE}')"
        )
    if entity == "declarations":
        begin, end = value("begindatum"), value("einddatum")
        conditions[END_BEFORE_START].append(
            f"{_date_ok(begin)} AND {_date_ok(end)} "
            f"AND try_cast({end} AS DATE) < try_cast({begin} AS DATE)"
        )
    return [
        (rule, " OR ".join(f"({p})" for p in parts)) for rule, parts in conditions.items() if parts
    ]


def _rule_case(rule: str, condition: str) -> str:
    return f"CASE WHEN {condition} THEN '{rule}' END"


def latest_date_sql(entity: str) -> str:
    """SQL: the latest valid date among a landed row's date columns (NULL when it has none).
    A row breaks the peildatum's upper bound of `date_out_of_range` exactly when this date is
    after `latest_plausible_date(peildatum)`."""
    dates = [
        f"CASE WHEN {_date_ok(value(c.name))} THEN try_cast({value(c.name)} AS DATE) END"
        for c in ENTITIES[entity]
        if c.type == "date"
    ]
    return f"greatest({', '.join(dates)})" if dates else "CAST(NULL AS DATE)"


def late_dates_sql(entity: str, peildatum: dt.date) -> str:
    """SQL condition: the row has a valid date after `latest_plausible_date(peildatum)` (the
    part of `date_out_of_range` that `row_rule_conditions` leaves out)."""
    return f"{latest_date_sql(entity)} > DATE '{latest_plausible_date(peildatum).isoformat()}'"


# ----------------------------------------------------------------------------- statements
# Each function returns SQL text; load.py runs the statements in order. The landing table is
# never copied while validating: duplicates and rule hits go to narrow tables of
# (_file_seq, _source_row[, rule]) that hold only the rows concerned, usually few.

_ROW = "_file_seq, _source_row"

NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "allocations": ("gemeentecode", "toewijzingnummer", "dagtekening"),
    "declarations": ("declaratienummer",),
    "care_starts": ("gemeentecode", "toewijzingnummer", "dagtekening"),
    "care_stops": ("gemeentecode", "toewijzingnummer", "dagtekening"),
    "allocation_requests": ("gemeentecode", "aanbieder_agb", "referentie_aanbieder"),
    "declaration_responses": ("declaratienummer", "dagtekening"),
    "outcome_reports": ("gemeentecode", "toewijzingnummer", "rapportagedatum"),
}
"""The columns that name a row (§2, §2.1): one version of an allocation, one declaration line,
one message about an allocation, request or line. Two rows that are exact duplicates, or that
conflict, always agree on them."""

CONFLICT_RULES = {
    "allocations": CONFLICTING_VERSIONS,
    "declarations": CONFLICTING_DECLARATIENUMMER,
}
"""The entities whose rows with one natural key but different content conflict (§2). The §2.1
entities have none: their latest row per key wins downstream."""

ALLOCATION_REFERENCES = ("declarations", "care_starts", "care_stops", "outcome_reports")
"""The entities whose rows must name a loaded allocation (unknown_allocation)."""


@dataclass(frozen=True)
class EntityTables:
    """The scratch tables of one entity during validation."""

    land: str  # landing rows (readers.py)
    hits: str  # (_file_seq, _source_row, rule): every row's single-row rule hits but the
    # peildatum's, kept per landed file (incremental.record_file_validation)
    keyed: str  # the landing rows whose natural key (hash) occurs more than once (step 0)
    dups: str  # (_file_seq, _source_row) of exact duplicates
    single: str  # (_file_seq, _source_row, rule): single-row rule hits
    cross: str  # (_file_seq, _source_row, rule): cross-row rule hits

    @staticmethod
    def _absent(table: str, alias: str) -> str:
        return (
            f"NOT EXISTS (SELECT 1 FROM {table} AS x WHERE x._file_seq = {alias}._file_seq "
            f"AND x._source_row = {alias}._source_row)"
        )

    def not_dup(self, alias: str) -> str:
        """SQL condition on landing row `alias`: not an exact duplicate."""
        return self._absent(self.dups, alias)

    def row_ok(self, alias: str) -> str:
        """Not a duplicate and passing every single-row rule."""
        return f"{self.not_dup(alias)} AND {self._absent(self.single, alias)}"

    def clean(self, alias: str) -> str:
        """Loaded: not a duplicate and breaking no rule (so far)."""
        return f"{self.row_ok(alias)} AND {self._absent(self.cross, alias)}"


def _hash(exprs: list[str]) -> str:
    return f"hash({', '.join(exprs)})"


def key_hash_sql(entity: str) -> str:
    """SQL: the 64-bit hash of a landed row's natural key (rows missing the key hash alike)."""
    return _hash([value(c) for c in NATURAL_KEYS[entity]])


def new_repeated_keys_sql(entity: str, source: str, new: str, old: str, target: str) -> str:
    """INSERT into `target` (one column `h`) the key hashes that occur more than once once
    the rows of `source` that satisfy `new` join those that satisfy `old`: repeated among the
    new rows, or shared by a new and an old row. Hashes already in `target` are left out.

    When `target` held every hash repeated among the old rows, it then holds every hash
    repeated among both. The new rows are hashed and grouped; the old ones are only looked up
    in them (nationally 2 s for a month of 0.7 M new lines against 58 M old ones; grouping all
    58 M took 12 s)."""
    key = key_hash_sql(entity)
    return (
        f"INSERT INTO {target} "
        f"WITH fresh AS (SELECT {key} AS h FROM {source} WHERE {new}) "
        "SELECT h FROM (SELECT h FROM fresh GROUP BY h HAVING count(*) > 1 "
        f"UNION SELECT {key} AS h FROM {source} WHERE {old} AND {key} IN (SELECT h FROM fresh)) "
        f"EXCEPT SELECT h FROM {target}"
    )


def repeated_keys_sql(entity: str, tables: EntityTables, repeated: str) -> str:
    """Step 0: the landing rows whose natural key's 64-bit hash is in `repeated`, copied once
    so steps 1 and 3 read them without scanning the landing rows again.

    `repeated` holds every hash that occurs more than once among the landed rows
    (`new_repeated_keys_sql`, kept with the landed-file cache), and may hold more: the hashes of
    rows whose file has gone since. So these rows are a superset of every row steps 1 and 3 can
    find (NULL keys hash alike, so rows missing the key are among them when there are several);
    a row that is here without a repeated key, by a hash collision or a file gone, is one the
    exact steps clear."""
    return (
        f"CREATE OR REPLACE TABLE {tables.keyed} AS SELECT * FROM {tables.land} "
        f"WHERE {key_hash_sql(entity)} IN (SELECT h FROM {repeated})"
    )


def duplicates_sql(entity: str, tables: EntityTables) -> str:
    """Step 1: the rows that repeat an earlier row's content (first by file, then by row).

    Only rows of step 0 can (their natural key repeats). Among them a 64-bit hash of the content
    finds the candidate groups cheaply; the exact comparison of every column then runs on those
    candidates only, so a hash collision never makes two different rows duplicates.
    """
    land, target = tables.keyed, tables.dups
    # A rejected iJw message (all contract columns empty) is never a duplicate of another one.
    rejected_file = (
        f"CASE WHEN json_extract_string({quote_ident('_extra')}, '$.{REJECTED_MESSAGE_KEY}') "
        f"IS NOT NULL THEN {quote_ident('_source_file')} END"
    )
    canon = [canonical(c) for c in ENTITIES[entity]] + [rejected_file]
    keys = ", ".join(f"{expr} AS k{i}" for i, expr in enumerate(canon))
    group = ", ".join(f"k{i}" for i in range(len(canon)))
    match = " AND ".join(f"c.k{i} IS NOT DISTINCT FROM g.k{i}" for i in range(len(canon)))
    return (
        f"CREATE OR REPLACE TABLE {target} AS "
        f"WITH repeated AS (SELECT {_hash(canon)} AS h FROM {land} GROUP BY h "
        "HAVING count(*) > 1), "
        f"candidates AS (SELECT {keys}, {_ROW} FROM {land} "
        f"WHERE {_hash(canon)} IN (SELECT h FROM repeated)), "
        f"groups AS (SELECT {group}, min(({_ROW})) AS first FROM candidates GROUP BY ALL "
        "HAVING count(*) > 1) "
        f"SELECT c._file_seq, c._source_row FROM candidates AS c JOIN groups AS g ON {match} "
        "AND (c._file_seq, c._source_row) <> g.first"
    )


def file_rule_hits_sql(entity: str, source: str, target: str, where: str) -> str:
    """INSERT into `target` one (_file_seq, _source_row, rule) per single-row rule broken by a
    row of `source` that satisfies `where`, leaving out the peildatum's part (`late_dates_sql`).
    Duplicates included: whether a row is one is decided over all files, every run."""
    cases = [_rule_case(rule, cond) for rule, cond in row_rule_conditions(entity)]
    return (
        f"INSERT INTO {target} "
        f"SELECT {_ROW}, unnest(string_split(rules, ',')) AS rule FROM ("
        f"SELECT {_ROW}, concat_ws(',', {', '.join(cases)}) AS rules FROM {source} "
        f"WHERE {where}) WHERE rules <> ''"
    )


def single_rules_sql(
    entity: str, tables: EntityTables, peildatum: dt.date, late_files: Sequence[int]
) -> str:
    """Step 2: one row per (row, broken single-row rule), for rows that are not duplicates:
    the kept hits, and `date_out_of_range` for a date after the peildatum's bound among the
    rows of `late_files` (the `_file_seq` of the files that have such a date, usually none)."""
    selects = [f"SELECT {_ROW}, rule FROM {tables.hits} AS l WHERE {tables.not_dup('l')}"]
    if late_files:
        seqs = ", ".join(str(int(seq)) for seq in sorted(late_files))
        selects.append(
            f"SELECT {_ROW}, '{DATE_OUT_OF_RANGE}' AS rule FROM {tables.land} AS l "
            f"WHERE l._file_seq IN ({seqs}) AND {tables.not_dup('l')} "
            f"AND {late_dates_sql(entity, peildatum)}"
        )
    # UNION, not UNION ALL: a row may break the date range both ways
    return f"CREATE OR REPLACE TABLE {tables.single} AS {' UNION '.join(selects)}"


def _repeated_keys(relation: str, key: list[str], where: str) -> str:
    """Key values occurring in more than one row of `relation` (aliased) that satisfies `where`."""
    present = " AND ".join(f"{k} IS NOT NULL" for k in key)
    return (
        f"SELECT {', '.join(key)} FROM {relation} WHERE {where} AND {present} "
        "GROUP BY ALL HAVING count(*) > 1"
    )


def cross_rules_sql(
    entity: str,
    tables: EntityTables,
    allocations: EntityTables | None = None,
    declarations: EntityTables | None = None,
) -> str:
    """Steps 3 and 5: conflicting_versions / conflicting_declaratienummer / unknown_allocation /
    unknown_declaration hits.

    Only rows that pass the single-row rules take part. Duplicates are already set aside, so
    two such rows with the same key always differ in content. For the entities that name an
    allocation (`ALLOCATION_REFERENCES`), `allocations` are the allocation tables after their
    own step 3; for declaration answers, `declarations` are the declaration tables after step 4.
    """
    selects = []
    rule = CONFLICT_RULES.get(entity)
    if rule:
        key = [value(c) for c in NATURAL_KEYS[entity]]
        match = " AND ".join(f"l.{k} = k.{k}" for k in key)
        # rows sharing a key are all rows of step 0
        repeated = _repeated_keys(f"{tables.keyed} AS r", key, tables.row_ok("r"))
        selects.append(
            f"SELECT l._file_seq, l._source_row, '{rule}' AS rule FROM {tables.keyed} AS l "
            f"JOIN ({repeated}) AS k ON {match} WHERE {tables.row_ok('l')}"
        )
    if entity == "declaration_responses":
        if declarations is None:
            raise ValueError("declaration answers are checked against the declaration tables")
        selects.append(
            f"SELECT {_ROW}, '{UNKNOWN_DECLARATION}' AS rule FROM {tables.land} AS l "
            f"WHERE {tables.row_ok('l')} AND NOT EXISTS (SELECT 1 FROM ("
            # only the lines some answer names are tested for being loaded
            f"SELECT DISTINCT d.declaratienummer FROM {declarations.land} AS d "
            f"WHERE d.declaratienummer IN (SELECT a.declaratienummer FROM {tables.land} AS a) "
            f"AND {declarations.clean('d')}) AS k WHERE k.declaratienummer = l.declaratienummer)"
        )
    if entity in ALLOCATION_REFERENCES:
        if allocations is None:
            raise ValueError(f"{entity} are checked against the allocation tables")
        selects.append(
            f"SELECT {_ROW}, '{UNKNOWN_ALLOCATION}' AS rule FROM {tables.land} AS l "
            f"WHERE {tables.row_ok('l')} AND NOT EXISTS (SELECT 1 FROM ("
            f"SELECT DISTINCT gemeentecode, toewijzingnummer FROM {allocations.land} AS a "
            f"WHERE {allocations.clean('a')}) AS k "
            "WHERE k.gemeentecode = l.gemeentecode AND k.toewijzingnummer = l.toewijzingnummer)"
        )
    if not selects:  # no cross-row rule: an empty table of hits
        selects.append(
            f"SELECT {_ROW}, CAST(NULL AS VARCHAR) AS rule FROM {tables.land} WHERE false"
        )
    return f"CREATE OR REPLACE TABLE {tables.cross} AS {' UNION ALL '.join(selects)}"


def credit_rules_sql(tables: EntityTables, debits: str, credits: str) -> list[str]:
    """Step 4: credit_without_debit and credit_exceeds_debit hits, added to `tables.cross`.

    Loaded debits are the clean D lines after step 3. credit_without_debit: a C line (passing
    the single-row rules) whose vorig_declaratienummer is empty or not a loaded debit. For
    the credits that are otherwise clean, a running total per debit (file, then row order)
    keeps each credit that fits and quarantines each that would push the total over the
    debit's bedrag. Most debits are never over-credited; only those are walked, one credit
    per step.
    """
    land = tables.land
    named = f"{debits}_named"
    return [
        # only the debits some credit line names: every use below looks a debit up by a
        # credit's vorig_declaratienummer (nationally 3 M of 55 M debit lines). Picked out
        # first and then tested for being loaded: in one statement DuckDB tested every debit
        # line of the delivery against the duplicate and rule hits before the names (11.3 s
        # nationally against 1.6 s)
        f"CREATE OR REPLACE TABLE {named} AS SELECT l._file_seq, l._source_row, "
        f"l.declaratienummer AS nr, l.bedrag FROM {land} AS l "
        f"WHERE l.debet_credit = 'D' AND l.declaratienummer IN (SELECT c.vorig_declaratienummer "
        f"FROM {land} AS c WHERE c.debet_credit = 'C')",
        f"CREATE OR REPLACE TABLE {debits} AS SELECT l.nr, CAST(l.bedrag AS BIGINT) AS bedrag "
        f"FROM {named} AS l WHERE {tables.clean('l')}",
        f"CREATE OR REPLACE TABLE {credits} AS SELECT l._file_seq, l._source_row, d.nr, "
        "d.bedrag AS debit_bedrag, CAST(l.bedrag AS BIGINT) AS bedrag, "
        "row_number() OVER (PARTITION BY d.nr ORDER BY l._file_seq, l._source_row) AS k, "
        "sum(CAST(l.bedrag AS BIGINT)) OVER (PARTITION BY d.nr) AS credited "
        f"FROM {land} AS l JOIN {debits} AS d ON d.nr = l.vorig_declaratienummer "
        f"WHERE l.debet_credit = 'C' AND {tables.clean('l')}",
        f"INSERT INTO {tables.cross} "
        f"SELECT {_ROW}, '{CREDIT_WITHOUT_DEBIT}' FROM {land} AS l "
        f"WHERE l.debet_credit = 'C' AND {tables.row_ok('l')} "
        "AND (l.vorig_declaratienummer IS NULL OR NOT EXISTS (SELECT 1 FROM "
        f"{debits} AS d WHERE d.nr = l.vorig_declaratienummer))",
        f"INSERT INTO {tables.cross} "
        "WITH RECURSIVE over_credited AS "
        f"(SELECT * FROM {credits} WHERE credited > debit_bedrag), "
        "walk AS ("
        "SELECT nr, k, _file_seq, _source_row, bedrag > debit_bedrag AS is_over, "
        "CASE WHEN bedrag > debit_bedrag THEN 0 ELSE bedrag END AS total "
        "FROM over_credited WHERE k = 1 "
        "UNION ALL "
        "SELECT o.nr, o.k, o._file_seq, o._source_row, w.total + o.bedrag > o.debit_bedrag, "
        "CASE WHEN w.total + o.bedrag > o.debit_bedrag THEN w.total "
        "ELSE w.total + o.bedrag END "
        "FROM walk AS w JOIN over_credited AS o ON o.nr = w.nr AND o.k = w.k + 1) "
        f"SELECT {_ROW}, '{CREDIT_EXCEEDS_DEBIT}' FROM walk WHERE is_over",
    ]


def quarantine_rules_sql(tables: EntityTables, target: str) -> str:
    """Per quarantined row: `rules`, all broken rules comma-joined in priority order."""
    order = " ".join(f"WHEN '{rule}' THEN {i}" for i, rule in enumerate(RULES))
    return (
        f"CREATE OR REPLACE TABLE {target} AS "
        f"SELECT {_ROW}, string_agg(rule, ',' ORDER BY CASE rule {order} END) AS rules "
        f"FROM (SELECT * FROM {tables.single} UNION ALL SELECT * FROM {tables.cross}) "
        f"GROUP BY {_ROW}"
    )
