"""The dbt unit tests (hand-computed cases of every definition, `unit_tests:` in the model YAML).

Production runs skip them (they check the SQL, not the delivered data; see orchestration/dbt.py),
so CI runs every one of them here: seeds, models and unit tests built on the worked cases, and
each unit test in the manifest must have run and passed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import duckdb

from orchestration.config import DBT_PROJECT_DIR
from orchestration.ingest.load import ingest_landing
from orchestration.resources import dbt_executable
from tests.conftest import CASES, TEST_HMAC_KEY, make_landing


def test_every_dbt_unit_test_runs_and_passes(tmp_path: Path, dbt_manifest: Path) -> None:
    working_db = tmp_path / "working.duckdb"
    landing = make_landing(tmp_path, allocations=[CASES / "allocations.csv"])
    peildatum = dt.date.fromisoformat((CASES / "peildatum.txt").read_text().strip())
    con = duckdb.connect(str(working_db))
    try:
        ingest_landing(landing, con, hmac_key=TEST_HMAC_KEY.encode(), peildatum=peildatum)
    finally:
        con.close()

    target = tmp_path / "target"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JEUGDHULP_")}
    env |= {"JEUGDHULP_WORKING_DB": str(working_db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [
            dbt_executable(),
            "build",
            "--exclude-resource-type",
            "test",  # data tests run in every pipeline run; here only the unit tests
            "--vars",
            json.dumps({"peildatum": peildatum.isoformat()}),
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:]

    manifest = json.loads((target / "manifest.json").read_text())
    expected = set(manifest["unit_tests"])
    assert len(expected) >= 50, "the unit tests disappeared from the manifest"
    results = json.loads((target / "run_results.json").read_text())["results"]
    ran = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert set(ran) == expected
    assert {status for status in ran.values()} == {"pass"}
