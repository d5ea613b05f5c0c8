"""The blocking data-quality suites over the marts, each defined once.

A `MartSuite` names the check, the expectation suite (JSON in `expectations/suites/`), the mart
it guards, the marts it reads, and the function that prepares the validated frame. The trajectory
suites run on `fct_trajectories` and, with the same JSON, on `fct_segment_trajectories`.
DEFINITIONS §7: results are published only after all of these pass. A suite that is
`scoped` may validate only the clients whose rows changed since the published marts passed it
(checks/scope.py); the others always read everything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import duckdb
import pandas as pd

from orchestration.checks import frames
from orchestration.checks.gx_runner import DEFAULT_BATCH_ROWS, SuiteResult, run_suite
from orchestration.checks.scope import Scope
from orchestration.config import Settings

Prepare = Callable[[duckdb.DuckDBPyConnection, Settings], pd.DataFrame]


@dataclass(frozen=True)
class MartSuite:
    name: str  # the check's name; unique
    suite: str  # the expectation suite file in expectations/suites/
    table: str  # the guarded mart in schema `marts`
    prepare: Prepare
    description: str
    reads: tuple[str, ...] = ()  # other marts the frame is read from
    scoped: bool = True  # its frame can be limited to a Scope (a `scope` keyword of prepare)

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.table, *(t for t in self.reads if t != self.table))


def _trajectory_suites(spec: frames.TrajectoryTable, prefix: str) -> list[MartSuite]:
    what = "segment trajectories" if prefix else "trajectories"
    return [
        MartSuite(
            name=f"{prefix}trajectories_reentry_gap",
            suite="trajectories_reentry_gap",
            table=spec.table,
            prepare=partial(frames.prepare_reentry_gap, spec=spec),
            description=(
                f"DEFINITIONS §4: every re-entry of the {what} starts at least the gap months "
                "after the day after the previous trajectory's end; is_reentry, the previous "
                "trajectory and gap_days agree with the client's chain."
            ),
        ),
        MartSuite(
            name=f"{prefix}trajectories_no_overlap",
            suite="trajectories_no_overlap",
            table=spec.table,
            prepare=partial(frames.prepare_no_overlap, spec=spec),
            description=(
                f"DEFINITIONS §4: a client's {what} never overlap and only the last may be "
                "open-ended."
            ),
        ),
        MartSuite(
            name=f"{prefix}trajectories_status_dates",
            suite="trajectories_status_dates",
            table=spec.table,
            prepare=partial(frames.prepare_status_dates, spec=spec),
            description=(
                f"DEFINITIONS §4: status, duration and dates of the {what} agree with the "
                "peildatum; ids unique; at least one allocation."
            ),
        ),
        MartSuite(
            name=f"{prefix}trajectories_allocation_span",
            suite="trajectories_allocation_span",
            table=spec.table,
            prepare=partial(frames.prepare_allocation_span, spec=spec),
            reads=("fct_allocations",),
            description=(
                f"DEFINITIONS §4: each of the {what} is the chain of the allocations that start "
                "within it: no break of the gap months inside it, start, end and n_allocations "
                "as those allocations say."
            ),
        ),
    ]


MART_SUITES: tuple[MartSuite, ...] = (
    *_trajectory_suites(frames.TRAJECTORIES, ""),
    MartSuite(
        name="allocations_in_one_trajectory",
        suite="allocations_in_one_trajectory",
        table="fct_allocations",
        prepare=frames.prepare_allocations_in_one_trajectory,
        reads=("fct_trajectories",),
        description=(
            "DEFINITIONS §3, §4: every effective jeugdhulp allocation lies in exactly one "
            "trajectory of its client and names it; other allocations name none."
        ),
    ),
    MartSuite(
        name="trajectories_allocation_count",
        suite="trajectories_allocation_count",
        table="fct_trajectories",
        prepare=frames.prepare_trajectory_allocation_count,
        reads=("fct_allocations",),
        description=(
            "DEFINITIONS §4: each trajectory's n_allocations equals the allocations naming it."
        ),
    ),
    MartSuite(
        name="allocations_effective_versions",
        suite="allocations_effective_versions",
        table="fct_allocations",
        prepare=frames.prepare_effective_versions,
        description=(
            "DEFINITIONS §2: fct_allocations holds every delivered allocation once as its "
            "effective version (dates, provider, product) from raw.allocations; withdrawn "
            "ones are absent."
        ),
        # Its verdict rests on raw.allocations, which the scope does not compare: a new version
        # there changes it without a published row changing.
        scoped=False,
    ),
    MartSuite(
        name="marts_no_personal_data",
        suite="marts_no_personal_data",
        table="fct_trajectories",
        prepare=frames.prepare_no_personal_data,
        description=(
            "DEFINITIONS §7: no column of any table in schema marts is named like a BSN, name, "
            "birth date or address, and no text value is a 9-digit (BSN-like) string."
        ),
        scoped=False,  # every table and column of the marts, every run
    ),
    *_trajectory_suites(frames.SEGMENT_TRAJECTORIES, "segment_"),
    MartSuite(
        name="indicator_suppression",
        suite="indicator_suppression",
        table="fct_indicator_values",
        prepare=frames.prepare_indicator_suppression,
        description=(
            "DEFINITIONS §7: an indicator cell based on fewer clients than the threshold has no "
            "value, numerator or denominator and is suppressed; no other cell is suppressed."
        ),
        scoped=False,  # indicator cells have no client to scope by
    ),
    MartSuite(
        name="indicator_insufficient_cells",
        suite="indicator_insufficient_cells",
        table="fct_indicator_values",
        prepare=frames.prepare_indicator_insufficient_cells,
        description=(
            "DEFINITIONS §7: unknown is never 'no': an insufficient indicator cell (too few "
            "members with the needed fact known) has no value, numerator, denominator or target "
            "verdict; data quality and coverage are consistent with the minimum coverage."
        ),
        scoped=False,  # indicator cells have no client to scope by
    ),
)

SUITE_NAMES: tuple[str, ...] = tuple(s.name for s in MART_SUITES)


def get_mart_suite(name: str) -> MartSuite:
    for suite in MART_SUITES:
        if suite.name == name:
            return suite
    raise KeyError(f"Unknown mart suite {name!r}; known: {', '.join(SUITE_NAMES)}")


def missing_tables(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> list[str]:
    present = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? and table_catalog = ?",
            [frames.MARTS_SCHEMA, frames.marts_catalog(con)],
        ).fetchall()
    }
    return [t for t in tables if t not in present]


def run_mart_suite(
    suite: MartSuite,
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    scope: Scope | None = None,
) -> SuiteResult:
    """Prepare the suite's frame from `con` and validate it. A missing mart fails the suite.
    With a `scope` (only for a `scoped` suite) the frame holds the rows in scope; an empty one
    passes: nothing the suite decides on changed."""
    started = time.perf_counter()
    missing = missing_tables(con, suite.tables)
    if missing:
        error = f"missing table(s): {', '.join(f'marts.{t}' for t in missing)}"
        return _nothing_validated(suite, started, success=False, error=error)
    if scope is not None and not suite.scoped:
        raise ValueError(f"suite {suite.name} always checks every row")
    frame = (
        suite.prepare(con, settings) if scope is None else suite.prepare(con, settings, scope=scope)
    )
    if scope is not None and frame.empty:
        return _nothing_validated(suite, started, success=True)
    result = run_suite(suite.suite, frame, batch_rows=batch_rows)
    return SuiteResult(
        suite_name=suite.name,
        success=result.success,
        evaluated_expectations=result.evaluated_expectations,
        rows_validated=result.rows_validated,
        batches=result.batches,
        duration_seconds=round(time.perf_counter() - started, 3),
        failures=result.failures,
        description=suite.description,
    )


def _nothing_validated(
    suite: MartSuite, started: float, *, success: bool, error: str | None = None
) -> SuiteResult:
    """The result of a suite that validated no row: a mart missing, or nothing in scope."""
    return SuiteResult(
        suite_name=suite.name,
        success=success,
        evaluated_expectations=0,
        rows_validated=0,
        batches=0,
        duration_seconds=round(time.perf_counter() - started, 3),
        error=error,
        description=suite.description,
    )


def run_all_suites(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    names: tuple[str, ...] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> dict[str, SuiteResult]:
    """Run every mart suite (or those named) and return the results by check name."""
    selected = MART_SUITES if names is None else tuple(get_mart_suite(n) for n in names)
    return {s.name: run_mart_suite(s, con, settings, batch_rows=batch_rows) for s in selected}
