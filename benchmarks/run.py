"""`python -m benchmarks.run --scale regional|national [--skip-baselines]`.

Generates the scale's data once (cached), runs the real `jeugdhulp run` on it from a cold
working database and times every stage (wall time, rows/s, peak RSS of the process tree incl.
the dbt subprocess); then, unless skipped, runs the two baselines on the same files — (a) plain
pandas, (b) one DuckDB query — and checks that both agree with the pipeline's published
marts.fct_trajectories: counts per status, re-entries per start year and the full row set.
Exit code 0 when the pipeline published and every finished baseline agrees, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from benchmarks import compare, probe
from benchmarks.pipeline import PipelineRun, run_pipeline
from benchmarks.procmem import GIB, run_guarded
from benchmarks.scales import DEFAULT_CACHE, PEILDATUM, SCALES, Scale, ensure_landing
from benchmarks.table import count, memory, rate, render, seconds, share
from orchestration.config import PROJECT_ROOT, load_settings

# Goals on 2 cores / 24 GiB.
GOAL_SECONDS = {"regional": 60.0, "national": 600.0}
GOAL_PEAK_RSS = {"national": 8 * GIB}
GOAL_PANDAS_SPEEDUP = 20.0  # pipeline at least this many times faster than pandas (regional)
GOAL_SQL_FACTOR = 2.0  # pipeline at most this many times the single SQL query
DEFAULT_BASELINE_TIMEOUT = {"regional": 900.0, "national": 3600.0}


@dataclass
class BaselineRun:
    method: str
    finished: bool
    wall_seconds: float
    compute_seconds: float | None
    peak_rss: int
    trajectories: int | None
    result: Path | None
    note: str = ""


def run_baseline(
    method: str,
    landing: Path,
    out_dir: Path,
    *,
    peildatum: dt.date,
    gap_months: int,
    timeout: float,
    memory_limit: int,
) -> BaselineRun:
    """One baseline in a guarded subprocess (benchmarks/worker.py)."""
    out = out_dir / f"baseline-{method}.parquet"
    out.unlink(missing_ok=True)
    args = [
        sys.executable,
        "-m",
        "benchmarks.worker",
        method,
        "--landing",
        str(landing),
        "--peildatum",
        peildatum.isoformat(),
        "--gap-months",
        str(gap_months),
        "--out",
        str(out),
    ]
    guarded = run_guarded(
        args,
        cwd=PROJECT_ROOT,
        log=out_dir / f"baseline-{method}.log",
        timeout=timeout,
        memory_limit=memory_limit,
    )
    if guarded.stopped_by == "timeout":
        note = f"did not finish: stopped after the {timeout:.0f} s timeout"
    elif guarded.stopped_by == "memory":
        note = f"did not finish: stopped above the {memory_limit / GIB:.0f} GiB memory guard"
    elif guarded.returncode != 0:
        note = f"failed (exit {guarded.returncode}), see {out_dir / f'baseline-{method}.log'}"
    else:
        note = ""
    timing = out.with_suffix(".json")
    info = json.loads(timing.read_text()) if guarded.finished_ok and timing.is_file() else {}
    return BaselineRun(
        method=method,
        finished=guarded.finished_ok,
        wall_seconds=guarded.seconds,
        compute_seconds=info.get("seconds"),
        peak_rss=guarded.peak_rss,
        trajectories=info.get("trajectories"),
        result=out if guarded.finished_ok else None,
        note=note,
    )


# --------------------------------------------------------------------------- output


def stage_table(run: PipelineRun) -> str:
    rows = []
    for stage in run.stages:
        rows.append(
            [
                stage.name,
                seconds(stage.seconds),
                share(stage.seconds, run.seconds),
                count(stage.rows),
                rate(stage.rows, stage.seconds),
                memory(stage.peak_rss),
            ]
        )
    other = run.seconds - sum(s.seconds for s in run.stages)
    rows.append(["other (Dagster between steps, exit)", seconds(other), share(other, run.seconds)])
    rows[-1] += [None, None, None]
    delivered = run.stage("ingest").rows if run.stage("ingest") else None
    rows.append(
        [
            "**end-to-end**",
            seconds(run.seconds),
            "100%",
            count(delivered),
            rate(delivered, run.seconds),
            memory(run.peak_rss),
        ]
    )
    return render(["stage", "wall s", "share", "rows", "rows/s", "peak RSS (tree)"], rows)


def checks_table(run: PipelineRun) -> str:
    rows = [
        [
            c.get("name", c["step"]),
            seconds(c.get("seconds")),
            count(c.get("rows_validated")),
            memory(c.get("peak_rss")),
            "pass" if c.get("passed") else "FAIL",
        ]
        for c in sorted(run.checks, key=lambda c: -c.get("seconds", 0))
    ]
    return render(["GX check", "wall s", "rows validated", "peak RSS (tree)", "result"], rows)


def dbt_line(run: PipelineRun) -> str:
    b = run.dbt_breakdown
    if not b:
        return "dbt breakdown: run_results.json not found"
    return (
        "dbt node execution times: "
        f"models {b.get('model', 0):.1f} s, unit tests {b.get('unit_test', 0):.1f} s, "
        f"data tests {b.get('test', 0):.1f} s, seeds {b.get('seed', 0):.1f} s "
        f"(dbt's own elapsed {b.get('dbt elapsed', 0):.1f} s)"
    )


def baseline_table(run: PipelineRun, baselines: list[BaselineRun]) -> str:
    rows = [
        [
            "pipeline (`jeugdhulp run`, end-to-end)",
            seconds(run.seconds),
            seconds(sum(s.seconds for s in run.stages if s.name != "startup")),
            memory(run.peak_rss),
            count(_pipeline_trajectories(run)),
            "published" if run.published else "NOT published",
        ]
    ]
    for b in baselines:
        rows.append(
            [
                {"pandas": "(a) pandas", "sql": "(b) single DuckDB query"}[b.method],
                seconds(b.wall_seconds),
                seconds(b.compute_seconds),
                memory(b.peak_rss),
                count(b.trajectories),
                b.note or "finished",
            ]
        )
    return render(
        ["method", "wall s", "work s", "peak RSS", "trajectories", "outcome"],
        rows,
    )


def _pipeline_trajectories(run: PipelineRun) -> int | None:
    db = _pipeline_database(run)
    if db is None:
        return None
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute("select count(*) from marts.fct_trajectories").fetchall()[0][0])
    except duckdb.Error:
        return None
    finally:
        con.close()


def _pipeline_database(run: PipelineRun) -> Path | None:
    """The published warehouse, or (when the run was blocked) the working database."""
    if run.published and run.warehouse and run.warehouse.is_file():
        return run.warehouse
    if run.working_db and run.working_db.is_file():
        return run.working_db
    return None


def comparison(run: PipelineRun, baselines: list[BaselineRun]) -> tuple[str, list[str], bool]:
    """The comparison tables, lines about the full-set differences, and whether all agree."""
    db = _pipeline_database(run)
    finished = [b for b in baselines if b.finished and b.result is not None]
    if db is None or not finished:
        return "", ["nothing to compare"], db is not None or not finished
    con = duckdb.connect(config={"memory_limit": "4GB", "threads": "2"})
    con.execute("SET enable_progress_bar = false")
    try:
        pipeline = compare.mart_relation(con, db, "pipe")
        relations = {"pipeline": pipeline}
        relations |= {b.method: compare.parquet_relation(b.result) for b in finished}
        summaries = {name: compare.summarise(con, rel) for name, rel in relations.items()}
        names = list(relations)
        statuses = sorted({s for v in summaries.values() for s in v.by_status})
        years = sorted({y for v in summaries.values() for y in v.reentries_by_year})
        rows = [["trajectories", *(count(summaries[n].trajectories) for n in names)]]
        rows += [
            [f"status {s}", *(count(summaries[n].by_status.get(s, 0)) for n in names)]
            for s in statuses
        ]
        rows += [
            [
                f"re-entries starting {y}",
                *(count(summaries[n].reentries_by_year.get(y, 0)) for n in names),
            ]
            for y in years
        ]
        table = render(["", *names], rows)
        lines, agree = [], True
        for b in finished:
            only_pipe, only_base, examples = compare.differences(con, pipeline, relations[b.method])
            same = only_pipe == 0 and only_base == 0
            agree &= same
            lines.append(
                f"full (client_key, gemeentecode, start, end, status, is_reentry, gap_days) set, "
                f"pipeline vs {b.method}: "
                + (
                    "identical"
                    if same
                    else f"DIFFERENT: {only_pipe} rows only in the pipeline, "
                    f"{only_base} only in {b.method}; e.g. {examples}"
                )
            )
        if db != run.warehouse:
            lines.append(f"(compared with the working database {db}: the run did not publish)")
        return table, lines, agree
    finally:
        con.close()


def goals(scale: Scale, run: PipelineRun, baselines: list[BaselineRun]) -> list[str]:
    lines = []
    goal = GOAL_SECONDS.get(scale.name)
    if goal:
        met = run.seconds < goal
        lines.append(
            f"end-to-end < {goal:.0f} s: {'met' if met else 'NOT met'} ({run.seconds:.1f} s)"
        )
    peak_goal = GOAL_PEAK_RSS.get(scale.name)
    if peak_goal:
        met = run.peak_rss < peak_goal
        lines.append(
            f"peak memory < {peak_goal / GIB:.0f} GiB: {'met' if met else 'NOT met'} "
            f"({memory(run.peak_rss)})"
        )
    for b in baselines:
        if b.method == "pandas":
            if b.finished:
                speedup = b.wall_seconds / run.seconds
                verdict = "met" if speedup >= GOAL_PANDAS_SPEEDUP else "NOT met"
                lines.append(
                    f"pipeline vs pandas: pandas takes {speedup:.2f}× the pipeline's time "
                    f"(goal ≥ {GOAL_PANDAS_SPEEDUP:.0f}×: {verdict})"
                )
            else:
                lines.append(f"pipeline vs pandas: pandas {b.note} (pipeline {run.seconds:.1f} s)")
        if b.method == "sql" and b.finished:
            factor = run.seconds / b.wall_seconds
            verdict = "met" if factor <= GOAL_SQL_FACTOR else "NOT met"
            lines.append(
                f"pipeline vs single SQL query: the pipeline takes {factor:.1f}× the query's time "
                f"(goal ≤ {GOAL_SQL_FACTOR:.0f}×: {verdict})"
            )
    return lines


# --------------------------------------------------------------------------- main


BASELINE_METHODS = ("sql", "pandas")


def baseline_methods(text: str) -> list[str]:
    """The baselines named in `--baselines`, in the order given; an unknown name is an error."""
    methods = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in methods if m not in BASELINE_METHODS]
    if unknown:
        raise SystemExit(
            f"unknown baseline(s) {', '.join(unknown)}; choose from {', '.join(BASELINE_METHODS)}"
        )
    return list(dict.fromkeys(methods))


def median_run(runs: list[PipelineRun]) -> PipelineRun:
    """The run with the median end-to-end time (of an even number, the faster middle one);
    a run that did not publish counts as slowest."""
    ranked = sorted(runs, key=lambda r: (not r.published, r.seconds))
    return ranked[(len(ranked) - 1) // 2]


def repeat_line(runs: list[PipelineRun], shown: PipelineRun) -> str:
    times = ", ".join(
        f"{r.seconds:.1f} s" + ("" if r.published else " (not published)") for r in runs
    )
    return (
        f"{len(runs)} runs, end-to-end {times}; median {shown.seconds:.1f} s "
        "(the tables below are that run's)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="regional")
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument(
        "--baselines",
        default="sql,pandas",
        help="comma-separated baselines to run after the pipeline (sql, pandas); "
        "e.g. `sql` for the agreement check without the slow pandas run",
    )
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--peildatum", type=dt.date.fromisoformat, default=PEILDATUM)
    parser.add_argument(
        "--memory-limit", help="JEUGDHULP_DUCKDB_MEMORY_LIMIT for the run, e.g. 1GB"
    )
    parser.add_argument("--temp-dir", type=Path, help="JEUGDHULP_DUCKDB_TEMP_DIR for the run")
    parser.add_argument("--threads", type=int, help="JEUGDHULP_DUCKDB_THREADS for the run")
    parser.add_argument("--label", default="full", help="name of the run folder under runs/")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the pipeline N times (each on a cold working database); the tables show the "
        "run with the median end-to-end time, and every run's time is printed",
    )
    parser.add_argument("--pipeline-timeout", type=float, default=None)
    parser.add_argument("--baseline-timeout", type=float, default=None)
    parser.add_argument(
        "--baseline-memory-gib", type=float, default=12.0, help="memory guard per baseline"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    scale = SCALES[args.scale]
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    landing, info = ensure_landing(scale, args.cache_dir, say)
    workdir = scale.folder(args.cache_dir) / "runs" / args.label
    overrides: dict[str, str] = {}
    if args.memory_limit:
        overrides["JEUGDHULP_DUCKDB_MEMORY_LIMIT"] = args.memory_limit
    if args.temp_dir:
        args.temp_dir.mkdir(parents=True, exist_ok=True)
        overrides["JEUGDHULP_DUCKDB_TEMP_DIR"] = str(args.temp_dir.resolve())
    if args.threads:
        overrides["JEUGDHULP_DUCKDB_THREADS"] = str(args.threads)
    gap_months = load_settings().gap_months

    say("Timing the host probe (fixed work) …")
    probes = [probe.measure()]
    runs: list[PipelineRun] = []
    for k in range(1, max(args.repeat, 1) + 1):
        say(f"Running `jeugdhulp run` on {landing} (cold working database) … {k}/{args.repeat}")
        runs.append(
            run_pipeline(
                landing,
                workdir,
                peildatum=args.peildatum,
                env_overrides=overrides,
                timeout=args.pipeline_timeout,
                label="run" if args.repeat == 1 else f"run{k}",
            )
        )
    probes.append(probe.measure())
    run = median_run(runs)
    baselines: list[BaselineRun] = []
    if not args.skip_baselines:
        timeout = args.baseline_timeout or DEFAULT_BASELINE_TIMEOUT[scale.name]
        for method in baseline_methods(args.baselines):
            say(f"Running baseline {method} …")
            baselines.append(
                run_baseline(
                    method,
                    landing,
                    workdir,
                    peildatum=args.peildatum,
                    gap_months=gap_months,
                    timeout=timeout,
                    memory_limit=int(args.baseline_memory_gib * GIB),
                )
            )

    out: list[str] = []
    out.append(
        f"## Benchmark {scale.name}: {scale.clients:,} clients, "
        f"{info.get('allocation_rows', 0):,} allocation rows + "
        f"{info.get('declaration_rows', 0):,} declaration lines, "
        f"{scale.start_year}-{scale.end_year}, {scale.fmt}; peildatum {args.peildatum}; "
        f"{time.strftime('%Y-%m-%d %H:%M')}"
    )
    out.append(
        "host probe (fixed work, lower is faster): before the runs "
        + probes[0].text()
        + f"; after: python {probes[1].python_s:.2f} s, duckdb {probes[1].duckdb_s:.2f} s"
    )
    if overrides:
        out.append("settings: " + ", ".join(f"{k}={v}" for k, v in sorted(overrides.items())))
    if len(runs) > 1:
        out.append(repeat_line(runs, run))
    out += ["", stage_table(run), "", dbt_line(run)]
    if run.disk_peaks:
        out.append(
            "DuckDB spill folders, peak disk use: "
            + ", ".join(f"{k}: {memory(v) or '0'}" for k, v in run.disk_peaks.items())
        )
    if run.checks:
        out += ["", checks_table(run)]
    if not run.published:
        out.append(
            f"\nPIPELINE DID NOT PUBLISH (exit {run.exit_code}"
            + (f", stopped by {run.stopped_by}" if run.stopped_by else "")
            + f"): failed checks {[c['check'] for c in run.report.get('failed_checks', [])]}, "
            f"failed steps {[s['step'] for s in run.report.get('failed_steps', [])]}; log {run.log}"
        )
    agree = True
    if baselines:
        table, lines, agree = comparison(run, baselines)
        out += ["", baseline_table(run, baselines), "", table, "", *lines]
    out += ["", *goals(scale, run, baselines)]
    text = "\n".join(out)
    print(text)
    results = {
        "scale": asdict(scale),
        "data": info,
        "settings": overrides,
        "host_probe": [asdict(p) for p in probes],
        "runs_seconds": [r.seconds for r in runs],
        "pipeline": {
            "seconds": run.seconds,
            "peak_rss": run.peak_rss,
            "published": run.published,
            "stages": [asdict(s) for s in run.stages],
            "checks": run.checks,
            "dbt": run.dbt_breakdown,
            "disk_peaks": run.disk_peaks,
        },
        "baselines": [asdict(b) | {"result": str(b.result)} for b in baselines],
        "agree": agree,
    }
    (workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    (workdir / "results.md").write_text(text + "\n")
    if not run.published:
        return 1
    if not agree:
        print("\nBASELINES DISAGREE WITH THE PIPELINE", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
