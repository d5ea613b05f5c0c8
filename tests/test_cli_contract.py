"""The `jeugdhulp` command-line contract (README, Commands; orchestration/cli.py), through the
command line itself: every documented exit code of every sub-command by a real process, and the
shape of `jeugdhulp run --report FILE`.

Two pipeline runs only: one that publishes (shared by the module: export, report and the run
report read it) and one that a blocking check stops. Elsewhere, through the same command line:
a rejected file and the quarantine threshold (exit 1) in tests/test_bad_input_catalogue.py, the
HMAC key on real data in tests/test_pipeline_e2e.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import FIXTURES, make_landing, run_args, run_cli
from tests.test_run_lock import _hold_in_other_process

PEILDATUM = "2026-01-01"
USAGE, BLOCKED, OK = 2, 1, 0


@dataclass(frozen=True)
class Published:
    landing: Path
    warehouse: Path
    run: Any  # subprocess.CompletedProcess of `jeugdhulp run`
    report: dict[str, Any]
    dagster_home: Path


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    """A small generated delivery, published by `jeugdhulp run --report` (once per module)."""
    root = tmp_path_factory.mktemp("cli-contract")
    landing, warehouse, report = root / "landing", root / "wh" / "jeugdhulp.duckdb", root / "r.json"
    generated = run_cli(
        ["generate", "--out", str(landing), "--clients", "40"]
        + ["--start-year", "2023", "--end-year", "2025", "--seed", "7"]
    )
    assert generated.returncode == OK, generated.stderr[-3000:]
    # A DAGSTER_HOME that does not exist yet is made (Dagster itself refuses one)
    dagster_home = root / "new" / "dagster_home"
    run = run_cli(
        run_args(landing, warehouse, peildatum=PEILDATUM, report=report),
        env_extra={"DAGSTER_HOME": str(dagster_home)},
    )
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return Published(landing, warehouse, run, data, dagster_home)


def _empty_landing(root: Path) -> Path:
    return make_landing(root)


# ----------------------------------------------------------------------------- usage (exit 2)


def test_no_sub_command_is_a_usage_error() -> None:
    result = run_cli([])
    assert result.returncode == USAGE
    assert "generate,run,export,report" in result.stderr


def test_run_with_a_bad_peildatum_exits_2_saying_which_argument_and_the_form(
    tmp_path: Path,
) -> None:
    landing = _empty_landing(tmp_path)
    result = run_cli(run_args(landing, tmp_path / "w.duckdb", peildatum="2026-13-01"))
    assert result.returncode == USAGE
    assert "argument --peildatum: '2026-13-01' is not a date in YYYY-MM-DD form" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_a_bad_peildatum_setting_exits_2(tmp_path: Path) -> None:
    landing = _empty_landing(tmp_path)
    result = run_cli(
        run_args(landing, tmp_path / "w.duckdb"), env_extra={"JEUGDHULP_PEILDATUM": "1 januari"}
    )
    assert result.returncode == USAGE
    assert "JEUGDHULP_PEILDATUM='1 januari' is not a date in YYYY-MM-DD form" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_a_missing_landing_folder_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-landing"
    result = run_cli(run_args(missing, tmp_path / "w.duckdb"))
    assert result.returncode == USAGE
    assert f"Landing folder {missing} does not exist" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_run_without_hmac_key_on_real_data_exits_2_naming_the_variable(tmp_path: Path) -> None:
    landing = _empty_landing(tmp_path)  # no demo marker: real data
    result = run_cli(
        run_args(landing, tmp_path / "w.duckdb"),
        env_extra={"JEUGDHULP_HMAC_KEY": "", "DAGSTER_HOME": str(tmp_path)},
    )
    assert result.returncode == USAGE
    assert "JEUGDHULP_HMAC_KEY" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_run_with_a_short_hmac_key_exits_2(tmp_path: Path) -> None:
    landing = _empty_landing(tmp_path)
    result = run_cli(
        run_args(landing, tmp_path / "w.duckdb"), env_extra={"JEUGDHULP_HMAC_KEY": "short"}
    )
    assert result.returncode == USAGE
    assert "at least 16 bytes" in result.stderr


def test_generate_with_end_year_before_start_year_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "landing"
    result = run_cli(["generate", "--out", str(out), "--start-year", "2025", "--end-year", "2024"])
    assert result.returncode == USAGE
    assert "--end-year is before --start-year" in result.stderr
    assert not out.exists()


def test_generate_with_an_impossible_client_count_exits_2(tmp_path: Path) -> None:
    result = run_cli(["generate", "--out", str(tmp_path / "landing"), "--clients", "0"])
    assert result.returncode == USAGE
    assert "clients must be between" in result.stderr


@pytest.mark.parametrize("command", ["export", "report"])
def test_export_and_report_on_a_missing_warehouse_exit_2(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "never-published.duckdb"
    result = run_cli([command, "--warehouse", str(missing), "--out", str(tmp_path / "out")])
    assert result.returncode == USAGE
    assert f"{missing}: the published warehouse does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["export", "report"])
def test_export_and_report_on_a_file_that_is_no_warehouse_exit_2(
    tmp_path: Path, command: str
) -> None:
    not_duckdb = tmp_path / "notes.duckdb"
    not_duckdb.write_text("not a database", encoding="utf-8")
    result = run_cli([command, "--warehouse", str(not_duckdb), "--out", str(tmp_path / "out")])
    assert result.returncode == USAGE
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["export", "report"])
def test_export_and_report_with_a_bad_setting_exit_2_not_a_traceback(
    tmp_path: Path, command: str
) -> None:
    """Before, a bad JEUGDHULP_* setting crashed these two with a traceback (exit 1)."""
    result = run_cli(
        [command, "--warehouse", str(tmp_path / "w.duckdb")],
        env_extra={"JEUGDHULP_SUPPRESSION_THRESHOLD": "five"},
    )
    assert result.returncode == USAGE
    assert "error: JEUGDHULP_SUPPRESSION_THRESHOLD='five' is not a valid int" in result.stderr
    assert "Traceback" not in result.stderr


# ----------------------------------------------------------------------------- generate (exit 0)


def test_generate_a_tiny_landing_folder_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "landing"
    result = run_cli(
        ["generate", "--out", str(out), "--clients", "3", "--start-year", "2025"]
        + ["--end-year", "2025", "--format", "parquet"]
    )
    assert result.returncode == OK, result.stderr
    summary = json.loads(result.stdout)
    assert summary["clients"] == 3 and summary["start_year"] == summary["end_year"] == 2025
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet")) == sorted(
        f"{entity}/2025-part-0000.parquet"
        for entity in (
            "allocations",
            "declarations",
            "care_starts",
            "care_stops",
            "allocation_requests",
            "declaration_responses",
            "outcome_reports",
        )
    )
    # a second time into the same folder: refused without --overwrite
    again = run_cli(["generate", "--out", str(out), "--clients", "3"])
    assert again.returncode == USAGE
    assert "--overwrite" in again.stderr


# ----------------------------------------------------------------------------- run (exit 0, 1)


@pytest.mark.slow
def test_run_publishes_and_exits_0(published: Published) -> None:
    assert published.run.returncode == OK, published.run.stderr[-4000:]
    assert "Published in " in published.run.stderr
    assert str(published.warehouse) in published.run.stderr
    con = duckdb.connect(str(published.warehouse), read_only=True)
    try:
        [(peildatum, run_id)] = con.execute(
            "select peildatum, run_id from meta.publication"
        ).fetchall()
    finally:
        con.close()
    assert peildatum.isoformat() == PEILDATUM
    assert run_id == published.report["run_id"]


TOP_LEVEL = {
    "files": list,
    "published": bool,
    "failed_checks": list,
    "failed_steps": list,
    "warehouse": str,
    "peildatum": str,
    "run_id": str,
    "seconds": float,
}
FILE_ENTRY = {
    "path": str,
    "rows_read": int,
    "rows_loaded": int,
    "rows_quarantined": int,
    "rows_duplicate": int,
    "quarantined_by_rule": dict,
}
FAILED_CHECK = {"check": str, "asset": str, "description": (str, type(None)), "metadata": dict}
FAILED_STEP = {"step": str, "error": str}


def _assert_shape(entry: dict[str, Any], shape: dict[str, Any], what: str) -> None:
    assert set(entry) == set(shape), f"{what}: keys {sorted(entry)} != {sorted(shape)}"
    for key, kind in shape.items():
        # JSON has one number type: a whole number of seconds reads back as an int
        kinds = (int, float) if kind is float else kind
        assert isinstance(entry[key], kinds), f"{what}.{key}: {entry[key]!r} is not {kind}"
        if kind is int:
            assert not isinstance(entry[key], bool), f"{what}.{key} is a bool"


def _assert_report(report: dict[str, Any]) -> None:
    _assert_shape(report, TOP_LEVEL, "report")
    for entry in report["files"]:
        _assert_shape(entry, FILE_ENTRY, f"file {entry.get('path')}")
        assert all(isinstance(k, str) for k in entry["quarantined_by_rule"])
        assert all(
            isinstance(v, int) and not isinstance(v, bool)
            for v in entry["quarantined_by_rule"].values()
        )
        assert entry["rows_read"] == (
            entry["rows_loaded"] + entry["rows_quarantined"] + entry["rows_duplicate"]
        )
    for entry in report["failed_checks"]:
        _assert_shape(entry, FAILED_CHECK, f"failed check {entry.get('check')}")
    for entry in report["failed_steps"]:
        _assert_shape(entry, FAILED_STEP, f"failed step {entry.get('step')}")
    assert report["seconds"] >= 0


@pytest.mark.slow
def test_run_report_of_a_publication_has_every_field_with_its_type(published: Published) -> None:
    assert published.run.returncode == OK, published.run.stderr[-4000:]
    report = published.report
    _assert_report(report)
    assert report["published"] is True
    assert report["failed_checks"] == [] and report["failed_steps"] == []
    assert report["warehouse"] == str(published.warehouse)
    assert report["peildatum"] == PEILDATUM
    assert {f["path"] for f in report["files"]} == {
        p.relative_to(published.landing).as_posix() for p in published.landing.rglob("*.csv")
    }


@pytest.mark.slow
def test_blocked_run_exits_1_and_its_report_names_the_failed_check(tmp_path: Path) -> None:
    """A delivery of mostly broken rows: the quarantine threshold's check blocks the run."""
    rows = FIXTURES / "bad_input" / "rows"
    landing = make_landing(
        tmp_path,
        allocations=sorted((rows / "allocations").glob("*.csv")),
        declarations=sorted((rows / "declarations").glob("*.csv")),
    )
    warehouse, report = tmp_path / "wh" / "jeugdhulp.duckdb", tmp_path / "report.json"
    result = run_cli(
        run_args(landing, warehouse, peildatum=PEILDATUM, report=report),
        env_extra={"DAGSTER_HOME": str(tmp_path)},
    )
    assert result.returncode == BLOCKED, result.stderr[-4000:]
    assert "NOT published" in result.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    _assert_report(data)
    assert data["published"] is False
    assert data["failed_checks"], "a blocked run names its failed check"
    for check in data["failed_checks"]:
        assert f"failed check {check['check']} on {check['asset']}" in result.stderr
    assert data["files"], "the per-file counts are reported also when the run is blocked"
    assert not warehouse.exists()


