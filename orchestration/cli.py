"""`jeugdhulp` command line: generate demo data, run the pipeline, and more.

`jeugdhulp run` materialises every asset through Dagster in this process (the runs appear in the
Dagster UI's history when DAGSTER_HOME is shared), runs all blocking checks and publishes only
when they pass.

Exit codes (README, Commands; tests/test_cli_contract.py):
* every sub-command: 0 done, 2 bad usage or configuration (argparse errors, a bad JEUGDHULP_*
  setting, a missing input);
* `run`: 1 blocked (a blocking check or a file failed: nothing published), or with `--no-wait`
  another run holds the working database (nothing started);
* `export`, `report`: 2 also when the warehouse is missing or not a published DuckDB file;
* `generate`: 2 also for an impossible request (end year before start year, a folder that
  already holds data without --overwrite, a client count out of range).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from orchestration.config import PROJECT_ROOT, ConfigError, load_settings, resolve_hmac_key

EXIT_OK, EXIT_BLOCKED, EXIT_USAGE = 0, 1, 2


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date in YYYY-MM-DD form") from exc


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _quiet_environment() -> None:
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(PROJECT_ROOT / ".dagster_home")
    # Dagster refuses a DAGSTER_HOME that does not exist (a traceback, exit 1): a new instance
    # folder is made, as for the default one.
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)


# --------------------------------------------------------------------------- generate
def cmd_generate(args: argparse.Namespace) -> int:
    from orchestration.generate import generate_landing

    if args.end_year < args.start_year:
        _say("error: --end-year is before --start-year")
        return EXIT_USAGE
    started = time.perf_counter()
    try:
        summary = generate_landing(
            Path(args.out),
            clients=args.clients,
            start_year=args.start_year,
            end_year=args.end_year,
            seed=args.seed,
            fmt=args.format,
            overwrite=args.overwrite,
            progress=_say,
        )
    except ValueError as exc:
        _say(f"error: {exc}")
        return EXIT_USAGE
    _say(f"Generated demo landing folder {args.out} in {time.perf_counter() - started:.1f} s")
    print(json.dumps(getattr(summary, "__dict__", {}), default=str, indent=2))
    return EXIT_OK


# --------------------------------------------------------------------------- run
def _failures(result: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Failed steps and failed asset checks of an in-process run."""
    from dagster import AssetCheckSeverity, DagsterEventType

    failed_steps: list[dict[str, Any]] = []
    failed_checks: list[dict[str, Any]] = []
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            user = event.step_failure_data.user_failure_data
            message = (user.description if user and user.description else None) or (
                error.message.strip() if error else "unknown error"
            )
            # Dagster wraps user exceptions; the innermost cause says what happened.
            cause = error
            while cause is not None and cause.cause is not None:
                cause = cause.cause
            if cause is not None and cause is not error and not (user and user.description):
                message = cause.message.strip()
            failed_steps.append({"step": event.step_key, "error": message})
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            # a WARN check (e.g. a fact's coverage) informs; it neither blocks nor fails the run
            if not evaluation.passed and evaluation.severity != AssetCheckSeverity.WARN:
                metadata = {
                    k: getattr(v, "value", v) for k, v in (evaluation.metadata or {}).items()
                }
                failed_checks.append(
                    {
                        "check": evaluation.check_name,
                        "asset": evaluation.asset_key.to_user_string(),
                        "description": evaluation.description,
                        "metadata": metadata,
                    }
                )
    return failed_steps, failed_checks


def _warnings(result: Any) -> list[str]:
    """The non-blocking (WARN) checks of an in-process run that did not pass, in a line each."""
    from dagster import AssetCheckSeverity, DagsterEventType

    lines = []
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.severity == AssetCheckSeverity.WARN:
                lines.append(f"{evaluation.check_name}: {evaluation.description or ''}")
    return lines


