"""The nightly benchmark reports from the night's log whether it started from the published
fact and how many months it recomputed (benchmarks/nightly.py increment_lines)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from benchmarks.nightly import increment_lines

LOG = """\
2026-11-24 01:30:00 +0000 - dagster - INFO - jeugdhulp_pipeline - 1 - jeugdhulp_dbt_assets - the next publication starts from the published fct_declarations_monthly
fct_declarations_monthly: 1 of 72 months changed since the published mart; recomputing those, keeping the rest
row count of model.jeugdhulp.fct_declarations_monthly: 1850607
"""


def test_the_night_says_what_it_started_from_and_what_it_recomputed(tmp_path: Path) -> None:
    log = tmp_path / "nightly.log"
    log.write_text(LOG)
    assert increment_lines(SimpleNamespace(log=log)) == [  # type: ignore[arg-type]
        "the next publication starts from the published fct_declarations_monthly",
        "fct_declarations_monthly: 1 of 72 months changed since the published mart; "
        "recomputing those, keeping the rest",
    ]


def test_a_run_without_log_says_nothing() -> None:
    assert increment_lines(SimpleNamespace(log=None)) == []  # type: ignore[arg-type]
