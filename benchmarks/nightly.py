"""`python -m benchmarks.nightly --scale regional|national [--ingest-only]`: the nightly increment.

The scale's generated delivery is split at a cut-off month: everything before it is the
history already delivered; the allocation versions dated in that month (new allocations,
changes, withdrawals) and the declaration lines starting in it are the new night's files.
Then, on one working database:

1. base run: the history, from a cold working database (every file read);
2. nightly run: the same landing folder plus the new month's files (only those are read;
   unchanged files come from the landed-file cache, orchestration/ingest/incremental.py);
3. verification: a full rebuild of the same folder from a cold working database; every mart
   of the two publications and every raw table of the two working databases must be equal.

`--ingest-only` measures the ingestion alone (no Dagster, dbt, checks or publication).
Exit code 1 when the nightly result differs from the full rebuild.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from benchmarks import probe
from benchmarks.pipeline import STAGES, PipelineRun, remove_database, run_pipeline
from benchmarks.procmem import run_guarded
from benchmarks.scales import DEFAULT_CACHE, PEILDATUM, SCALES, Scale, ensure_landing
from benchmarks.table import count, memory, render, seconds
from orchestration.config import GENERATED_MARKER, PROJECT_ROOT

# The column that dates a row's delivery month, per entity.
DATED_BY = {"allocations": "dagtekening", "declarations": "begindatum"}
DEFAULT_CUTOFF = dt.date(2025, 12, 1)


def late_credit_start(cutoff: dt.date, late_credit_months: int) -> dt.date:
    """The first day of the earliest month whose credit lines arrive with the night."""
    month = cutoff.year * 12 + cutoff.month - 1 - late_credit_months
    return dt.date(month // 12, month % 12 + 1, 1)


def split_delivery(
    landing: Path, target: Path, cutoff: dt.date, late_credit_months: int = 0
) -> dict[str, int]:
    """Write `target/base` (rows dated before `cutoff`) and `target/month` (rows dated in the
    cut-off month or later) from the Parquet delivery in `landing`. Cached by its arguments.

    With `late_credit_months` N, the credit lines of the N months before the cut-off arrive
    with the night too (a credit is filed after the period it corrects, and dated by it): the
    history holds those months' debits without the credits that came later."""
    stamp = target / "split.json"
    key = {"cutoff": cutoff.isoformat(), "late_credit_months": late_credit_months}
    if stamp.is_file():
        stored = json.loads(stamp.read_text())
        if {k: stored.get(k, 0) for k in key} == key:
            return stored["rows"]
    shutil.rmtree(target, ignore_errors=True)
    month = f"{cutoff:%Y-%m}"
    credits_from = late_credit_start(cutoff, late_credit_months).isoformat()
    counts = {"base": 0, "month": 0, "late_credits": 0}
    for entity, column in DATED_BY.items():
        (target / "base" / entity).mkdir(parents=True)
        (target / "month" / entity).mkdir(parents=True)
        held_back: list[pa.Table] = []
        for path in sorted((landing / entity).glob("*.parquet")):
            table = pq.read_table(path)
            later = pc.fill_null(pc.greater_equal(table[column], cutoff.isoformat()), False)
            if entity == "declarations" and late_credit_months:
                late = pc.fill_null(
                    pc.and_(
                        pc.equal(table["debet_credit"], "C"),
                        pc.and_(
                            pc.greater_equal(table[column], credits_from),
                            pc.less(table[column], cutoff.isoformat()),
                        ),
                    ),
                    False,
                )
                counts["late_credits"] += pc.sum(late).as_py() or 0
                later = pc.or_(later, late)
            pq.write_table(table.filter(pc.invert(later)), target / "base" / entity / path.name)
            held_back.append(table.filter(later))
            counts["base"] += table.num_rows - held_back[-1].num_rows
        new = pa.concat_tables(held_back)
        counts["month"] += new.num_rows
        # "<yyyy-mm>-delivery" sorts between the files of earlier years and the same year's
        # parts: the files after it are renumbered, as with a real delivery.
        pq.write_table(new, target / "month" / entity / f"{month}-delivery.parquet")
    shutil.copy(landing / GENERATED_MARKER, target / "base" / GENERATED_MARKER)
    stamp.write_text(json.dumps({**key, "rows": counts}))
    return counts