def _ingest_files(working_db: Path) -> list[dict[str, Any]]:
    import duckdb

    if not working_db.exists():
        return []
    try:
        con = duckdb.connect(str(working_db), read_only=True)
    except duckdb.Error:
        return []
    try:
        rows = con.execute(
            "select path, rows_read, rows_loaded, rows_quarantined, rows_duplicate, "
            "quarantined_by_rule from raw.ingest_files order by path"
        ).fetchall()
    except duckdb.Error:
        return []
    finally:
        con.close()
    files = []
    for path, read, loaded, quarantined, duplicate, by_rule in rows:
        if isinstance(by_rule, str):
            by_rule = json.loads(by_rule or "{}")
        files.append(
            {
                "path": path,
                "rows_read": int(read),
                "rows_loaded": int(loaded),
                "rows_quarantined": int(quarantined),
                "rows_duplicate": int(duplicate),
                "quarantined_by_rule": dict(by_rule or {}),
            }
        )
    return files


def cmd_run(args: argparse.Namespace) -> int:
    _quiet_environment()
    try:
        settings = load_settings().with_overrides(
            landing_dir=Path(args.landing).resolve() if args.landing else None,
            warehouse=Path(args.warehouse).resolve() if args.warehouse else None,
            peildatum=args.peildatum,
            full_rebuild=True if args.full_rebuild else None,
        )
        if not settings.landing_dir.is_dir():
            raise ConfigError(
                f"Landing folder {settings.landing_dir} does not exist "
                "(set --landing or JEUGDHULP_LANDING_DIR; `jeugdhulp generate` makes demo data)"
            )
        resolve_hmac_key(settings.landing_dir)
    except ConfigError as exc:
        _say(f"error: {exc}")
        return EXIT_USAGE
    settings.export_env()

    from dagster import DagsterInstance

    from orchestration.dbt_project_prepare import ensure_manifest
    from orchestration.run_lock import RunInProgress, exclusive_run

    ensure_manifest()
    from orchestration.definitions import defs
    from orchestration.schedules import PIPELINE_JOB_NAME

    _say(
        f"Running the pipeline: landing {settings.landing_dir}, peildatum {settings.peildatum}, "
        f"warehouse {settings.warehouse}"
    )
    job = defs.resolve_job_def(PIPELINE_JOB_NAME)
    try:
        with exclusive_run(
            settings.working_db_path,
            wait=not args.no_wait,
            say=_say,
            about=f"landing {settings.landing_dir}",
        ):
            started = time.perf_counter()
            with DagsterInstance.get() as instance:
                result = job.execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    run_config={"loggers": {"console": {"config": {"log_level": args.log_level}}}},
                )
            elapsed = time.perf_counter() - started
    except RunInProgress as exc:
        _say(f"\nNOT started (--no-wait): {exc}. The previous warehouse is unchanged.")
        return EXIT_BLOCKED
    failed_steps, failed_checks = _failures(result)
    published = result.success and not failed_steps and not failed_checks
    # The per-file counts come from this run's ingestion (raw/ingest_files materialised, even
    # when its blocking check then failed); after a rejected delivery the working database still
    # holds the previous one, which must not be reported as this delivery.
    ingested = any(
        e.event_specific_data.materialization.asset_key.path == ["raw", "ingest_files"]
        for e in result.get_asset_materialization_events()
    )
    report = {
        "files": _ingest_files(settings.working_db_path) if ingested else [],
        "published": published,
        "failed_checks": failed_checks,
        "failed_steps": failed_steps,
        "warehouse": str(settings.warehouse),
        "peildatum": settings.peildatum.isoformat(),
        "run_id": result.run_id,
        "seconds": round(elapsed, 1),
    }
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")

    for warning in _warnings(result):
        _say(f"warning (does not block): {warning}")
    if published:
        _say(
            f"\nPublished in {elapsed:.1f} s: {settings.warehouse}\n"
            "  Query it read-only (Python):  "
            f"duckdb.connect({str(settings.warehouse)!r}, read_only=True)\n"
            f"  Dagster UI with this run's history:  make ui  → http://127.0.0.1:3000"
        )
        return EXIT_OK
    _say(f"\nNOT published (run {result.run_id}); the previous warehouse is unchanged.")
    for check in failed_checks:
        _say(f"  failed check {check['check']} on {check['asset']}: {check['description'] or ''}")
    for step in failed_steps:
        _say(f"  failed step {step['step']}: {step['error']}")
    _say(
        "  Details: `make ui` → Runs, or the quarantine table raw.quarantine in the working database."
    )
    return EXIT_BLOCKED


