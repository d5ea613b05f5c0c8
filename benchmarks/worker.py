"""Run one baseline in its own process: `python -m benchmarks.worker pandas|sql …`.

A separate process, so its time and memory are measured alone and a guard can stop it
(benchmarks/procmem.py). Writes the trajectories as Parquet and the timing as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import pandas as pd


def _dates(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for name in ("start_date", "end_date"):
        frame[name] = pd.to_datetime(frame[name]).dt.date
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.worker")
    parser.add_argument("method", choices=["pandas", "sql", "ingest"])
    parser.add_argument("--landing", required=True, type=Path)
    parser.add_argument("--peildatum", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--gap-months", type=int, default=6)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--db", type=Path, help="ingest: the working database")
    parser.add_argument("--full-refresh", action="store_true", help="ingest: re-read every file")
    args = parser.parse_args(argv)

    from orchestration.config import load_settings, resolve_hmac_key

    if args.method == "ingest":
        return _ingest(args)

    key, _demo = resolve_hmac_key(args.landing)
    started = time.perf_counter()
    if args.method == "pandas":
        from benchmarks.baseline_pandas import pandas_trajectories

        frame = pandas_trajectories(
            args.landing, peildatum=args.peildatum, gap_months=args.gap_months, hmac_key=key
        )
    else:
        from benchmarks.baseline_sql import sql_trajectories

        settings = load_settings()
        frame = sql_trajectories(
            args.landing,
            peildatum=args.peildatum,
            gap_months=args.gap_months,
            hmac_key=key,
            config={"memory_limit": settings.memory_limit, "threads": str(settings.threads)},
        )
    seconds = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    _dates(frame).to_parquet(args.out, index=False)
    args.out.with_suffix(".json").write_text(
        json.dumps({"seconds": seconds, "trajectories": len(frame)}), encoding="utf-8"
    )
    return 0


def _ingest(args: argparse.Namespace) -> int:
    """Ingestion alone (orchestration/ingest/load.py) on a working database."""
    import duckdb

    from orchestration.config import load_settings, resolve_hmac_key
    from orchestration.ingest.load import ingest_landing

    key, _demo = resolve_hmac_key(args.landing)
    messages: list[tuple[float, str]] = []
    con = duckdb.connect(str(args.db), config=load_settings().duckdb_config())
    started = time.perf_counter()
    try:
        report = ingest_landing(
            args.landing,
            con,
            hmac_key=key,
            peildatum=args.peildatum,
            progress=lambda m: messages.append((time.perf_counter() - started, m)),
            full_refresh=args.full_refresh,
        )
    finally:
        con.close()
    seconds = time.perf_counter() - started
    landing_done = next((t for t, m in messages if m.startswith("Validating")), None)
    info = {
        "seconds": seconds,
        "landing_seconds": landing_done,
        "rows": report.rows_read,
        "read": sum(m.startswith("Read ") for _, m in messages),
        "reused": sum(m.startswith("Reused ") for _, m in messages),
    }
    args.out.write_text(json.dumps(info), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
