"""The skip policy of tests/skip_policy.py, proved on tiny test files in a separate pytest run:
in CI an unexpected skip fails the run and an allow-listed one does not; a test deselected by a
marker is no skip; outside CI skips only get a summary."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.skip_policy import ALLOWLIST, Allowed, Skip, parse_allowlist

ROOT = Path(__file__).resolve().parent.parent

TESTS = """
import pytest

def test_runs():
    pass

@pytest.mark.skipif(True, reason="needs the moon")
def test_needs_the_moon():
    pass

def test_skips_in_its_body():
    pytest.skip("no shared folder here")

@pytest.mark.spark
@pytest.mark.skipif(True, reason="no Java")
def test_deselected_by_marker():
    pass
"""


def _pytest(
    tmp_path: Path, allowlist: str, *args: str, ci: bool = True, tests: str = TESTS
) -> subprocess.CompletedProcess:
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    spark: deselected in the main run\n", encoding="utf-8"
    )
    (tmp_path / "test_sample.py").write_text(tests, encoding="utf-8")
    (tmp_path / "allow.txt").write_text(allowlist, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(ROOT)
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.skip_policy", "-p", "no:cacheprovider"]
        + ["--skip-allowlist", str(tmp_path / "allow.txt"), "-c", str(tmp_path / "pytest.ini")]
        + ["--rootdir", str(tmp_path), *args, str(tmp_path / "test_sample.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


BOTH_ALLOWED = """
# comment lines and blank lines are ignored
test_sample.py::test_needs_the_moon :: needs the moon   # why: a test of the policy
test_sample.py::test_skips_* :: no shared folder
"""


def test_in_ci_an_unexpected_skip_fails_the_run_and_is_named(tmp_path: Path) -> None:
    allow_one = "test_sample.py::test_needs_the_moon :: needs the moon\n"
    result = _pytest(tmp_path, allow_one, "-m", "not spark")
    assert result.returncode == 1, result.stdout + result.stderr
    unexpected = result.stdout.split("unexpected skips (CI)", 1)[1]
    assert "test_sample.py::test_skips_in_its_body: no shared folder here" in unexpected
    assert "test_needs_the_moon" not in unexpected
    assert "2 passed" not in result.stdout and "1 passed" in result.stdout


def test_in_ci_allow_listed_skips_pass_and_deselected_tests_are_no_skips(tmp_path: Path) -> None:
    result = _pytest(tmp_path, BOTH_ALLOWED, "-m", "not spark")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every skip is on the allow-list (2)" in result.stdout
    assert "1 deselected" in result.stdout
    assert "test_deselected_by_marker" not in result.stdout


def test_in_ci_a_test_selected_by_its_marker_that_skips_fails(tmp_path: Path) -> None:
    """`pytest -m spark` (make test-spark) without Java: the skip is not allowed."""
    result = _pytest(tmp_path, BOTH_ALLOWED, "-m", "spark")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "test_sample.py::test_deselected_by_marker: no Java" in result.stdout


def test_an_allowed_test_skipping_for_another_reason_is_unexpected(tmp_path: Path) -> None:
    allowlist = BOTH_ALLOWED.replace("needs the moon", "needs the sun")
    result = _pytest(tmp_path, allowlist, "-m", "not spark")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "test_needs_the_moon: needs the moon" in result.stdout.split("unexpected skips")[1]


def test_in_ci_a_module_skipped_at_collection_fails(tmp_path: Path) -> None:
    tests = 'import pytest\npytest.importorskip("a_module_that_is_not_installed")\n'
    result = _pytest(tmp_path, BOTH_ALLOWED, tests=tests)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "a_module_that_is_not_installed" in result.stdout.split("unexpected skips")[1]


def test_outside_ci_skips_pass_with_a_summary_of_what_and_why(tmp_path: Path) -> None:
    result = _pytest(tmp_path, "", "-m", "not spark", ci=False)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.split("what was skipped, and why", 1)[1]
    assert "1 skipped: needs the moon" in summary
    assert "1 skipped: no shared folder here" in summary
    assert "unexpected" not in result.stdout


def test_allowlist_entries_match_by_node_id_and_reason() -> None:
    [entry] = parse_allowlist("tests/test_x.py::test_a* :: not present  # why\n")
    assert entry == Allowed("tests/test_x.py::test_a*", "not present")
    assert entry.matches(Skip("tests/test_x.py::test_ab[JW301]", "x not present at /y"))
    assert not entry.matches(Skip("tests/test_x.py::test_b", "x not present at /y"))
    assert not entry.matches(Skip("tests/test_x.py::test_a", "no Java"))
    with pytest.raises(ValueError, match="line 1"):
        parse_allowlist("tests/test_x.py::test_a without a reason\n")


def test_the_project_allowlist_is_short_and_names_tests_that_exist() -> None:
    entries = parse_allowlist(ALLOWLIST.read_text(encoding="utf-8"))
    assert 0 < len(entries) <= 5
    for entry in entries:
        path, _, name = entry.pattern.partition("::")
        source = (ROOT / path).read_text(encoding="utf-8")
        function = re.match(r"[A-Za-z0-9_]+", name)
        assert function, entry
        assert re.search(rf"def {function.group(0)}", source), entry
        assert entry.reason in source, f"{entry.reason!r} is not a skip reason of {path}"
