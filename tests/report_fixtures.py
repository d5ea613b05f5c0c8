"""A tiny published warehouse with indicator values, for the report and browser tests.

Hand-written rows (DEFINITIONS §6, §7 shape): '' in gemeentecode / segment / aanbieder_agb = all.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

INDICATOR_COLUMNS = (
    "indicator_code varchar, period_year integer, regio varchar, gemeentecode varchar, "
    "segment varchar, aanbieder_agb varchar, numerator decimal(18,4), "
    "denominator decimal(18,4), value decimal(18,4), unit varchar, "
    "baseline_value decimal(18,4), target_value decimal(18,4), meets_target boolean, "
    "is_final boolean, suppressed boolean"
)

DIM_INDICATORS = [
    # indicator_code, name_nl, name_en, definition, unit, direction, spec_section, source
    (
        "clients_residential",
        "jeugdigen in verblijf",
        "young people in residential care",
        "Distinct clients with an active verblijf allocation in the year.",
        "clients",
        "lower_is_better",
        "DEFINITIONS §6",
        "Twente Project Indicatoren 2024",
    ),
    (
        "start_within_norm",
        "start binnen norm",
        "care started within the norm",
        "% of allocations starting within the norm of their hulpvorm.",
        "percent",
        "higher_is_better",
        "DEFINITIONS §6",
        "Twente Project Indicatoren 2024",
    ),
]

# (code, year, regio, gemeente, segment, aanbieder, num, den, value, unit, baseline, target,
#  meets_target, is_final, suppressed)
# fmt: off
INDICATOR_VALUES = [
    # Twente, jeugdigen in verblijf, regio total: 2023-2024 final, 2025 provisional.
    ("clients_residential", 2023, "Twente", "", "", "", 40, None, 40, "clients", 40, 28, False, True, False),
    ("clients_residential", 2024, "Twente", "", "", "", 36, None, 36, "clients", 40, 28, False, True, False),
    ("clients_residential", 2025, "Twente", "", "", "", 27, None, 27, "clients", 40, 28, True, False, False),
    # A gemeente row: not part of the regio series.
    ("clients_residential", 2024, "Twente", "0153", "", "", 999, None, 999, "clients", None, None, None, True, False),
    # Per aanbieder: 2025 is the most recent year; one aanbieder suppressed (fewer than 5).
    ("clients_residential", 2024, "Twente", "", "", "12345678", 21, None, 21, "clients", None, None, None, True, False),
    ("clients_residential", 2025, "Twente", "", "", "12345678", 15, None, 15, "clients", None, None, None, False, False),
    ("clients_residential", 2025, "Twente", "", "", "87654321", 9, None, 9, "clients", None, None, None, False, False),
    ("clients_residential", 2025, "Twente", "", "", "11112222", None, None, None, "clients", None, None, None, False, True),
    # Twente, start binnen norm: regio total and per hulpvorm (segment), one segment suppressed.
    ("start_within_norm", 2024, "Twente", "", "", "", 35, 40, 87.5, "percent", None, 90, False, True, False),
    ("start_within_norm", 2024, "Twente", "", "begeleiding", "", 19, 20, 95, "percent", None, 90, True, True, False),
    ("start_within_norm", 2024, "Twente", "", "dyslexie", "", None, None, None, "percent", None, 90, None, True, True),
    # Noord-Limburg: only a suppressed year.
    ("start_within_norm", 2024, "Noord-Limburg", "", "", "", None, None, None, "percent", None, 90, None, True, True),
]
# fmt: on


def count_row(code: str, *, regio: str = "Twente", gemeentecode: str = "", value: int = 6) -> tuple:
    """One final, unsuppressed client count for 2024 without target."""
    return (
        code,
        2024,
        regio,
        gemeentecode,
        "",
        "",
        value,
        None,
        value,
        "clients",
        None,
        None,
        None,
        True,
        False,
    )


def make_indicator_warehouse(
    path: Path,
    *,
    values: list[tuple] | None = None,
    with_values_table: bool = True,
) -> Path:
    """Write the fixture warehouse at `path` (marts + meta.publication) and return it."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts; create schema meta")
        con.execute(
            "create table marts.dim_indicators (indicator_code varchar, name_nl varchar, "
            "name_en varchar, definition varchar, unit varchar, direction varchar, "
            "spec_section varchar, source_document varchar)"
        )
        con.executemany(
            "insert into marts.dim_indicators values (?, ?, ?, ?, ?, ?, ?, ?)", DIM_INDICATORS
        )
        if with_values_table:
            con.execute(f"create table marts.fct_indicator_values ({INDICATOR_COLUMNS})")
            rows = INDICATOR_VALUES if values is None else values
            if rows:
                con.executemany(
                    "insert into marts.fct_indicator_values values "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        con.execute("create table marts.fct_trajectories as select 't1' as trajectory_id")
        con.execute(
            """create table meta.publication as select date '2025-03-01' as peildatum,
               timestamp '2025-03-02 01:02:03' as published_at, 'run-42' as run_id,
               '{}' as table_row_counts"""
        )
    finally:
        con.close()
    return path
