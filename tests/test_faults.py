"""Write-audit-publish under faults (DEFINITIONS §7): nothing half-published.

One scenario on one warehouse and working database, in order:
1. `jeugdhulp run` publishes generated data (the demo marker removed, so it is "real" data);
2. the same run again, its process group SIGKILLed while dbt builds (once dbt.log says a model
   was built, the group is frozen with SIGSTOP, seen to still hold the dbt process, then killed);
3. the same run again, SIGKILLed while it writes the temporary publication file: it stops itself
   there (JEUGDHULP_FAULT_STOP_AT=before_rename, orchestration/publish.py) and says so with a
   marker file, so the kill cannot miss the phase;
4. the same run again, to the end, while a second process reads the published file in a loop;
   the run stops at the same point until the reader has read while it was publishing.
After each kill the published warehouse is byte-identical to publication 1; run 4 succeeds and
removes the temporary file the killed publication left behind; the reader only ever sees a
complete publication, the old one or the new one.

`fault_scenario` runs this once per test session: tests/test_idempotency.py compares
publications 1 and 4 (the same input, run twice) and tests/test_privacy.py scans publication 4,
so the suite pays for these runs once.

A failing blocking check leaves the warehouse byte-identical too: see
tests/test_blocking_checks.py (a bad mart row) and tests/test_bad_input_catalogue.py (the
quarantine threshold and a rejected file, through `jeugdhulp run`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.config import DBT_PROJECT_DIR, GENERATED_MARKER
from orchestration.publish import (
    FAULT_STOP_AT_ENV,
    fault_marker_path,
    remove_stale_temporaries,
    temporary_path,
)
from tests.conftest import ROOT, TEST_HMAC_KEY, run_args

PEILDATUM = "2026-01-01"
CLIENTS = 1500  # a dbt build of many seconds, a publication of about a second
POLL_SECONDS = 0.05  # every wait is for an event, not for a window of time
PHASE_TIMEOUT = 900  # generous: a loaded two-core host runs several suites at once
STOP_POINT = "before_rename"  # orchestration/publish.py: flushed, not yet renamed

READER = r"""
import json, os, sys, time
import duckdb

warehouse, stop_file, out_file, tables = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
tables = json.loads(tables)
deadline = time.monotonic() + float(sys.argv[5])
prefix = "." + os.path.basename(warehouse) + ".publishing-"
folder = os.path.dirname(warehouse)
last_read = 0.0
with open(out_file, "w") as out:
    while not os.path.exists(stop_file) and time.monotonic() < deadline:
        # a temporary file of a live process: one a killed run left behind does not count
        publishing = any(
            n.startswith(prefix)
            and os.path.exists("/proc/" + n[len(prefix):].removesuffix(".wal"))
            for n in os.listdir(folder)
        )
        # read continuously while a publication is being written, otherwise twice a second
        if not publishing and time.monotonic() - last_read < 0.5:
            time.sleep(0.005)
            continue
        last_read = time.monotonic()
        seen = {"publishing": publishing}
        try:
            con = duckdb.connect(warehouse, read_only=True)
            try:
                run_id, counts = con.execute(
                    "select run_id, table_row_counts from meta.publication"
                ).fetchall()[0]
                present = sorted(r[0] for r in con.execute(
                    "select table_name from information_schema.tables "
                    "where table_schema = 'marts'").fetchall())
                actual = {t: con.execute(f'select count(*) from marts."{t}"').fetchall()[0][0]
                          for t in tables if t in present}
            finally:
                con.close()
            seen.update(run_id=run_id, claimed=json.loads(counts), present=present,
                        actual=actual)
        except Exception as exc:  # a missing or unreadable file is what this looks for
            seen["error"] = f"{type(exc).__name__}: {exc}"
        out.write(json.dumps(seen) + "\n")
        out.flush()
