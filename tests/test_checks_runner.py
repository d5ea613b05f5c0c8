"""The suite runner: suites load from plain JSON, batches combine, failures carry samples."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from orchestration.checks.gx_runner import SUITES_DIR, load_suite_json, plain_dtypes, run_suite
from orchestration.checks.suites import MART_SUITES


def count_frame(n_allocations: list[int], naming: list[int]) -> pd.DataFrame:
    """A frame for `trajectories_allocation_count` with ids T0, T1, …"""
    return pd.DataFrame(
        {
            "trajectory_id": [f"T{i}" for i in range(len(naming))],
            "n_allocations": pd.array(n_allocations, dtype="Int32"),
            "allocations_naming_trajectory": naming,
        }
    )


def allocation_frame(keys: list[str]) -> pd.DataFrame:
    """A passing frame for `allocations_in_one_trajectory`, one jeugdhulp allocation per key."""
    return pd.DataFrame(
        {
            "allocation_key": keys,
            "counts_as_jeugdhulp": pd.array([True] * len(keys), dtype="boolean"),
            "jeugdhulp_trajectory_id": ["T1"] * len(keys),
            "non_jeugdhulp_trajectory_id": pd.Series([None] * len(keys), dtype="str"),
            "n_containing_trajectories": pd.array([1] * len(keys), dtype="Int64"),
            "containing_trajectory_ids": ["T1"] * len(keys),
        }
    )


def test_every_suite_file_is_plain_json_without_generated_ids() -> None:
    files = sorted(SUITES_DIR.glob("*.json"))
    assert {p.stem for p in files} == {s.suite for s in MART_SUITES}
    for path in files:
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["name"] == path.stem
        assert "id" not in document
        assert document["meta"]["spec"].startswith("DEFINITIONS §")
        assert document["expectations"]
        for expectation in document["expectations"]:
            assert "id" not in expectation
            assert expectation["meta"]["rule"].startswith("DEFINITIONS §")


def test_unknown_suite_is_an_error() -> None:
    with pytest.raises(FileNotFoundError, match="no_such_suite"):
        load_suite_json("no_such_suite")


def test_passing_frame_reports_success_and_rows() -> None:
    result = run_suite("trajectories_allocation_count", count_frame([1, 2, 3], [1, 2, 3]))
    assert result.success
    assert result.failures == ()
    assert (result.evaluated_expectations, result.rows_validated, result.batches) == (1, 3, 1)


def test_failure_names_expectation_columns_count_and_sample_rows() -> None:
    result = run_suite("trajectories_allocation_count", count_frame([1, 2, 3], [1, 1, 3]))
    assert not result.success
    (failure,) = result.failures
    assert failure.label == (
        "expect_column_pair_values_to_be_equal(n_allocations, allocations_naming_trajectory)"
    )
    assert failure.columns == ("n_allocations", "allocations_naming_trajectory")
    assert failure.unexpected_count == 1
    assert failure.sample == (
        {"trajectory_id": "T1", "n_allocations": 2, "allocations_naming_trajectory": 1},
    )
    assert failure.rule.startswith("DEFINITIONS §4")
    assert "trajectories_allocation_count: FAILED" in result.summary()


def test_batches_add_up_unexpected_counts_and_keep_five_samples() -> None:
    # 25 rows in batches of 10 (3 batches); every odd row is off: 12 unexpected.
    naming = [i + (i % 2) for i in range(25)]
    result = run_suite(
        "trajectories_allocation_count", count_frame(list(range(25)), naming), batch_rows=10
    )
    (failure,) = result.failures
    assert result.batches == 3
    assert failure.unexpected_count == 12
    assert failure.element_count == 25
    assert [row["trajectory_id"] for row in failure.sample] == ["T1", "T3", "T5", "T7", "T9"]


def test_samples_are_the_unexpected_rows_of_a_later_batch() -> None:
    # Batches of 4: the first two are clean; T9 and T11 are off, in the third batch.
    naming = list(range(12))
    naming[9], naming[11] = 0, 5
    result = run_suite(
        "trajectories_allocation_count", count_frame(list(range(12)), naming), batch_rows=4
    )
    (failure,) = result.failures
    assert failure.unexpected_count == 2
    assert failure.sample == (
        {"trajectory_id": "T9", "n_allocations": 9, "allocations_naming_trajectory": 0},
        {"trajectory_id": "T11", "n_allocations": 11, "allocations_naming_trajectory": 5},
    )


def test_samples_follow_the_rows_whatever_the_frame_index() -> None:
    # A frame whose index repeats one label (as after a concat): samples still name their rows.
    frame = count_frame([1, 2, 3, 4], [1, 7, 3, 8])
    frame.index = [0, 0, 1, 1]
    (failure,) = run_suite("trajectories_allocation_count", frame, batch_rows=2).failures
    assert [row["trajectory_id"] for row in failure.sample] == ["T1", "T3"]
    assert [row["allocations_naming_trajectory"] for row in failure.sample] == [7, 8]


def test_uniqueness_is_checked_across_batches() -> None:
    # The duplicate key sits in the first and the last batch.
    frame = allocation_frame(["k1", "k2", "k3", "k4", "k1"])
    result = run_suite("allocations_in_one_trajectory", frame, batch_rows=2)
    assert result.failed_expectations == ["expect_column_values_to_be_unique(allocation_key)"]
    assert result.failures[0].unexpected_count == 2


def test_missing_column_fails_with_the_error_named() -> None:
    frame = count_frame([1], [1]).drop(columns="allocations_naming_trajectory")
    result = run_suite("trajectories_allocation_count", frame)
    assert not result.success
    assert "allocations_naming_trajectory" in (result.failures[0].exception or "")


def test_nullable_dtypes_become_comparable_plain_ones() -> None:
    frame = pd.DataFrame(
        {
            "n": pd.array([1, None], dtype="Int32"),
            "flag": pd.array([True, None], dtype="boolean"),
        }
    )
    plain = plain_dtypes(frame)
    assert str(plain["n"].dtype) == "float64"
    assert plain["flag"].tolist() == [True, None]
