"""One `jeugdhulp run` at a time per working database.

Two runs on the same working database cannot both work: DuckDB lets one process write the file,
so the second run failed in whichever step first met the other's lock ("Could not set lock on
file … Conflicting lock is held"), and with other timing that step could be the first run's.
`jeugdhulp run` therefore holds an exclusive lock on `<working database>.run.lock` for the whole
run: a second run waits for it (and says which run it waits for), or with `--no-wait` stops at
once. The lock is the operating system's (`flock`): it goes with the process, so a run
that is killed leaves nothing to clean up.

Runs that the Dagster daemon or UI launch (the nightly schedule, the sensor, "Materialize") do not
take this lock: a `jeugdhulp run` started beside one of them still meets DuckDB's lock (README,
"For data engineers").
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


class RunInProgress(RuntimeError):
    """Another run holds the working database; the message says which."""


def lock_path(working_db: Path) -> Path:
    working_db = Path(working_db)
    return working_db.with_name(f"{working_db.name}.run.lock")


def _holder(lock: IO[str]) -> str:
    """Who holds the lock, as the holder wrote it (pid, start, landing folder)."""
    lock.seek(0)
    try:
        info = json.loads(lock.read() or "{}")
    except ValueError:
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "another run"
    about = f", {info['about']}" if info.get("about") else ""
    return f"the run of process {info['pid']} (started {info.get('started', '?')}{about})"


@contextmanager
def exclusive_run(
    working_db: Path,
    *,
    wait: bool = True,
    say: Callable[[str], None] = lambda _: None,
    about: str = "",
) -> Iterator[None]:
    """Hold the working database's run lock for the `with` block.

    When another process holds it: with `wait`, say so and block until it is free; without,
    raise `RunInProgress`. `about` (e.g. the landing folder) is recorded for the next waiter,
    whose message names it."""
    path = lock_path(working_db)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a+ : never truncates on open, so a waiter can read the holder's note
    with open(path, "a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(lock)
            if not wait:
                raise RunInProgress(f"{holder} is working on {working_db}") from None
            say(f"{holder} is working on {working_db}; waiting for it to finish …")
            fcntl.flock(lock, fcntl.LOCK_EX)
            say("the other run finished; starting")
        try:
            lock.seek(0)
            lock.truncate()
            started = dt.datetime.now().astimezone().replace(microsecond=0).isoformat()
            lock.write(json.dumps({"pid": os.getpid(), "started": started, "about": about}))
            lock.flush()
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
