"""One `jeugdhulp run` at a time per working database (orchestration/run_lock.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest import mock

import pytest

from orchestration.run_lock import RunInProgress, exclusive_run, lock_path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 300  # seconds: generous, the host may be loaded; every wait ends at its event

# Another process holds the lock until its stdin closes; it prints once it holds it.
HOLDER = """
import sys
from pathlib import Path
from orchestration.run_lock import exclusive_run
with exclusive_run(Path(sys.argv[1]), about="the other landing"):
    print("holding", flush=True)
    sys.stdin.read()
"""


def _hold_in_other_process(working_db: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(working_db)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_a_second_run_without_wait_is_refused_and_names_the_holder(tmp_path: Path) -> None:
    working_db = tmp_path / "wh" / ".jeugdhulp.working.duckdb"
    proc = _hold_in_other_process(working_db)
    try:
        with pytest.raises(RunInProgress) as refused, exclusive_run(working_db, wait=False):
            pytest.fail("entered while another process holds the lock")
        assert f"process {proc.pid}" in str(refused.value)
        assert "the other landing" in str(refused.value)
        assert str(working_db) in str(refused.value)
    finally:
        proc.communicate("")
    # once the holder is gone, the same call gets in
    with exclusive_run(working_db, wait=False):
        pass


def test_a_waiting_run_starts_only_after_the_holder_ends(tmp_path: Path) -> None:
    working_db = tmp_path / ".jeugdhulp.working.duckdb"
    proc = _hold_in_other_process(working_db)
    said: list[str] = []
    entered = threading.Event()

    def second_run() -> None:
        with exclusive_run(working_db, say=said.append):
            entered.set()

    waiter = threading.Thread(target=second_run, daemon=True)
    waiter.start()
    try:
        # the second run says it waits once it has met the lock: wait for that, not a while
        deadline = time.monotonic() + TIMEOUT
        while not said and waiter.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert said, f"the second run said nothing within {TIMEOUT} s"
        assert f"process {proc.pid}" in said[0] and "waiting" in said[0]
        assert not entered.is_set(), "the second run started while the first held the lock"
    finally:
        proc.communicate("")
    assert entered.wait(TIMEOUT), "the second run did not start after the holder ended"
    waiter.join(TIMEOUT)


def test_a_killed_holder_leaves_nothing_to_clean_up(tmp_path: Path) -> None:
    working_db = tmp_path / ".jeugdhulp.working.duckdb"
    proc = _hold_in_other_process(working_db)
    proc.kill()
    proc.wait()
    assert lock_path(working_db).exists()
    with exclusive_run(working_db, wait=False):
        pass


def test_the_cli_refuses_a_second_run_with_no_wait(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`jeugdhulp run --no-wait` beside a running run exits 1 before touching anything."""
    from orchestration.cli import EXIT_BLOCKED, main
    from orchestration.config import load_settings

    landing = tmp_path / "landing"
    (landing / "allocations").mkdir(parents=True)
    (landing / "declarations").mkdir()
    warehouse = tmp_path / "wh" / "jeugdhulp.duckdb"
    working_db = (
        load_settings().with_overrides(landing_dir=landing, warehouse=warehouse).working_db_path
    )
    proc = _hold_in_other_process(working_db)
    # the CLI publishes its settings to the environment: keep them out of later tests
    with mock.patch.dict(os.environ, {"JEUGDHULP_HMAC_KEY": "k" * 24}):
        try:
            args = ["run", "--landing", str(landing), "--warehouse", str(warehouse), "--no-wait"]
            code = main(args)
        finally:
            proc.communicate("")
    assert code == EXIT_BLOCKED
    err = capsys.readouterr().err
    assert "NOT started" in err and f"process {proc.pid}" in err
    assert "the other landing" in err
    assert not working_db.exists() and not warehouse.exists()