"""


# ----------------------------------------------------------------------------- helpers


def _env(dagster_home: Path, stop_at: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JEUGDHULP_")}
    env.update(JEUGDHULP_HMAC_KEY=TEST_HMAC_KEY, DAGSTER_HOME=str(dagster_home))
    if stop_at is not None:
        env[FAULT_STOP_AT_ENV] = stop_at
    return env


def _args(landing: Path, warehouse: Path) -> list[str]:
    return run_args(landing, warehouse, peildatum=PEILDATUM)


@dataclass
class Run:
    """A started `jeugdhulp run`, the leader of its own process group (so dbt dies with it).
    Its stderr goes to a file: a pipe nobody reads could fill up and stall the run."""

    process: subprocess.Popen
    stderr_path: Path
    report: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()


def _start(
    landing: Path, warehouse: Path, dagster_home: Path, name: str, stop_at: str | None = None
) -> Run:
    stderr_path, report = dagster_home / f"{name}.stderr", dagster_home / f"{name}.json"
    with open(stderr_path, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", *_args(landing, warehouse)]
            + ["--report", str(report)],
            cwd=ROOT,
            env=_env(dagster_home, stop_at),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    return Run(process, stderr_path, report)


def _group_members(pgid: int) -> dict[int, str]:
    """pid → command line of every live process in process group `pgid` (from /proc)."""
    members = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) != pgid or fields[0] == "Z":
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        members[int(entry.name)] = cmdline
    return members


def _dbt_pids(pgid: int) -> list[int]:
    return [
        pid
        for pid, cmd in _group_members(pgid).items()
        if "dbt" in cmd and " build" in cmd and "orchestration.cli" not in cmd
    ]


def _dbt_log(dbt_pid: int) -> Path | None:
    """The dbt.log the dbt process `dbt_pid` writes (each run's dbt target folder has one; the
    first event names the process)."""
    for log in (DBT_PROJECT_DIR / "target").glob("jeugdhulp_dbt_assets-*/dbt.log"):
        try:
            with log.open(encoding="utf-8") as f:
                first = f.readline()
        except OSError:
            continue
        if f'"pid": {dbt_pid},' in first:
            return log
    return None


def _dbt_built_a_model(pgid: int) -> bool:
    """A dbt build of the group is running and its log says it has built a model: dbt is in the
    middle of its work (many models follow), not starting or finishing."""
    for pid in _dbt_pids(pgid):
        log = _dbt_log(pid)
        if log is not None and '"name": "LogModelResult"' in log.read_text(encoding="utf-8"):
            return True
    return False


def _stopped_at(warehouse: Path, run: Run) -> bool:
    """The run has stopped itself at STOP_POINT (its marker names its process)."""
    marker = fault_marker_path(warehouse, STOP_POINT)
    if not marker.exists():
        return False
    info = json.loads(marker.read_text(encoding="utf-8"))
    assert info["pid"] == run.pid, f"a marker of another process: {info}"
    return True


def _wait_for(run: Run, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PHASE_TIMEOUT
    while not condition():
        if run.process.poll() is not None:
            pytest.fail(
                f"the run ended (exit {run.process.returncode}) before {what}:\n"
                f"{run.stderr[-3000:]}"
            )
        if time.monotonic() > deadline:
            _kill_group(run)
            pytest.fail(f"no {what} within {PHASE_TIMEOUT} s")
        time.sleep(POLL_SECONDS)


def _kill_group(run: Run) -> None:
    """SIGKILL the whole process group and wait until none of its processes is left."""
    pgid = run.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    run.process.wait(timeout=60)
    deadline = time.monotonic() + 60
    while _group_members(pgid):
        assert time.monotonic() < deadline, f"processes survived the kill: {_group_members(pgid)}"
        time.sleep(0.05)


def _publications(warehouse: Path) -> tuple[str, dict[str, int]]:
    """run id and row count per mart of a published file, counted (not read from meta)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        run_id = con.execute("select run_id from meta.publication").fetchall()[0][0]
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        counts = {
            t: con.execute(f'select count(*) from marts."{t}"').fetchall()[0][0] for t in tables
        }
    finally:
        con.close()
    return run_id, counts


def _temporaries(warehouse: Path) -> list[str]:
    return sorted(p.name for p in warehouse.parent.iterdir() if ".publishing-" in p.name)


# ----------------------------------------------------------------------------- scenario


@dataclass(frozen=True)
class Scenario:
    """What the fault scenario did and saw (JSON-serialisable, memoised per session)."""

    root: Path
    landing: Path
    first: Path  # copy of publication 1
    warehouse: Path  # publication 4
    first_run: dict[str, Any]  # returncode, stderr (tail), report
    last_run: dict[str, Any]
    seen: dict[str, Any]

    @property
    def working_db(self) -> Path:
        return self.warehouse.parent / f".{self.warehouse.stem}.working.duckdb"


