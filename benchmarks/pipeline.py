"""Run the real `jeugdhulp run` and measure it per stage.

The run is a subprocess (so its memory, the dbt subprocess included, is measured as one
process tree) with its own Dagster instance. Stage boundaries come from the run's Dagster
event log (STEP_START / STEP_SUCCESS timestamps): `landing_ingest` is the ingest stage,
`jeugdhulp_dbt_assets` the dbt build (seeds, models, unit and data tests), every asset-check
step the Great Expectations checks, `published__warehouse` the publication. What comes before
the first step (interpreter, Dagster definitions, dbt manifest) is "startup".
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.procmem import GuardedRun, run_guarded
from orchestration.config import DBT_PROJECT_DIR, PROJECT_ROOT

INGEST_STEP = "landing_ingest"
DBT_STEP = "jeugdhulp_dbt_assets"
PUBLISH_STEP = "published__warehouse"
STAGES = ("startup", "ingest", "dbt build", "checks", "publish")


@dataclass
class Stage:
    name: str
    seconds: float
    rows: int | None = None  # rows the stage works through (see README)
    peak_rss: int = 0
    note: str = ""


@dataclass
class PipelineRun:
    """Measurements of one `jeugdhulp run`."""

    exit_code: int | None
    published: bool
    seconds: float  # wall time of the whole process
    peak_rss: int
    stages: list[Stage] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)  # per GX check step
    dbt_breakdown: dict[str, float] = field(default_factory=dict)  # seconds per node type
    disk_peaks: dict[str, int] = field(default_factory=dict)
    warehouse: Path | None = None
    working_db: Path | None = None
    log: Path | None = None
    stopped_by: str | None = None

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)


def remove_database(path: Path) -> None:
    """Delete a DuckDB file with its WAL and its default spill folder."""
    for candidate in (path, Path(f"{path}.wal")):
        candidate.unlink(missing_ok=True)
    shutil.rmtree(Path(f"{path}.tmp"), ignore_errors=True)


def prepare_dagster_home(folder: Path) -> Path:
    """A Dagster instance of its own (the project's runs stay separate), configured like the
    project's `.dagster_home` (telemetry off, orchestration/dagster_storage.py)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / ".dagster_home" / "dagster.yaml", folder / "dagster.yaml")
    return folder


def run_pipeline(
    landing: Path,
    workdir: Path,
    *,
    peildatum: dt.date,
    fresh: bool = True,
    env_overrides: dict[str, str] | None = None,
    timeout: float | None = None,
    label: str = "run",
) -> PipelineRun:
    """`jeugdhulp run` on `landing`, warehouse and working database under `workdir`.

    `fresh` deletes the working database first and runs with `--full-rebuild` (a cold, full
    run: the landed-file cache goes with the working database, and no mart starts from an
    earlier run's warehouse). `env_overrides` sets JEUGDHULP_* variables (memory limit,
    threads, temp dir).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    warehouse = workdir / "warehouse" / "jeugdhulp.duckdb"
    working_db = warehouse.parent / f".{warehouse.stem}.working.duckdb"
    if fresh:
        remove_database(working_db)
    dagster_home = prepare_dagster_home(workdir / "dagster_home")
    report_path = workdir / f"{label}-report.json"
    report_path.unlink(missing_ok=True)
    log = workdir / f"{label}.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("JEUGDHULP_LANDING_DIR", "JEUGDHULP_WAREHOUSE", "JEUGDHULP_WORKING_DB")
    }
    env.update(
        {
            "DAGSTER_HOME": str(dagster_home),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "GX_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
        }
    )
    env.update(env_overrides or {})
    folders = [Path(f"{working_db}.tmp")]
    if env.get("JEUGDHULP_DUCKDB_TEMP_DIR"):
        folders.append(Path(env["JEUGDHULP_DUCKDB_TEMP_DIR"]))
    args = [
        sys.executable,
        "-m",
        "orchestration.cli",
        "run",
        "--landing",
        str(landing),
        "--warehouse",
        str(warehouse),
        "--peildatum",
        peildatum.isoformat(),
        "--report",
        str(report_path),
        *(["--full-rebuild"] if fresh else []),
    ]
    guarded = run_guarded(
        args, env=env, cwd=PROJECT_ROOT, log=log, timeout=timeout, folders=folders
    )
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    run = PipelineRun(
        exit_code=guarded.returncode,
        published=bool(report.get("published")),
        seconds=guarded.seconds,
        peak_rss=guarded.peak_rss,
        report=report,
        warehouse=warehouse,
        working_db=working_db,
        log=log,
        stopped_by=guarded.stopped_by,
    )
    if guarded.sampler is not None:
        run.disk_peaks = guarded.sampler.peak_disk()
    if report.get("run_id"):
        _add_stages(run, guarded, dagster_home, report["run_id"])
    return run


def _events(dagster_home: Path, run_id: str) -> list[Any]:
    os.environ["DAGSTER_HOME"] = str(dagster_home.resolve())
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        return list(instance.all_logs(run_id))


def _stage_of(step_key: str, is_check: bool) -> str:
    """The stage a Dagster step belongs to; a step of its own (e.g. an export after the
    publication) is reported under its step key."""
    known = {INGEST_STEP: "ingest", DBT_STEP: "dbt build", PUBLISH_STEP: "publish"}
    if step_key in known:
        return known[step_key]
    return "checks" if is_check else step_key


def _add_stages(run: PipelineRun, guarded: GuardedRun, dagster_home: Path, run_id: str) -> None:
    steps: dict[str, dict[str, Any]] = defaultdict(dict)  # step key -> start, end, check
    for entry in _events(dagster_home, run_id):
        event = entry.dagster_event
        if event is None or entry.step_key is None:
            continue
        kind = event.event_type_value
        step = steps[entry.step_key]
        if kind == "STEP_START":
            step["start"] = entry.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            step["end"] = entry.timestamp
            step["ok"] = kind == "STEP_SUCCESS"
        elif kind == "ASSET_CHECK_EVALUATION" and entry.step_key not in (INGEST_STEP, DBT_STEP):
            evaluation = event.event_specific_data
            meta = {k: getattr(v, "value", v) for k, v in (evaluation.metadata or {}).items()}
            step.update(
                name=evaluation.check_name,
                passed=evaluation.passed,
                rows_validated=int(meta.get("rows_validated") or 0),
            )
    sampler = guarded.sampler
    windows: dict[str, list[float]] = defaultdict(list)  # stage -> [start, end, start, end…]
    busy: dict[str, float] = defaultdict(float)
    for key, step in steps.items():
        if "start" not in step or "end" not in step:
            continue
        stage = _stage_of(key, "name" in step)
        windows[stage] += [step["start"], step["end"]]
        busy[stage] += step["end"] - step["start"]
        if stage == "checks":
            run.checks.append(
                {
                    "step": key,
                    "name": step["name"],
                    "passed": step["passed"],
                    "rows_validated": step["rows_validated"],
                    "seconds": step["end"] - step["start"],
                    "peak_rss": sampler.peak_rss(step["start"], step["end"]) if sampler else 0,
                }
            )
    first = min((w[0] for w in windows.values() if w), default=guarded.finished)
    files = run.report.get("files", [])
    rows = {
        "ingest": sum(f["rows_read"] for f in files),
        "dbt build": sum(f["rows_loaded"] for f in files),
        "checks": sum(c["rows_validated"] for c in run.checks),
        "publish": _published_rows(run.warehouse) if run.published else None,
    }
    run.stages.append(
        Stage(
            "startup",
            first - guarded.started,
            peak_rss=sampler.peak_rss(guarded.started, first) if sampler else 0,
            note="interpreter, Dagster definitions, dbt manifest",
        )
    )
    others = sorted(set(windows) - set(STAGES), key=lambda name: min(windows[name]))
    for name in [*STAGES[1:], *others]:
        if not windows.get(name):
            continue
        start, end = min(windows[name]), max(windows[name])
        run.stages.append(
            Stage(
                name,
                busy[name],
                rows=rows.get(name),
                peak_rss=sampler.peak_rss(start, end) if sampler else 0,
            )
        )
    run.dbt_breakdown = _dbt_breakdown(run_id)


def _published_rows(warehouse: Path | None) -> int | None:
    if warehouse is None or not warehouse.is_file():
        return None
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        counts = con.execute("select table_row_counts from meta.publication").fetchall()[0][0]
    finally:
        con.close()
    return sum(json.loads(counts).values())


def _dbt_breakdown(run_id: str) -> dict[str, float]:
    """Seconds per dbt node type (model, unit_test, test, seed) from the run's run_results."""
    found = sorted((DBT_PROJECT_DIR / "target").glob(f"{DBT_STEP}-{run_id[:7]}-*/run_results.json"))
    if not found:
        return {}
    results = json.loads(found[-1].read_text())
    totals: dict[str, float] = defaultdict(float)
    for node in results.get("results", []):
        totals[node["unique_id"].split(".")[0]] += float(node.get("execution_time") or 0)
    totals["dbt elapsed"] = float(results.get("elapsed_time") or 0)
    return dict(totals)