def link_files(source: Path, landing: Path) -> None:
    """Hard-link every file under `source` into `landing` (same content, size and time)."""
    for path in source.rglob("*"):
        if path.is_file():
            target = landing / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            os.link(path, target)


EXACT_LIMIT_ROWS = 5_000_000
COMPARE_CONFIG = {"memory_limit": "4GB", "threads": "2"}


def compare_databases(left: Path, right: Path, schema: str) -> dict[str, tuple[int, int]]:
    """Per table of `schema`: rows only in left, only in right, compared exactly (doubles too:
    the models sum time in whole minutes, so no sum depends on the order rows are added in).

    Tables of up to EXACT_LIMIT_ROWS rows are compared as multisets (EXCEPT ALL both ways).
    Larger ones first by a multiset fingerprint — row count, sum and xor of the 64-bit hashes
    of the rows — and only when those differ by EXCEPT ALL (which needs memory and spills).
    """
    spill = left.parent / "compare.tmp"
    con = duckdb.connect(config={**COMPARE_CONFIG, "temp_directory": str(spill)})
    con.execute("SET enable_progress_bar = false")
    try:
        con.execute(f"ATTACH '{left}' AS l (READ_ONLY)")
        con.execute(f"ATTACH '{right}' AS r (READ_ONLY)")
        tables = {
            alias: {
                name: types
                for name, types in con.execute(
                    "SELECT table_name, list('\"' || column_name || '\"' "
                    "ORDER BY ordinal_position) FROM information_schema.columns "
                    "WHERE table_catalog = ? AND table_schema = ? GROUP BY 1",
                    [alias, schema],
                ).fetchall()
            }
            for alias in ("l", "r")
        }
        result = {}
        for name in sorted(set(tables["l"]) | set(tables["r"])):
            if name not in tables["l"] or name not in tables["r"]:
                result[name] = (-1, -1)
                continue
            cols = ", ".join(tables["l"][name])
            a, b = (_rows(alias, schema, name, tables[alias][name]) for alias in ("l", "r"))
            prints = [
                con.execute(
                    f"SELECT count(*), sum(h::HUGEINT), bit_xor(h) FROM "
                    f"(SELECT hash({cols}) AS h FROM ({rows}))"
                ).fetchall()[0]
                for rows in (a, b)
            ]
            if prints[0] == prints[1] and prints[0][0] > EXACT_LIMIT_ROWS:
                result[name] = (0, 0)
                continue
            only_l = con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchall()[0][0]
            only_r = con.execute(f"SELECT count(*) FROM ({b} EXCEPT ALL {a})").fetchall()[0][0]
            result[name] = (int(only_l), int(only_r))
        return result
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _rows(alias: str, schema: str, table: str, columns: list[str]) -> str:
    """The rows of a table to compare. A raw table's `client_id` is compared as the client_key
    it stands for: the working database keeps client ids from one ingest to the next, so a
    night numbers its new clients after the known ones and a full rebuild in key order."""
    relation = f'{alias}.{schema}."{table}"'
    if schema != "raw" or '"client_id"' not in columns:
        return f"SELECT {', '.join(columns)} FROM {relation}"
    picked = ", ".join(f"t.{c}" for c in columns).replace(
        't."client_id"', 'k.client_key AS "client_id"'
    )
    return (
        f"SELECT {picked} FROM {relation} AS t "
        f"LEFT JOIN {alias}.raw.clients AS k ON k.client_id = t.client_id"
    )


def verdict(schema: str, tables: dict[str, tuple[int, int]]) -> tuple[bool, str]:
    """Whether every table of `schema` is equal (compare_databases), and the printed line."""
    bad = {t: d for t, d in tables.items() if d != (0, 0)}
    line = f"\n{schema}: {len(tables)} tables compared, nightly vs full rebuild: " + (
        "identical" if not bad else f"DIFFERENT {bad}"
    )
    return not bad, line


def files_read(run: PipelineRun) -> tuple[int, int]:
    """(files read, files reused) from the run's Dagster log."""
    text = run.log.read_text(errors="replace") if run.log else ""
    read = sum(1 for line in text.splitlines() if " - landing_ingest - Read " in line)
    reused = sum(1 for line in text.splitlines() if " - landing_ingest - Reused " in line)
    return read, reused


