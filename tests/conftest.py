"""Shared fixtures: quiet telemetry, a built dbt manifest, and helpers to run the CLI."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The skip policy (a skip fails a CI run unless allow-listed; a summary of skips at the end).
from tests.skip_policy import (  # noqa: F401  (hooks, found by name)
    pytest_addoption,
    pytest_collectreport,
    pytest_configure,
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_terminal_summary,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = FIXTURES / "cases" / "trajectories"
SHARED_CASES = ROOT.parent / "shared" / "spec" / "cases" / "trajectories"
TEST_HMAC_KEY = "test-hmac-key-for-the-test-suite"

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


def client_key(bsn: str, key: str = TEST_HMAC_KEY) -> str:
    """Independent reference implementation of §7's keyed hash, for mapping BSN → client_key."""
    return hmac.new(key.encode(), bsn.encode(), hashlib.sha256).hexdigest()


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    from orchestration.dbt_project_prepare import ensure_manifest

    return ensure_manifest()


def make_landing(root: Path, allocations: list[Path] = (), declarations: list[Path] = ()) -> Path:
    """A landing folder with the given files copied into allocations/ and declarations/."""
    landing = root / "landing"
    for sub, files in (("allocations", allocations), ("declarations", declarations)):
        (landing / sub).mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.copy(f, landing / sub / Path(f).name)
    return landing


def run_args(
    landing: Path, warehouse: Path, *, peildatum: str | None = None, report: Path | None = None
) -> list[str]:
    """The arguments of `jeugdhulp run` on a landing folder and warehouse."""
    args = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    if peildatum is not None:
        args += ["--peildatum", peildatum]
    if report is not None:
        args += ["--report", str(report)]
    return args


def run_cli(
    args: list[str], env_extra: dict[str, str] | None = None, timeout: int = 600
) -> subprocess.CompletedProcess:
    """Run `jeugdhulp …` in a fresh process, the way users and the acceptance checks do."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JEUGDHULP_")}
    env["JEUGDHULP_HMAC_KEY"] = TEST_HMAC_KEY
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def dbt_log(run_id: str) -> list[dict]:
    """The JSON events of a pipeline run's dbt.log (its dbt target folder, named by run id)."""
    from orchestration.config import DBT_PROJECT_DIR

    [log] = (DBT_PROJECT_DIR / "target").glob(f"jeugdhulp_dbt_assets-{run_id[:7]}-*/dbt.log")
    return [json.loads(line) for line in log.read_text().splitlines()]


ALLOCATION_CSV_HEADER = (
    "toewijzingnummer,gemeentecode,aanbieder_agb,bsn,productcategorie,productcode,"
    "ingangsdatum,einddatum,dagtekening\n"
)
DECLARATION_CSV_HEADER = (
    "declaratienummer,vorig_declaratienummer,debet_credit,toewijzingnummer,gemeentecode,"
    "aanbieder_agb,bsn,productcategorie,productcode,begindatum,einddatum,geleverd_volume,"
    "eenheid,bedrag\n"
)


def write_csv_landing(landing: Path, files: dict[str, str]) -> Path:
    """Write `{"allocations/x.csv": rows, "declarations/y.csv": rows}` under `landing`, each file
    with its entity's CSV header; returns `landing`."""
    for rel, rows in files.items():
        path = landing / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        header = ALLOCATION_CSV_HEADER if rel.startswith("allocations") else DECLARATION_CSV_HEADER
        path.write_text(header + rows, encoding="utf-8")
    return landing