def fault_scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """Runs the scenario once per session (memoised in the session's base temp folder)."""
    root = tmp_path_factory.getbasetemp() / "fault-scenario"
    record = root / "scenario.json"
    if not record.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        try:
            data = _run_scenario(root)
        except BaseException as exc:  # every module using the scenario fails the same way
            record.write_text(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
            raise
        record.write_text(json.dumps(data, default=str))
    data = json.loads(record.read_text())
    if "error" in data:
        pytest.fail(f"the fault scenario failed: {data['error']}")
    return Scenario(
        root=root,
        landing=root / "landing",
        first=root / "first.duckdb",
        warehouse=root / "warehouse" / "jeugdhulp.duckdb",
        first_run=data["first_run"],
        last_run=data["last_run"],
        seen=data["seen"],
    )


def _outcome(returncode: int, stderr: str, report: Path) -> dict[str, Any]:
    return {
        "returncode": returncode,
        "stderr": stderr[-4000:],
        "report": json.loads(report.read_text()) if report.exists() else {},
    }


def _run_scenario(root: Path) -> dict[str, Any]:
    from orchestration.generate import generate_landing

    landing = root / "landing"
    generate_landing(
        landing, clients=CLIENTS, start_year=2020, end_year=2025, seed=11, fmt="parquet"
    )
    (landing / GENERATED_MARKER).unlink()
    warehouse = root / "warehouse" / "jeugdhulp.duckdb"
    seen: dict[str, Any] = {}
    out: dict[str, Any] = {"seen": seen, "last_run": {}}

    # 1. the first publication
    run = _start(landing, warehouse, root, "first")
    run.process.wait(timeout=PHASE_TIMEOUT)
    out["first_run"] = _outcome(run.process.returncode, run.stderr, run.report)
    if run.process.returncode != 0:
        return out
    shutil.copy(warehouse, root / "first.duckdb")
    baseline = warehouse.read_bytes()
    seen["baseline"] = _publications(warehouse)

    # 2. killed while dbt builds: frozen first, so what is seen is what the kill meets
    run = _start(landing, warehouse, root, "killed-in-dbt")
    _wait_for(run, lambda: _dbt_built_a_model(run.pid), "a dbt build that has built a model")
    os.killpg(run.pid, signal.SIGSTOP)
    seen["dbt_alive_at_kill"] = bool(_dbt_pids(run.pid))
    _kill_group(run)
    seen["after_dbt_kill_identical"] = warehouse.read_bytes() == baseline

    # 3. killed while publishing: the run stops itself after the temporary file is flushed
    marker = fault_marker_path(warehouse, STOP_POINT)
    run = _start(landing, warehouse, root, "killed-in-publish", stop_at=STOP_POINT)
    temporary = temporary_path(warehouse, run.pid)
    _wait_for(run, lambda: _stopped_at(warehouse, run), f"the run to stop at {STOP_POINT}")
    seen["temporary_before_kill"] = temporary.exists()
    _kill_group(run)
    marker.unlink()
    seen["temporary_left_by_kill"] = temporary.exists()
    seen["after_publish_kill_identical"] = warehouse.read_bytes() == baseline

    # 4. the next run, watched by a reader in another process
    stop, reads = root / "stop-reader", root / "reader.jsonl"
    tables = sorted(seen["baseline"][1])
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse), str(stop), str(reads), json.dumps(tables)]
        + [str(3 * PHASE_TIMEOUT)],
        cwd=ROOT,
    )

    def read_runs() -> list[dict[str, Any]]:
        if not reads.exists():
            return []
        lines = reads.read_text().splitlines()[:-1]  # the last may be half-written
        return [json.loads(line) for line in lines]

    try:
        # the run stops before its rename until the reader has read while it was publishing
        run = _start(landing, warehouse, root, "last", stop_at=STOP_POINT)
        _wait_for(run, lambda: _stopped_at(warehouse, run), f"the run to stop at {STOP_POINT}")
        _wait_for(
            run,
            lambda: any(r.get("publishing") for r in read_runs()),
            "a read while the run was publishing",
        )
        marker.unlink()
        os.kill(run.pid, signal.SIGCONT)
        run.process.wait(timeout=PHASE_TIMEOUT)
        if run.process.returncode == 0:
            new_run_id = _publications(warehouse)[0]
            # a few reads of the new publication
            deadline = time.monotonic() + PHASE_TIMEOUT
            while sum(r.get("run_id") == new_run_id for r in read_runs()) < 3:
                assert reader.poll() is None, "the reader ended before it saw the new publication"
                assert time.monotonic() < deadline, "the reader never saw the new publication"
                time.sleep(POLL_SECONDS)
    finally:
        stop.touch()
        reader.wait(timeout=PHASE_TIMEOUT)
    out["last_run"] = _outcome(run.process.returncode, run.stderr, run.report)
    seen["final"] = _publications(warehouse) if run.process.returncode == 0 else None
    seen["temporaries_after_recovery"] = _temporaries(warehouse)
    seen["reads"] = [json.loads(line) for line in reads.read_text().splitlines()]
    return out


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    shared = fault_scenario(tmp_path_factory)
    assert shared.first_run["returncode"] == 0, shared.first_run["stderr"]
    return shared.seen


