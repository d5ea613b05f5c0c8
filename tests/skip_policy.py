"""Skip policy: in CI a skipped test fails the run, unless it is on the allow-list.

A test that skips because something it needs is missing (Chromium, Java, pyspark, a shared
folder) proves nothing; in CI (environment variable `CI` set to `true`/`1`/`yes`, as `.ci/run`
does) every such skip is an error unless `tests/skip_allowlist.txt` names it, with the reason it
may skip. Tests deselected by a marker (`-m 'not spark'`) never run and are not skips.

Outside CI nothing fails: the run ends with a short summary of what was skipped and why.

The hooks are imported into tests/conftest.py; tests/test_skip_policy.py loads this module as a
plugin (`-p tests.skip_policy`) in a separate pytest run to prove the policy.

Allow-list format (one entry a line, `#` starts a comment):
    <node id pattern (fnmatch)>  ::  <text the skip reason must contain>
Both must match: an allowed test that skips for another reason is still unexpected.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ALLOWLIST = Path(__file__).resolve().parent / "skip_allowlist.txt"
SEPARATOR = "::"  # between node id pattern and reason; node ids contain "::" too, see _parse


@dataclass(frozen=True)
class Skip:
    nodeid: str
    reason: str


@dataclass(frozen=True)
class Allowed:
    pattern: str
    reason: str

    def matches(self, skip: Skip) -> bool:
        return fnmatch.fnmatchcase(skip.nodeid, self.pattern) and self.reason in skip.reason


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def parse_allowlist(text: str) -> list[Allowed]:
    """Entries of an allow-list; the last ` :: ` (spaces around) separates pattern and reason."""
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        pattern, sep, reason = line.rpartition(f" {SEPARATOR} ")
        if not sep or not pattern.strip() or not reason.strip():
            raise ValueError(
                f"skip allow-list line {number}: expected '<node id> {SEPARATOR} <reason>', "
                f"got {raw!r}"
            )
        entries.append(Allowed(pattern.strip(), reason.strip()))
    return entries


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = str(longrepr)
    return reason.removeprefix("Skipped: ")


_SKIPS = pytest.StashKey[list[Skip]]()
_UNEXPECTED = pytest.StashKey[list[Skip]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--skip-allowlist",
        default=str(ALLOWLIST),
        help="file of skips allowed in CI (default tests/skip_allowlist.txt)",
    )


_CONFIG: list[pytest.Config] = []  # the running session's (report hooks get no config)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SKIPS] = []
    config.stash[_UNEXPECTED] = []
    _CONFIG[:] = [config]


def _record(report: pytest.TestReport | pytest.CollectReport) -> None:
    if _CONFIG and report.skipped and not hasattr(report, "wasxfail"):
        _CONFIG[0].stash[_SKIPS].append(Skip(report.nodeid, _reason(report)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _record(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    # a module-level skip (importorskip, allow_module_level) skips its tests at collection
    _record(report)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    skips = config.stash.get(_SKIPS, [])
    if not in_ci() or not skips:
        return
    allowed = parse_allowlist(Path(config.getoption("--skip-allowlist")).read_text("utf-8"))
    unexpected = [s for s in skips if not any(a.matches(s) for a in allowed)]
    config.stash[_UNEXPECTED] = unexpected
    if unexpected and session.exitstatus in (
        pytest.ExitCode.OK,
        pytest.ExitCode.NO_TESTS_COLLECTED,
    ):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    skips = config.stash.get(_SKIPS, [])
    if not skips:
        return
    by_reason: dict[str, list[str]] = {}
    for skip in skips:
        by_reason.setdefault(skip.reason, []).append(skip.nodeid)
    terminalreporter.section("what was skipped, and why")
    for reason, nodeids in sorted(by_reason.items()):
        terminalreporter.line(f"{len(nodeids)} skipped: {reason}")
        for nodeid in nodeids[:3]:
            terminalreporter.line(f"    {nodeid}")
        if len(nodeids) > 3:
            terminalreporter.line(f"    … and {len(nodeids) - 3} more")
    unexpected = config.stash.get(_UNEXPECTED, [])
    if unexpected:
        terminalreporter.section("unexpected skips (CI): the run fails", red=True)
        for skip in unexpected:
            terminalreporter.line(f"{skip.nodeid}: {skip.reason}", red=True)
        terminalreporter.line(
            "Install what these tests need (.ci/run), or, if a skip is legitimate in CI, add it "
            f"with its reason to {config.getoption('--skip-allowlist')}."
        )
    elif in_ci():
        terminalreporter.line(f"every skip is on the allow-list ({len(skips)})")
