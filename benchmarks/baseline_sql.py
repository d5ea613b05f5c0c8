"""Baseline (b): trajectories and re-entries as one hand-written DuckDB query over the raw files.

The practical lower bound: a single statement reads the allocation files, keeps the versions
that pass the §2 row rules (exact duplicates once, conflicting versions out), takes the latest
version per allocation, drops withdrawn ones and non-jeugdhulp products (§3), chains each
client's allocations with the six-month rule (§4) as a running maximum of the end dates, and
derives status and gap. Written independently of the dbt models; only the client key (§7) is
shared, applied to the result.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from benchmarks.baseline_pandas import (
    CATALOGUE,
    COLUMNS,
    DATES,
    DIGITS,
    EARLIEST,
    LEGACY_WITHOUT_SUCCESSOR,
    NOT_JEUGDHULP,
    OUTPUT_COLUMNS,
    REQUIRED,
    allocation_files,
)
from orchestration.ingest.hashing import client_key
from orchestration.sql import quote_literal

OPEN = "DATE '9999-12-31'"  # an open end: later than any plausible date (§2 range rule)


def _csv_sep(path: Path) -> str:
    with path.open(encoding="utf-8-sig") as fh:
        header = fh.readline()
    return ";" if header.count(";") > header.count(",") else ","


def _columns_of(path: Path) -> set[str]:
    if path.suffix.lower() == ".parquet":
        return {name.lower() for name in pq.read_schema(path).names}
    with path.open(encoding="utf-8-sig") as fh:
        header = fh.readline().strip()
    return {name.strip().strip('"').lower() for name in header.split(_csv_sep(path))}


def _text_columns(present: set[str]) -> str:
    return ", ".join(
        f"nullif(trim(CAST({c} AS VARCHAR)), '') AS {c}"
        if c in present
        else f"CAST(NULL AS VARCHAR) AS {c}"
        for c in COLUMNS
    )


def _landed_sql(files: list[Path]) -> str:
    """All allocation rows as trimmed text with file order and row number."""
    parts = []
    parquet = [(seq, p) for seq, p in enumerate(files, start=1) if p.suffix == ".parquet"]
    if parquet:
        present = set().union(*(_columns_of(p) for _, p in parquet))
        listed = ", ".join(quote_literal(str(p)) for _, p in parquet)
        seqs = ", ".join(f"({quote_literal(str(p))}, {seq})" for seq, p in parquet)
        parts.append(
            "SELECT f.seq AS file_seq, r.file_row_number + 1 AS source_row, "
            f"{_text_columns(present)} "
            f"FROM read_parquet([{listed}], filename = true, file_row_number = true, "
            f"union_by_name = true) AS r JOIN (VALUES {seqs}) AS f(name, seq) "
            "ON f.name = r.filename"
        )
    for seq, path in enumerate(files, start=1):
        if path.suffix == ".parquet":
            continue
        parts.append(
            f"SELECT {seq} AS file_seq, row_number() OVER () AS source_row, "
            f"{_text_columns(_columns_of(path))} "
            f"FROM read_csv({quote_literal(str(path))}, delim = {quote_literal(_csv_sep(path))}, header = true, "
            "all_varchar = true, auto_detect = true)"
        )
    if not parts:
        return f"SELECT 0 AS file_seq, 0 AS source_row, {_text_columns(set())} WHERE false"
    return " UNION ALL ".join(parts)


def _is_date(v: str) -> str:
    return f"coalesce(CAST(try_cast({v} AS DATE) AS VARCHAR) = {v}, false)"


def _row_ok(peildatum: dt.date) -> str:
    """The §2 single-row rules for allocations, as one condition."""
    try:
        latest = peildatum.replace(year=peildatum.year + 5)
    except ValueError:
        latest = peildatum.replace(year=peildatum.year + 5, day=28)
    checks = [f"{c} IS NOT NULL" for c in REQUIRED]
    for c in DATES:
        day = f"try_cast({c} AS DATE)"
        lower = "" if c == "geboortedatum" else f" AND {day} >= DATE '{EARLIEST}'"
        checks.append(f"({c} IS NULL OR ({_is_date(c)}{lower} AND {day} <= DATE '{latest}'))")
    for c, width in DIGITS.items():
        checks.append(f"({c} IS NULL OR regexp_full_match({c}, '[0-9]{{{width}}}'))")
    legacy = ", ".join(quote_literal(code) for code in LEGACY_WITHOUT_SUCCESSOR)
    checks.append(f"productcategorie NOT IN ({legacy})")
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    elfproef = " + ".join(
        f"({w}) * try_cast(substr(bsn, {i}, 1) AS INTEGER)" for i, w in enumerate(weights, 1)
    )
    checks.append(f"bsn <> '000000000' AND ({elfproef}) % 11 = 0")
    checks.append(
        "(volume IS NULL OR (regexp_full_match(volume, '[+-]?[0-9]+') "
        "AND try_cast(volume AS BIGINT) IS NOT NULL))"
    )
    # AND in a CASE, so a cast only runs on values already found well-formed
    return "CASE WHEN " + " THEN CASE WHEN ".join(checks) + " THEN true" + " END" * len(checks)


def _versions_sql(landing: Path, peildatum: dt.date) -> str:
    """The WITH clause up to `versions`: the allocation versions that load (§2)."""
    files = allocation_files(Path(landing))
    canonical = ", ".join(
        "coalesce(CAST(try_cast(volume AS DOUBLE) AS VARCHAR), volume)" if c == "volume" else c
        for c in COLUMNS
    )
    return f"""
