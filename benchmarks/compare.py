"""Compare trajectory results: the pipeline's marts.fct_trajectories against the baselines.

Three levels: trajectory counts per status, re-entry trajectories per start year (the
recidive numerator, §6 `recidive`), and the full set of (client_key, gemeentecode,
start_date, end_date, status, is_reentry, gap_days) rows, as multisets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.sql import quote_literal

COLUMNS = "client_key, gemeentecode, start_date, end_date, status, is_reentry, gap_days"
_TYPED = (
    "client_key, gemeentecode, CAST(start_date AS DATE) AS start_date, "
    "CAST(end_date AS DATE) AS end_date, status, is_reentry, CAST(gap_days AS INTEGER) AS gap_days"
)


@dataclass
class Summary:
    trajectories: int
    by_status: dict[str, int] = field(default_factory=dict)
    reentries_by_year: dict[int, int] = field(default_factory=dict)


def parquet_relation(path: Path) -> str:
    return f"(SELECT {_TYPED} FROM read_parquet({quote_literal(str(path))}))"


def mart_relation(con: duckdb.DuckDBPyConnection, database: Path, alias: str) -> str:
    """Attach a warehouse or working database read-only; its marts.fct_trajectories."""
    con.execute(f"ATTACH {quote_literal(str(database))} AS {alias} (READ_ONLY)")
    return f"(SELECT {_TYPED} FROM {alias}.marts.fct_trajectories)"


def summarise(con: duckdb.DuckDBPyConnection, relation: str) -> Summary:
    total = con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    by_status = dict(
        con.execute(f"SELECT status, count(*) FROM {relation} GROUP BY 1 ORDER BY 1").fetchall()
    )
    by_year = dict(
        con.execute(
            f"SELECT year(start_date), count(*) FROM {relation} WHERE is_reentry "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
    )
    return Summary(int(total), by_status, {int(y): int(n) for y, n in by_year.items()})


def differences(
    con: duckdb.DuckDBPyConnection, left: str, right: str, *, sample: int = 3
) -> tuple[int, int, list[tuple]]:
    """Rows only in `left`, only in `right` (multiset difference), and a few examples."""
    only_left = f"(SELECT {COLUMNS} FROM {left} EXCEPT ALL SELECT {COLUMNS} FROM {right})"
    only_right = f"(SELECT {COLUMNS} FROM {right} EXCEPT ALL SELECT {COLUMNS} FROM {left})"
    n_left = con.execute(f"SELECT count(*) FROM {only_left}").fetchall()[0][0]
    n_right = con.execute(f"SELECT count(*) FROM {only_right}").fetchall()[0][0]
    examples = con.execute(
        f"(SELECT 'only left', * FROM {only_left} LIMIT {sample}) "
        f"UNION ALL (SELECT 'only right', * FROM {only_right} LIMIT {sample})"
    ).fetchall()
    return int(n_left), int(n_right), examples
