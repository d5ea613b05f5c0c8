"""Memory of a process tree, sampled from /proc, and a subprocess runner with guards.

The resident set size (RSS) of a run is the sum over the process and all its descendants
(the dbt subprocess included), read from `/proc/<pid>/statm` every `interval` seconds.
Shared pages are counted once per process, so the sum is an upper bound of what the tree
really holds. Optionally the disk usage of folders (DuckDB spill directories) is sampled too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
GIB = 1024**3
MIB = 1024**2


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields start after the last ')'
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_pids(root: int) -> list[int]:
    """`root` and all its descendants that are alive now."""
    children = _children_map()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(root: int) -> int:
    return sum(rss_bytes(pid) for pid in tree_pids(root))


def disk_usage(folder: Path) -> int:
    """Bytes allocated on disk by the files under `folder` (0 when it does not exist)."""
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                continue
    return total


@dataclass
class Sample:
    at: float  # time.time()
    rss: int  # bytes, whole tree
    disk: dict[str, int] = field(default_factory=dict)  # folder -> bytes


class TreeSampler(threading.Thread):
    """Samples the RSS of a process tree (and folder sizes) until stopped."""

    def __init__(self, root: int, *, interval: float = 0.2, folders: Sequence[Path] = ()) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.folders = [Path(f) for f in folders]
        self.samples: list[Sample] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            disk = {str(f): disk_usage(f) for f in self.folders}
            self.samples.append(Sample(time.time(), tree_rss(self.root), disk))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def peak_rss(self, start: float | None = None, end: float | None = None) -> int:
        """Highest sampled tree RSS between `start` and `end` (time.time(); open = all)."""
        values = [
            s.rss
            for s in self.samples
            if (start is None or s.at >= start) and (end is None or s.at <= end)
        ]
        return max(values, default=0)

    def peak_disk(self) -> dict[str, int]:
        peaks: dict[str, int] = {str(f): 0 for f in self.folders}
        for s in self.samples:
            for folder, used in s.disk.items():
                peaks[folder] = max(peaks[folder], used)
        return peaks


@dataclass
class GuardedRun:
    """Outcome of `run_guarded`."""

    returncode: int | None
    seconds: float
    peak_rss: int
    started: float  # time.time()
    finished: float
    stopped_by: str | None = None  # "timeout" or "memory" when the guard ended it
    sampler: TreeSampler | None = None

    @property
    def finished_ok(self) -> bool:
        return self.stopped_by is None and self.returncode == 0


def run_guarded(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
    timeout: float | None = None,
    memory_limit: int | None = None,
    interval: float = 0.2,
    folders: Sequence[Path] = (),
) -> GuardedRun:
    """Run `args`, sampling its process tree; kill the tree when it runs longer than
    `timeout` seconds or its RSS exceeds `memory_limit` bytes. Output goes to `log`."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    started = time.time()
    try:
        proc = subprocess.Popen(
            list(args),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        sampler = TreeSampler(proc.pid, interval=interval, folders=folders)
        sampler.start()
        stopped_by = None
        while proc.poll() is None:
            if timeout is not None and time.time() - started > timeout:
                stopped_by = "timeout"
            elif (
                memory_limit is not None
                and sampler.samples
                and (sampler.samples[-1].rss > memory_limit)
            ):
                stopped_by = "memory"
            if stopped_by:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                break
            time.sleep(interval)
        finished = time.time()
        sampler.stop()
    finally:
        if log:
            out.close()  # type: ignore[union-attr]
    return GuardedRun(
        returncode=proc.returncode,
        seconds=finished - started,
        peak_rss=sampler.peak_rss(),
        started=started,
        finished=finished,
        stopped_by=stopped_by,
        sampler=sampler,
    )
