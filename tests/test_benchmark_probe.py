"""The host probe times its fixed work and says what it did."""

from __future__ import annotations

from benchmarks import probe


def test_probe_times_both_kinds_of_work_and_names_them() -> None:
    measured = probe.measure(python_steps=10_000, duckdb_rows=10_000, threads=1)
    assert measured.python_s >= 0
    assert measured.duckdb_s >= 0
    text = measured.text()
    assert f"python {measured.python_s:.2f} s" in text
    assert f"duckdb {measured.duckdb_s:.2f} s" in text
    assert "20 M loop steps" in text  # the text names the standard work, not the test's


def test_python_loop_does_the_work() -> None:
    assert probe._python_loop(5) == 0 + 1 + 2 + 3 + 4