@pytest.mark.slow
def test_kill_during_dbt_build_leaves_the_published_warehouse_byte_identical(
    scenario: dict[str, Any],
) -> None:
    assert scenario["dbt_alive_at_kill"], "dbt had already finished: the kill missed its phase"
    assert scenario["after_dbt_kill_identical"]


@pytest.mark.slow
def test_kill_during_publishing_leaves_the_published_warehouse_byte_identical(
    scenario: dict[str, Any],
) -> None:
    # the run stopped itself after flushing the temporary file, before the rename
    assert scenario["temporary_before_kill"], "no temporary publication file at the stop point"
    assert scenario["temporary_left_by_kill"], "the kill missed the publishing phase"
    assert scenario["after_publish_kill_identical"]


@pytest.mark.slow
def test_next_run_after_the_kills_publishes_and_removes_the_stale_temporary_file(
    scenario: dict[str, Any],
) -> None:
    assert scenario["final"] is not None, "the run after the kills failed: see test_idempotency"
    assert scenario["temporaries_after_recovery"] == []
    run_id, counts = scenario["final"]
    assert run_id != scenario["baseline"][0]
    assert counts == scenario["baseline"][1]  # same landing folder, same tables


@pytest.mark.slow
def test_concurrent_reader_never_sees_a_missing_or_partial_publication(
    scenario: dict[str, Any],
) -> None:
    reads = scenario["reads"]
    errors = [r["error"] for r in reads if "error" in r]
    assert errors == []
    publications = {scenario["baseline"][0]: scenario["baseline"][1]}
    if scenario["final"] is not None:
        publications[scenario["final"][0]] = scenario["final"][1]
    tables = sorted(scenario["baseline"][1])
    for r in reads:
        assert r["run_id"] in publications, r["run_id"]
        expected = publications[r["run_id"]]
        assert r["present"] == tables
        assert r["actual"] == expected
        assert r["claimed"] == expected
    seen_runs = [r["run_id"] for r in reads]
    # the reader watched the swap: old publication first, then the new one, never back
    assert seen_runs[0] == scenario["baseline"][0]
    assert seen_runs[-1] == scenario["final"][0]
    switch = seen_runs.index(scenario["final"][0])
    assert set(seen_runs[switch:]) == {scenario["final"][0]}
    assert any(r["publishing"] for r in reads), "no read happened while the run was publishing"


# ----------------------------------------------------------------------------- unit


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_temporary_files_of_dead_processes_are_removed(tmp_path: Path) -> None:
    warehouse = tmp_path / "jeugdhulp.duckdb"
    warehouse.write_bytes(b"published")
    dead = temporary_path(warehouse, _dead_pid())
    dead_wal = dead.with_name(dead.name + ".wal")
    alive = temporary_path(warehouse, os.getppid())  # a live process that is not this one
    other = tmp_path / ".other.duckdb.publishing-1"
    for path in (dead, dead_wal, alive, other):
        path.write_bytes(b"partial")
    removed = remove_stale_temporaries(warehouse)
    assert sorted(removed) == sorted([dead, dead_wal])
    assert alive.exists() and other.exists()
    assert warehouse.read_bytes() == b"published"
