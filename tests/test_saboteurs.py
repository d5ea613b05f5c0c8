"""Every blocking check proven to block, one at a time (DEFINITIONS §7, write-audit-publish).

For each row of the saboteur table (tests/saboteurs.py) the real pipeline runs through the CLI on
a published demo warehouse with one violation planted, and must refuse to publish: that check
failed (and no other, unless the row says why), the CLI exits 1 naming it, the previous
warehouse is byte-identical. A blocking check of the definitions without a row fails the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import (
    ALLOCATION_CSV_HEADER,
    DECLARATION_CSV_HEADER,
    ROOT,
    TEST_HMAC_KEY,
    run_args,
    run_cli,
)
from tests.saboteurs import CYCLE_CSV_HEADERS, SABOTEURS, Saboteur

SABOTAGE_MACRO = Path(__file__).parent / "sabotage" / "sabotage.sql"
PEILDATUM = "2026-01-01"
CLIENTS = "200"
# The layers whose blocking checks guard what is published: the ingest's accounting (raw) and
# every check on a published mart. docs/DECISIONS.md says why the dbt tests of the reference
# seeds and of the staging and intermediate models are left out of the table.
GUARDED_LAYERS = ("raw", "marts")


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JEUGDHULP_")}
    env["JEUGDHULP_HMAC_KEY"] = TEST_HMAC_KEY
    env.update(extra)
    return env


def sabotage_project(root: Path) -> Path:
    """A copy of the dbt project whose models and seeds run tests/sabotage/sabotage.sql as a
    post-hook (after their own), with its manifest parsed."""
    project = root / "dbt_project"
    shutil.copytree(
        ROOT / "dbt_project",
        project,
        ignore=shutil.ignore_patterns("target", "logs", ".user.yml"),
    )
    shutil.copy(SABOTAGE_MACRO, project / "macros" / "sabotage.sql")
    config_file = project / "dbt_project.yml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    for kind in ("models", "seeds"):
        node = config[kind]["jeugdhulp"]
        hooks = node.get("+post-hook") or []
        node["+post-hook"] = [*([hooks] if isinstance(hooks, str) else hooks), "{{ sabotage() }}"]
    config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    prepared = subprocess.run(
        [sys.executable, "-m", "orchestration.dbt_project_prepare"],
        cwd=ROOT,
        env=_env({"JEUGDHULP_DBT_PROJECT_DIR": str(project)}),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert prepared.returncode == 0, prepared.stderr[-3000:]
    return project


@dataclass(frozen=True)
class Published:
    project: Path
    landing: Path
    warehouse_dir: Path

    @property
    def warehouse(self) -> Path:
        return self.warehouse_dir / "jeugdhulp.duckdb"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    """Generated demo data (every mart has rows, some indicator cells are suppressed), published
    once with the copied project and no sabotage."""
    root = tmp_path_factory.mktemp("saboteurs")
    project = sabotage_project(root)
    landing = root / "landing"
    generated = run_cli(
        ["generate", "--out", str(landing), "--clients", CLIENTS, "--start-year", "2021"]
    )
    assert generated.returncode == 0, generated.stderr[-3000:]
    warehouse_dir = root / "wh"
    (root / "dagster_home").mkdir()
    result = run_cli(
        run_args(landing, warehouse_dir / "jeugdhulp.duckdb", peildatum=PEILDATUM),
        env_extra={
            "DAGSTER_HOME": str(root / "dagster_home"),
            "JEUGDHULP_DBT_PROJECT_DIR": str(project),
        },
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    return Published(project, landing, warehouse_dir)


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stderr: str
    report: dict
    evaluations: dict[str, bool]  # "<asset>:<check>" → passed, for every check that ran
    published_before: bytes
    published_after: bytes


def run_sabotaged(published: Published, tmp_path: Path, saboteur: Saboteur | None) -> Outcome:
    """`jeugdhulp run` on a copy of the published warehouse with the saboteur's violation."""
    warehouse_dir = tmp_path / "wh"
    shutil.copytree(published.warehouse_dir, warehouse_dir)
    warehouse = warehouse_dir / "jeugdhulp.duckdb"
    before = warehouse.read_bytes()
    landing = published.landing
    if saboteur is not None and saboteur.landing:
        landing = tmp_path / "landing"
        shutil.copytree(published.landing, landing)
        for rel, rows in saboteur.landing.items():
            path = landing / rel
            path.write_text(_csv_header(rel) + rows, encoding="utf-8")
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    report_path = tmp_path / "report.json"
    result = run_cli(
        run_args(landing, warehouse, peildatum=PEILDATUM, report=report_path),
        env_extra={
            "DAGSTER_HOME": str(dagster_home),
            "JEUGDHULP_DBT_PROJECT_DIR": str(published.project),
            "JEUGDHULP_SABOTAGE": json.dumps(
                {m: list(s) for m, s in (saboteur.plant if saboteur else {}).items()}
            ),
        },
        timeout=1800,
    )
    report = json.loads(report_path.read_text(encoding="utf-8"))
    return Outcome(
        returncode=result.returncode,
        stderr=result.stderr,
        report=report,
        evaluations=check_evaluations(dagster_home, report["run_id"]),
        published_before=before,
        published_after=warehouse.read_bytes(),
    )