WITH landed AS ({_landed_sql(files)}),
first_copies AS (
    SELECT * FROM landed
    QUALIFY row_number() OVER (PARTITION BY {canonical} ORDER BY file_seq, source_row) = 1
),
passing AS (SELECT * FROM first_copies WHERE coalesce({_row_ok(peildatum)}, false)),
conflicts AS (
    SELECT gemeentecode, toewijzingnummer, dagtekening FROM passing
    WHERE dagtekening IS NOT NULL GROUP BY ALL HAVING count(*) > 1
),
versions AS (
    SELECT * FROM passing AS p
    WHERE NOT EXISTS (SELECT 1 FROM conflicts AS c WHERE c.gemeentecode = p.gemeentecode
        AND c.toewijzingnummer = p.toewijzingnummer AND c.dagtekening = p.dagtekening)
)"""


def loaded_versions_sql(landing: Path, peildatum: dt.date) -> str:
    """(file_seq, source_row) of every allocation version that loads."""
    return _versions_sql(landing, peildatum) + "\nSELECT file_seq, source_row FROM versions"


def trajectories_sql(
    landing: Path, *, peildatum: dt.date, gap_months: int, catalogue: Path = CATALOGUE
) -> str:
    """The one query: one row per trajectory, identified by the client's BSN."""
    not_jeugdhulp = ", ".join(quote_literal(c) for c in NOT_JEUGDHULP)
    peil = f"DATE '{peildatum.isoformat()}'"
    gap = f"INTERVAL {int(gap_months)} MONTH"
    return (
        _versions_sql(landing, peildatum)
        + f""",
latest AS (
    SELECT * FROM versions
    QUALIFY row_number() OVER (PARTITION BY gemeentecode, toewijzingnummer
        ORDER BY try_cast(dagtekening AS DATE) DESC NULLS LAST, file_seq DESC, source_row DESC) = 1
),
catalogue AS (SELECT * FROM read_csv({quote_literal(str(catalogue))}, all_varchar = true)),
category_first AS (
    SELECT * FROM catalogue
    QUALIFY row_number() OVER (PARTITION BY productcategorie ORDER BY productcode) = 1
),
effective AS (
    SELECT l.bsn, l.gemeentecode, l.toewijzingnummer, try_cast(l.ingangsdatum AS DATE) AS begin_day,
        coalesce(try_cast(l.einddatum AS DATE), {OPEN}) AS end_day
    FROM latest AS l
    LEFT JOIN catalogue AS e
        ON e.productcategorie = l.productcategorie AND e.productcode = l.productcode
    LEFT JOIN category_first AS d ON d.productcategorie = l.productcategorie
    WHERE (l.einddatum IS NULL OR try_cast(l.einddatum AS DATE) >= try_cast(l.ingangsdatum AS DATE))
        AND coalesce(lower(e.counts_as_jeugdhulp), lower(d.counts_as_jeugdhulp),
            CASE WHEN l.productcategorie IN ({not_jeugdhulp}) THEN 'false' ELSE 'true' END)
            = 'true'
),
walked AS (
    SELECT *,
        row_number() OVER w AS n,
        max(end_day) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered
    FROM effective
    WINDOW w AS (PARTITION BY bsn ORDER BY begin_day, end_day, toewijzingnummer, gemeentecode)
),
numbered AS (
    SELECT *,
        sum(CASE WHEN n = 1 OR (covered < {OPEN} AND begin_day >= covered + INTERVAL 1 DAY + {gap})
            THEN 1 ELSE 0 END) OVER (PARTITION BY bsn ORDER BY n) AS trajectory_seq
    FROM walked
),
trajectories AS (
    SELECT bsn, trajectory_seq, arg_min(gemeentecode, n) AS gemeentecode,
        min(begin_day) AS start_date, nullif(max(end_day), {OPEN}) AS end_date
    FROM numbered GROUP BY bsn, trajectory_seq
)
SELECT bsn, CAST(trajectory_seq AS INTEGER) AS trajectory_seq, gemeentecode, start_date, end_date,
    CASE WHEN end_date IS NULL OR end_date >= {peil} THEN 'ongoing'
        WHEN end_date + INTERVAL 1 DAY + {gap} <= {peil} THEN 'closed'
        ELSE 'ended' END AS status,
    trajectory_seq > 1 AS is_reentry,
    CAST(start_date - lag(end_date) OVER (PARTITION BY bsn ORDER BY trajectory_seq) - 1
        AS INTEGER) AS gap_days
FROM trajectories
"""
    )


def sql_trajectories(
    landing: Path,
    *,
    peildatum: dt.date,
    gap_months: int,
    hmac_key: bytes,
    config: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Run the query in a fresh in-memory DuckDB; one row per trajectory (OUTPUT_COLUMNS)."""
    con = duckdb.connect(config=config or {})
    try:
        frame = con.execute(
            trajectories_sql(landing, peildatum=peildatum, gap_months=gap_months)
        ).df()
    finally:
        con.close()
    keys = {bsn: client_key(bsn, hmac_key) for bsn in frame["bsn"].unique()}
    frame["client_key"] = frame["bsn"].map(keys)
    frame["gap_days"] = frame["gap_days"].astype("Int64")
    return frame[OUTPUT_COLUMNS].reset_index(drop=True)
