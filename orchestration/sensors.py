"""Start the pipeline when a delivery lands in the landing folder.

`landing_sensor` looks at every file under `allocations/` and `declarations/` of the landing
folder (JEUGDHULP_LANDING_DIR; hidden files and folders skipped, as the readers do, DEFINITIONS
§2). The delivery's fingerprint is a SHA-256 hash of the sorted (path, size, modification time)
list. It requests one run of `jeugdhulp_pipeline` per fingerprint:

- the fingerprint is the run key (Dagster never starts two runs for one run key) and becomes
  the cursor, so an unchanged folder does not start another run;
- debounce: it only fires once the newest file is at least N seconds old (default 120,
  JEUGDHULP_SENSOR_DEBOUNCE_SECONDS), so a delivery that is still being copied is not half-read.
  Until then it skips, saying which file is still settling; the cursor is not moved.

Every other evaluation returns a `SkipReason` that says why. Files that disappear change the
fingerprint too: the pipeline is a full rebuild, so the next run reflects the removal. On first
start the files already present count as new (the cursor is empty): one run follows.

The sensor is **off by default** (`DefaultSensorStatus.STOPPED`): the nightly schedule already
republishes every night, and a region whose deliveries arrive during the day switches the sensor
on in the Dagster UI (Automation → landing_sensor) or with
`dagster sensor start landing_sensor -w workspace.yaml`.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from orchestration.config import ConfigError, load_settings
from orchestration.schedules import pipeline_job

ENV_DEBOUNCE = "JEUGDHULP_SENSOR_DEBOUNCE_SECONDS"
DEFAULT_DEBOUNCE_SECONDS = 120
ENTITY_FOLDERS = ("allocations", "declarations")
MINIMUM_INTERVAL_SECONDS = 60


@dataclass(frozen=True)
class LandedFile:
    rel: str  # path relative to the landing folder, with '/'
    size: int
    mtime_ns: int


def debounce_seconds(env: dict[str, str] | None = None) -> int:
    """JEUGDHULP_SENSOR_DEBOUNCE_SECONDS, default 120; a negative or non-integer value is an error."""
    env = dict(os.environ if env is None else env)
    raw = env.get(ENV_DEBOUNCE, "").strip()
    if not raw:
        return DEFAULT_DEBOUNCE_SECONDS
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{ENV_DEBOUNCE}={raw!r} is not a whole number of seconds") from exc
    if value < 0:
        raise ConfigError(f"{ENV_DEBOUNCE} must be 0 or more seconds, not {value}")
    return value


def scan_landing(landing_dir: Path) -> list[LandedFile]:
    """Every non-hidden file under the entity folders, sorted by relative path."""
    found: list[LandedFile] = []
    for entity in ENTITY_FOLDERS:
        folder = landing_dir / entity
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            rel = path.relative_to(landing_dir)
            if any(part.startswith(".") for part in rel.parts):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:  # removed while scanning: the next tick sees the result
                continue
            if path.is_file():
                found.append(LandedFile(rel.as_posix(), stat.st_size, stat.st_mtime_ns))
    return sorted(found, key=lambda f: f.rel)


def fingerprint(files: list[LandedFile]) -> str:
    """SHA-256 of the sorted (path, size, mtime) list: one value per delivery state."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.rel):
        digest.update(f"{f.rel}\0{f.size}\0{f.mtime_ns}\n".encode())
    return digest.hexdigest()


def evaluate_landing(
    landing_dir: Path, cursor: str | None, debounce: int, now: float
) -> SensorResult | SkipReason:
    """The sensor's decision for a landing folder, cursor and clock (pure apart from the scan)."""
    if not landing_dir.is_dir():
        return SkipReason(
            f"Landing folder {landing_dir} does not exist; set JEUGDHULP_LANDING_DIR to the folder "
            "holding allocations/ and declarations/."
        )
    files = scan_landing(landing_dir)
    if not files:
        return SkipReason(f"No files in {landing_dir}/allocations or /declarations yet.")
    key = fingerprint(files)
    if key == cursor:
        return SkipReason(
            f"No new or changed files in {landing_dir} since the last run request "
            f"({len(files)} files, delivery {key[:12]})."
        )
    newest = max(files, key=lambda f: f.mtime_ns)
    age = now - newest.mtime_ns / 1e9
    if age < debounce:
        return SkipReason(
            f"Delivery still settling: {newest.rel} changed {max(age, 0):.0f} s ago; waiting until "
            f"the newest file is {debounce} s old ({ENV_DEBOUNCE})."
        )
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=key,
                tags={
                    "jeugdhulp/trigger": "landing_sensor",
                    "jeugdhulp/delivery": key[:12],
                    "jeugdhulp/files": str(len(files)),
                },
            )
        ],
        cursor=key,
    )


@sensor(
    name="landing_sensor",
    job=pipeline_job,
    minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.STOPPED,
    description=(
        "Runs jeugdhulp_pipeline once per new or changed delivery in the landing folder "
        "(allocations/, declarations/), after the newest file is "
        f"{ENV_DEBOUNCE} (default {DEFAULT_DEBOUNCE_SECONDS}) seconds old. Off by default: "
        "the nightly schedule already runs; switch it on for deliveries during the day."
    ),
)
def landing_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    settings = load_settings()
    return evaluate_landing(settings.landing_dir, context.cursor, debounce_seconds(), time.time())