def _csv_header(rel: str) -> str:
    """The header row of a landing file at `rel` (its sub-folder names the entity)."""
    entity = rel.split("/", 1)[0]
    if entity in CYCLE_CSV_HEADERS:
        return CYCLE_CSV_HEADERS[entity]
    return ALLOCATION_CSV_HEADER if entity == "allocations" else DECLARATION_CSV_HEADER


def check_evaluations(dagster_home: Path, run_id: str) -> dict[str, bool]:
    """Every blocking-severity check the run evaluated, read back from its Dagster instance."""
    from dagster import AssetCheckSeverity, DagsterEventType, DagsterInstance, EventRecordsFilter

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        records = instance.get_event_records(
            EventRecordsFilter(event_type=DagsterEventType.ASSET_CHECK_EVALUATION),
            limit=10_000,
        )
        out: dict[str, bool] = {}
        for record in records:
            if record.run_id != run_id:
                continue
            evaluation = record.event_log_entry.dagster_event.event_specific_data
            if evaluation.severity == AssetCheckSeverity.WARN:
                continue  # informs (a fact's coverage), never blocks: not a guard
            out[f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"] = (
                evaluation.passed
            )
        return out


def blocking_checks() -> set[str]:
    """The blocking checks of the definitions on the guarded layers, as "<asset>:<check>"."""
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    found = set()
    for key in graph.asset_check_keys:
        if key.asset_key.path[0] in GUARDED_LAYERS and graph.get_check_spec(key).blocking:
            found.add(f"{key.asset_key.to_user_string()}:{key.name}")
    return found


def test_every_blocking_check_has_a_saboteur(dbt_manifest: Path) -> None:
    ids = [s.id for s in SABOTEURS]
    assert len(ids) == len(set(ids)), "a check has two rows in the saboteur table"
    checks = blocking_checks()
    missing = sorted(checks - set(ids))
    assert not missing, f"blocking checks without a saboteur in tests/saboteurs.py: {missing}"
    unknown = sorted(set(ids) - checks)
    assert not unknown, f"saboteurs of checks that are not blocking checks: {unknown}"


def test_every_saboteur_is_in_the_table_of_expectations_readme() -> None:
    readme = (ROOT / "expectations" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Every blocking check proven to block", 1)
    assert len(section) == 2, "expectations/README.md has no saboteur table"
    rows = [line for line in section[1].splitlines() if line.startswith("| `")]
    named = {line.split("|")[1].strip().strip("`") for line in rows}
    assert {s.id for s in SABOTEURS} == named
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert all(cells), f"an empty cell in the saboteur table: {line}"


@pytest.mark.slow
def test_unsabotaged_run_publishes(published: Published, tmp_path: Path) -> None:
    """The control: the same harness with nothing planted publishes and every check passes (so
    a refusal below is the saboteur's doing)."""
    outcome = run_sabotaged(published, tmp_path, None)
    assert outcome.returncode == 0, outcome.stderr[-5000:]
    assert outcome.report["published"] is True
    assert outcome.evaluations and all(outcome.evaluations.values())
    assert blocking_checks() <= set(outcome.evaluations)


@pytest.mark.slow
@pytest.mark.parametrize("saboteur", SABOTEURS, ids=lambda s: s.id)
def test_the_check_alone_blocks_publication(
    saboteur: Saboteur, published: Published, tmp_path: Path
) -> None:
    outcome = run_sabotaged(published, tmp_path, saboteur)
    failed = {f"{c['asset']}:{c['check']}" for c in outcome.report["failed_checks"]}
    expected = {saboteur.id, *(f"{saboteur.asset}:{c}" for c in saboteur.also_fails)}
    assert failed == expected, outcome.stderr[-5000:]
    assert {k for k, ok in outcome.evaluations.items() if not ok} == expected
    passed = {k for k, ok in outcome.evaluations.items() if ok}
    assert passed, "no other check ran"
    assert outcome.returncode == 1
    assert f"failed check {saboteur.check} on {saboteur.asset}" in outcome.stderr
    assert outcome.report["published"] is False
    assert outcome.published_after == outcome.published_before