def increment_lines(run: PipelineRun) -> list[str]:
    """What the run's log says about starting from the published marts: whether the
    publication was seeded, and how many months of the monthly fact were recomputed."""
    text = run.log.read_text(errors="replace") if run.log else ""
    said = []
    for line in text.splitlines():
        if "raw.declarations " in line and " - landing_ingest - " in line:
            said.append(line[line.index("raw.declarations ") :].strip())
        if "months changed since the published mart" in line:
            said.append(line[line.index("fct_declarations_monthly: ") :].strip())
        for marker in ("the next publication starts from the published", "every mart is built"):
            if marker in line:
                said.append(line[line.index(marker) :].strip())
    return said


def check_table(runs: dict[str, PipelineRun]) -> str:
    """Per Great Expectations check: seconds and rows validated in each run (the night's checks
    validate only the clients that changed, docs/INCREMENTAL.md "The checks")."""
    names = sorted({c["name"] for run in runs.values() for c in run.checks})
    by_run = {label: {c["name"]: c for c in run.checks} for label, run in runs.items()}
    rows = []
    for name in names:
        row: list[object] = [name]
        for label in runs:
            check = by_run[label].get(name)
            row += (
                [seconds(check["seconds"]), count(check["rows_validated"])] if check else ["-", "-"]
            )
        rows.append(row)
    headers = ["GX check"] + [f"{label} {what}" for label in runs for what in ("s", "rows")]
    return render(headers, rows)


def _pipeline_row(label: str, run: PipelineRun) -> list[object]:
    read, reused = files_read(run)
    stage = {s.name: s.seconds for s in run.stages}
    return [
        label,
        seconds(run.seconds),
        seconds(stage.get("startup")),
        seconds(stage.get("ingest")),
        seconds(stage.get("dbt build")),
        seconds(stage.get("checks")),
        seconds(stage.get("publish")),
        seconds(sum(v for k, v in stage.items() if k not in STAGES)),
        memory(run.peak_rss),
        f"{read} / {reused}",
        "published" if run.published else "NOT published",
    ]


