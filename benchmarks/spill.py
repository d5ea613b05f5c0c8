"""`python -m benchmarks.spill --db WORKING_DB --memory-limit 1GB --temp-dir DIR`: does a large
sort spill to disk instead of failing?

Sorts every declaration line of a working database (all columns, by client, date and number,
written to a Parquet file so nothing can be optimised away) in a fresh process with the given
DuckDB memory limit and temp directory, and reports wall time, peak RSS and the peak disk use
of the temp directory. Run it on a benchmark's working database (benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.procmem import run_guarded
from benchmarks.table import memory, render

SORT = (
    "COPY (SELECT * FROM raw.declarations ORDER BY client_id, begindatum, declaratienummer) "
    "TO '{out}' (FORMAT parquet)"
)


def _child(db: str, memory_limit: str, temp_dir: str, threads: int, out: str) -> int:
    import duckdb

    con = duckdb.connect(
        db,
        read_only=True,
        config={"memory_limit": memory_limit, "temp_directory": temp_dir, "threads": str(threads)},
    )
    con.execute(SORT.format(out=out))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.spill")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--memory-limit", action="append", required=True)
    parser.add_argument("--temp-dir", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    out = args.temp_dir.parent / "spill-sorted.parquet"
    if args.child:
        return _child(
            str(args.db), args.memory_limit[0], str(args.temp_dir), args.threads, str(out)
        )
    args.temp_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for limit in args.memory_limit:
        run = run_guarded(
            [
                sys.executable,
                "-m",
                "benchmarks.spill",
                "--child",
                "--db",
                str(args.db),
                "--memory-limit",
                limit,
                "--temp-dir",
                str(args.temp_dir),
                "--threads",
                str(args.threads),
            ],
            folders=[args.temp_dir],
            interval=0.1,
        )
        spilled = run.sampler.peak_disk()[str(args.temp_dir)] if run.sampler else 0
        rows.append(
            [
                limit,
                f"{run.seconds:.1f}",
                memory(run.peak_rss),
                memory(spilled) or "0",
                "ok" if run.finished_ok else f"FAILED (exit {run.returncode})",
            ]
        )
        out.unlink(missing_ok=True)
    print(f"Sort of raw.declarations (all columns) from {args.db}, {args.threads} threads\n")
    print(render(["memory_limit", "wall s", "peak RSS", "peak temp dir", "result"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