@pytest.mark.slow
def test_run_no_wait_exits_1_while_another_run_holds_the_working_database(
    published: Published, tmp_path: Path
) -> None:
    """The same working database as the published run; the lock is held by another process."""
    working_db = published.warehouse.parent / f".{published.warehouse.stem}.working.duckdb"
    before = published.warehouse.read_bytes()
    holder = _hold_in_other_process(working_db)
    try:
        result = run_cli(
            run_args(published.landing, published.warehouse, report=tmp_path / "r.json")
            + ["--no-wait"],
            env_extra={"DAGSTER_HOME": str(published.dagster_home)},
        )
    finally:
        holder.communicate("")
    assert result.returncode == BLOCKED, result.stderr[-3000:]
    assert f"NOT started (--no-wait): the run of process {holder.pid}" in result.stderr
    assert published.warehouse.read_bytes() == before
    assert not (tmp_path / "r.json").exists()  # no run, no run report


# ----------------------------------------------------------------------------- export / report


@pytest.mark.slow
def test_export_of_the_published_warehouse_exits_0(published: Published, tmp_path: Path) -> None:
    assert published.run.returncode == OK, published.run.stderr[-4000:]
    out = tmp_path / "parquet"
    result = run_cli(["export", "--warehouse", str(published.warehouse), "--out", str(out)])
    assert result.returncode == OK, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert lines and all(Path(path).is_file() for _, path in lines)
    assert "fct_trajectories" in {table for table, _ in lines}
    assert f"Exported {len(lines)} tables to {out}" in result.stderr


@pytest.mark.slow
def test_report_of_the_published_warehouse_exits_0(published: Published, tmp_path: Path) -> None:
    assert published.run.returncode == OK, published.run.stderr[-4000:]
    out = tmp_path / "rapport.html"
    result = run_cli(["report", "--warehouse", str(published.warehouse), "--out", str(out)])
    assert result.returncode == OK, result.stderr
    assert out.is_file() and "<html" in out.read_text(encoding="utf-8")[:2000].lower()
    assert f"Indicator report written to {out}" in result.stderr


def test_readme_documents_the_exit_codes_of_every_sub_command() -> None:
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {
        command: next(
            line for line in readme.splitlines() if line.startswith(f"| `jeugdhulp {command} ")
        )
        for command in ("generate", "run", "export", "report")
    }
    for command, row in rows.items():
        assert "exit 0" in row and "2 =" in row, f"{command}: exit codes not documented"
    assert "1 =" in rows["run"]
