"""A fixed amount of work timed next to each benchmark run: how fast the host was at the time.

On a shared machine the same run can take 40 % longer in one hour than in another. The probe
does the same work every time — a pure-Python loop (one core, like Dagster and GX) and a DuckDB
aggregation over generated numbers (all threads, like ingest and dbt) — so two benchmark tables
of different days can be compared: a run that is slower while its probe is slower too says
more about the host than about the code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb

PYTHON_STEPS = 20_000_000
DUCKDB_ROWS = 400_000_000


@dataclass(frozen=True)
class Probe:
    """Seconds for the fixed work (lower is faster)."""

    python_s: float
    duckdb_s: float

    def text(self) -> str:
        return (
            f"python {self.python_s:.2f} s ({PYTHON_STEPS // 1_000_000} M loop steps), "
            f"duckdb {self.duckdb_s:.2f} s (hash-sum of {DUCKDB_ROWS // 1_000_000} M numbers)"
        )


def _python_loop(steps: int) -> int:
    total = 0
    for i in range(steps):
        total += i
    return total


def measure(
    *, python_steps: int = PYTHON_STEPS, duckdb_rows: int = DUCKDB_ROWS, threads: int | None = None
) -> Probe:
    """Time the fixed work once each (≈ 2 s each on the 2-core reference machine); the sizes
    are parameters for tests only: probes are comparable only at the defaults."""
    started = time.perf_counter()
    _python_loop(python_steps)
    python_s = time.perf_counter() - started

    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        started = time.perf_counter()
        con.execute(f"SELECT sum(hash(i) % 1000) FROM range({int(duckdb_rows)}) AS t(i)").fetchone()
        duckdb_s = time.perf_counter() - started
    finally:
        con.close()
    return Probe(python_s=round(python_s, 2), duckdb_s=round(duckdb_s, 2))