def _ingest(landing: Path, db: Path, log: Path, *, full_refresh: bool) -> dict[str, object]:
    args = [
        sys.executable,
        "-m",
        "benchmarks.worker",
        "ingest",
        "--landing",
        str(landing),
        "--db",
        str(db),
        "--peildatum",
        PEILDATUM.isoformat(),
        "--out",
        str(log.with_suffix(".json")),
    ]
    if full_refresh:
        args.append("--full-refresh")
    guarded = run_guarded(args, cwd=PROJECT_ROOT, log=log)
    info = json.loads(log.with_suffix(".json").read_text()) if guarded.finished_ok else {}
    info |= {"wall": guarded.seconds, "peak_rss": guarded.peak_rss, "ok": guarded.finished_ok}
    log.with_suffix(".json").write_text(json.dumps(info), encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.nightly")
    parser.add_argument("--scale", choices=sorted(SCALES), default="regional")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--cutoff", type=dt.date.fromisoformat, default=DEFAULT_CUTOFF)
    parser.add_argument(
        "--late-credits",
        type=int,
        default=0,
        metavar="N",
        help="the credit lines of the N months before the cut-off arrive with the night",
    )
    parser.add_argument(
        "--night-days",
        type=int,
        default=1,
        metavar="N",
        help="the night (and the rebuild it is compared with) runs N days after the base run's "
        "peildatum, as the nightly schedule does (default 1; 0: the same peildatum)",
    )
    parser.add_argument("--ingest-only", action="store_true")
    parser.add_argument("--skip-verify", action="store_true", help="no full rebuild to compare")
    args = parser.parse_args(argv)
    scale: Scale = SCALES[args.scale]
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731

    source, _info = ensure_landing(scale, args.cache_dir, say)
    folder = scale.folder(args.cache_dir) / "nightly"
    split = split_delivery(source, folder / "split", args.cutoff, args.late_credits)
    landing = folder / "landing"
    shutil.rmtree(landing, ignore_errors=True)
    link_files(folder / "split" / "base", landing)
    header = (
        f"## Nightly increment, {scale.name}: history {split['base']:,} rows, new month "
        f"{args.cutoff:%Y-%m} {split['month']:,} rows (allocation versions dated in it, "
        "declaration lines starting in it"
        + (
            f", and {split['late_credits']:,} credit lines on the {args.late_credits} months "
            "before it"
            if args.late_credits
            else ""
        )
        + ")"
    )
    say("Timing the host probe (fixed work) …")
    header += (
        f"; the night runs {args.night_days} day(s) after the base run's peildatum {PEILDATUM}"
    )
    header += "\nhost probe (fixed work, lower is faster): " + probe.measure().text()
    if args.ingest_only:
        return _ingest_only(landing, folder, header, say)

    say("base run (history, cold) …")
    base = run_pipeline(landing, folder / "runs" / "nightly", peildatum=PEILDATUM, label="base")
    link_files(folder / "split" / "month", landing)
    night = PEILDATUM + dt.timedelta(days=args.night_days)
    say(f"nightly run (history + new month, warm cache, peildatum {night}) …")
    nightly = run_pipeline(
        landing, folder / "runs" / "nightly", peildatum=night, fresh=False, label="nightly"
    )
    runs = {"base": base, "nightly": nightly}
    rows = [_pipeline_row("base: history, cold", base), _pipeline_row("nightly: + month", nightly)]
    differences: dict[str, dict[str, tuple[int, int]]] = {}
    if not args.skip_verify:
        say("full rebuild of the same folder (cold) …")
        rebuild = run_pipeline(
            landing, folder / "runs" / "rebuild", peildatum=night, label="rebuild"
        )
        rows.append(_pipeline_row("full rebuild, cold", rebuild))
        runs["rebuild"] = rebuild
        if nightly.published and rebuild.published:
            differences["marts"] = compare_databases(nightly.warehouse, rebuild.warehouse, "marts")
            differences["raw"] = compare_databases(nightly.working_db, rebuild.working_db, "raw")
    headers = [
        "run",
        "wall s",
        "startup",
        "ingest",
        "dbt build",
        "checks",
        "publish",
        "export, report",
        "peak RSS",
        "files read / reused",
        "outcome",
    ]
    out = [header, "", render(headers, rows)]
    out += ["", "nightly run's log: " + "; ".join(increment_lines(nightly) or ["(nothing)"])]
    out += ["", check_table(runs)]
    ok = nightly.published
    for schema, tables in differences.items():
        same, line = verdict(schema, tables)
        ok &= same
        out.append(line)
    print("\n".join(out))
    (folder / "results.md").write_text("\n".join(out) + "\n")
    return 0 if ok else 1


def _ingest_only(landing: Path, folder: Path, header: str, say) -> int:  # type: ignore[no-untyped-def]
    runs = folder / "runs" / "ingest"
    runs.mkdir(parents=True, exist_ok=True)
    nightly_db, rebuild_db = runs / "nightly.duckdb", runs / "rebuild.duckdb"
    for db in (nightly_db, rebuild_db):
        remove_database(db)
    say("ingest: history, cold …")
    base = _ingest(landing, nightly_db, runs / "base.log", full_refresh=False)
    link_files(folder / "split" / "month", landing)
    say("ingest: + new month, warm cache …")
    nightly = _ingest(landing, nightly_db, runs / "nightly.log", full_refresh=False)
    say("ingest: full rebuild of the same folder, cold …")
    rebuild = _ingest(landing, rebuild_db, runs / "rebuild.log", full_refresh=False)
    rows = [
        [
            label,
            seconds(r.get("seconds")),
            seconds(r.get("landing_seconds")),
            count(r.get("rows")),
            f"{r.get('read', '-')} / {r.get('reused', '-')}",
            memory(r.get("peak_rss")),
        ]
        for label, r in (
            ("history, cold", base),
            ("nightly: + month, warm", nightly),
            ("full rebuild, cold", rebuild),
        )
    ]
    headers = [
        "ingest",
        "s",
        "of which reading files s",
        "rows read",
        "files read / reused",
        "peak RSS",
    ]
    out = [header, "", render(headers, rows)]
    ok = all(r["ok"] for r in (base, nightly, rebuild))
    if ok:
        ok, line = verdict("raw", compare_databases(nightly_db, rebuild_db, "raw"))
        out.append(line)
    print("\n".join(out))
    (folder / "results-ingest.md").write_text("\n".join(out) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