# --------------------------------------------------------------------------- export / report
def _warehouse_arg(args: argparse.Namespace) -> Path:
    return Path(args.warehouse).resolve() if args.warehouse else load_settings().warehouse


def cmd_export(args: argparse.Namespace) -> int:
    from orchestration.export import ExportError, export_warehouse

    warehouse = _warehouse_arg(args)
    out = (
        Path(args.out)
        if args.out
        else load_settings().with_overrides(warehouse=warehouse).export_dir
    )
    try:
        files = export_warehouse(warehouse, out)
    except ExportError as exc:
        _say(f"error: {exc}")
        return EXIT_USAGE
    for table, path in sorted(files.items()):
        print(f"{table}\t{path}")
    _say(f"Exported {len(files)} tables to {out}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from orchestration.report import ReportError, build_report

    settings = load_settings()
    warehouse = _warehouse_arg(args)
    out = Path(args.out) if args.out else settings.with_overrides(warehouse=warehouse).report_path
    try:
        path = build_report(warehouse, out, suppression_threshold=settings.suppression_threshold)
    except ReportError as exc:
        _say(f"error: {exc}")
        return EXIT_USAGE
    _say(f"Indicator report written to {path} (open it in a browser)")
    return EXIT_OK


# --------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jeugdhulp", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a synthetic landing folder (demo data)")
    gen.add_argument("--out", required=True, help="landing folder to create")
    gen.add_argument("--clients", type=int, default=3000)
    gen.add_argument("--start-year", type=int, default=2020)
    gen.add_argument("--end-year", type=int, default=2025)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--format", choices=["csv", "parquet", "xml"], default="csv")
    gen.add_argument("--overwrite", action="store_true", help="replace existing data files")
    gen.set_defaults(func=cmd_generate)

    run = sub.add_parser("run", help="ingest, build, check and publish")
    run.add_argument("--landing", help="landing folder (env JEUGDHULP_LANDING_DIR)")
    run.add_argument("--warehouse", help="published DuckDB file (env JEUGDHULP_WAREHOUSE)")
    run.add_argument(
        "--peildatum", type=_date, help="YYYY-MM-DD (env JEUGDHULP_PEILDATUM; default today)"
    )
    run.add_argument("--report", help="write the run report (JSON) to this file, also on failure")
    run.add_argument(
        "--full-rebuild",
        action="store_true",
        help="read every landing file again and build every mart from nothing "
        "(env JEUGDHULP_FULL_REBUILD; same results, slower)",
    )
    run.add_argument(
        "--no-wait",
        action="store_true",
        help="when another `jeugdhulp run` is working on the same working database, exit 1 at "
        "once instead of waiting for it",
    )
    run.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="Dagster log level on the console (default INFO)",
    )
    run.set_defaults(func=cmd_run)

    exp = sub.add_parser("export", help="write every published mart as <table>.parquet")
    exp.add_argument("--warehouse", help="published DuckDB file (env JEUGDHULP_WAREHOUSE)")
    exp.add_argument("--out", help="folder (default: <warehouse>_parquet beside the warehouse)")
    exp.set_defaults(func=cmd_export)

    rep = sub.add_parser("report", help="write the static HTML indicator report")
    rep.add_argument("--warehouse", help="published DuckDB file (env JEUGDHULP_WAREHOUSE)")
    rep.add_argument("--out", help="HTML file (default: <warehouse>_report.html)")
    rep.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:  # a bad setting (e.g. JEUGDHULP_*) is a usage error, not a crash
        _say(f"error: {exc}")
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
