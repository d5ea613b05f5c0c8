"""The landing sensor: one run per settled delivery, a clear skip reason otherwise."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from dagster import DefaultSensorStatus, SensorResult, SkipReason, build_sensor_context

from orchestration.config import ConfigError
from orchestration.schedules import PIPELINE_JOB_NAME
from orchestration.sensors import (
    ENV_DEBOUNCE,
    debounce_seconds,
    evaluate_landing,
    fingerprint,
    landing_sensor,
    scan_landing,
)

SETTLED = 600  # seconds ago: older than the default debounce of 120 s


def _land(landing: Path, rel: str, text: str = "a,b\n1,2\n", age: float = SETTLED) -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def landing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "landing"
    (folder / "allocations").mkdir(parents=True)
    (folder / "declarations").mkdir()
    monkeypatch.setenv("JEUGDHULP_LANDING_DIR", str(folder))
    monkeypatch.delenv(ENV_DEBOUNCE, raising=False)
    return folder


def _evaluate(cursor: str | None = None) -> SensorResult | SkipReason:
    return landing_sensor(build_sensor_context(cursor=cursor))


def test_settled_new_delivery_requests_one_run_keyed_by_its_fingerprint(landing: Path) -> None:
    _land(landing, "allocations/a.csv")
    _land(landing, "declarations/d.csv")

    result = _evaluate()

    assert isinstance(result, SensorResult)
    (request,) = result.run_requests
    expected = fingerprint(scan_landing(landing))
    assert request.run_key == expected
    assert result.cursor == expected
    assert request.tags["jeugdhulp/files"] == "2"


def test_unchanged_folder_after_a_run_request_is_skipped(landing: Path) -> None:
    _land(landing, "allocations/a.csv")
    first = _evaluate()
    assert isinstance(first, SensorResult)

    second = _evaluate(cursor=first.cursor)

    assert isinstance(second, SkipReason)
    assert "No new or changed files" in second.skip_message


def test_delivery_still_being_copied_is_not_read(landing: Path) -> None:
    _land(landing, "allocations/a.csv")
    _land(landing, "declarations/d.csv", age=5)  # still arriving

    result = _evaluate()

    assert isinstance(result, SkipReason)
    assert "still settling" in result.skip_message
    assert "declarations/d.csv" in result.skip_message


def test_debounce_seconds_come_from_the_environment(
    landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _land(landing, "allocations/a.csv", age=40)
    monkeypatch.setenv(ENV_DEBOUNCE, "30")
    assert isinstance(_evaluate(), SensorResult)
    monkeypatch.setenv(ENV_DEBOUNCE, "60")
    assert isinstance(_evaluate(), SkipReason)


def test_changed_file_with_same_name_is_a_new_delivery(landing: Path) -> None:
    _land(landing, "allocations/a.csv")
    first = _evaluate()
    assert isinstance(first, SensorResult)

    _land(landing, "allocations/a.csv", text="a,b\n1,2\n3,4\n")
    second = _evaluate(cursor=first.cursor)

    assert isinstance(second, SensorResult)
    assert second.run_requests[0].run_key != first.run_requests[0].run_key


def test_removed_file_changes_the_delivery(landing: Path) -> None:
    _land(landing, "allocations/a.csv")
    gone = _land(landing, "allocations/b.csv")
    first = _evaluate()
    gone.unlink()

    second = _evaluate(cursor=first.cursor)

    assert isinstance(second, SensorResult)


def test_hidden_files_and_other_folders_are_ignored(landing: Path) -> None:
    _land(landing, "allocations/a.csv")
    first = _evaluate()
    _land(landing, "allocations/.a.csv.partial", age=1)
    _land(landing, "allocations/.tmp/b.csv", age=1)
    _land(landing, "archive/old.csv", age=1)

    second = _evaluate(cursor=first.cursor)

    assert isinstance(second, SkipReason)
    assert "No new or changed files" in second.skip_message


def test_empty_landing_folder_is_skipped_with_a_reason(landing: Path) -> None:
    result = _evaluate()
    assert isinstance(result, SkipReason)
    assert "No files" in result.skip_message


def test_missing_landing_folder_is_skipped_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JEUGDHULP_LANDING_DIR", str(tmp_path / "nowhere"))
    result = _evaluate()
    assert isinstance(result, SkipReason)
    assert "does not exist" in result.skip_message


def test_fingerprint_depends_on_path_size_and_mtime_not_on_order(landing: Path) -> None:
    _land(landing, "allocations/a.csv")
    _land(landing, "declarations/d.csv")
    files = scan_landing(landing)
    assert fingerprint(files) == fingerprint(list(reversed(files)))
    assert [f.rel for f in files] == ["allocations/a.csv", "declarations/d.csv"]


def test_decision_at_the_debounce_boundary(landing: Path) -> None:
    path = _land(landing, "allocations/a.csv")
    mtime = path.stat().st_mtime_ns / 1e9
    assert isinstance(evaluate_landing(landing, None, 120, now=mtime + 119.5), SkipReason)
    assert isinstance(evaluate_landing(landing, None, 120, now=mtime + 120), SensorResult)


@pytest.mark.parametrize("raw", ["soon", "-1", "1.5"])
def test_invalid_debounce_setting_is_a_config_error(raw: str) -> None:
    with pytest.raises(ConfigError, match=ENV_DEBOUNCE):
        debounce_seconds({ENV_DEBOUNCE: raw})


def test_default_debounce_is_120_seconds() -> None:
    assert debounce_seconds({}) == 120


def test_sensor_targets_the_pipeline_job_and_is_off_by_default() -> None:
    assert landing_sensor.name == "landing_sensor"
    assert landing_sensor.job_name == PIPELINE_JOB_NAME
    assert landing_sensor.default_status == DefaultSensorStatus.STOPPED


def test_sensor_resolves_against_the_code_location_job(dbt_manifest: Path) -> None:
    from dagster import Definitions

    from orchestration.definitions import defs

    wired = any(s.name == "landing_sensor" for s in defs.sensors or [])
    extra = Definitions(sensors=[] if wired else [landing_sensor])
    repo = Definitions.merge(defs, extra).get_repository_def()
    assert repo.get_sensor_def("landing_sensor").job_name == PIPELINE_JOB_NAME
    assert repo.has_job(PIPELINE_JOB_NAME)
