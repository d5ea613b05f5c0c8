"""Which published marts the next publication starts from (orchestration/increments.py): only
incremental marts recorded with today's definition and kept with their state."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration import increments
from orchestration.config import DBT_PROJECT_DIR
from orchestration.increments import definition, reusable_marts, seed_publication
from orchestration.publish import publish_marts

FACT = "fct_declarations_monthly"
PEILDATUM = dt.date(2024, 7, 1)


STATE = ("months", "links")


def _publication(path: Path, *, state: tuple[str, ...] = STATE) -> Path:
    """A publication as dbt leaves it: the incremental fact with its state, another mart."""
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema meta")
    con.execute(f"create table marts.{FACT} as select date '2024-01-01' as period_month, 5 as n")
    con.execute("create table marts.fct_trajectories as select 1 as id")
    if "months" in state:
        con.execute(
            f"create table meta.{FACT}__months as "
            "select date '2024-01-01' as period_month, 1 as n_lines, 42::hugeint as fingerprint"
        )
    if "links" in state:
        con.execute(
            f"create table meta.{FACT}__links as "
            "select '0153' as gemeentecode, 'T1' as toewijzingnummer, 'a1' as allocation_key"
        )
    con.close()
    return path


def _published(tmp_path: Path, *, state: tuple[str, ...] = STATE) -> Path:
    warehouse = tmp_path / "wh" / "jeugdhulp.duckdb"
    publish_marts(
        _publication(tmp_path / "next.duckdb", state=state),
        warehouse,
        [FACT, "fct_trajectories"],
        peildatum=PEILDATUM,
    )
    return warehouse


def _tables(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [
            name
            for (name,) in con.execute(
                "select table_schema || '.' || table_name from information_schema.tables order by 1"
            ).fetchall()
        ]
    finally:
        con.close()


def test_publication_records_the_fact_with_its_definition(tmp_path: Path) -> None:
    warehouse = _published(tmp_path)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select mart, definition from meta.increments").fetchall() == [
            (FACT, definition(FACT))
        ]
        assert con.execute(f"select n_lines from meta.{FACT}__months").fetchall() == [(1,)]
    finally:
        con.close()


def test_seed_copies_only_the_fact_and_its_state(tmp_path: Path) -> None:
    warehouse = _published(tmp_path)
    before = warehouse.read_bytes()
    publication = tmp_path / "wh" / "jeugdhulp.publication.duckdb"
    messages: list[str] = []
    assert seed_publication(warehouse, publication, say=messages.append) == [FACT]
    assert _tables(publication) == [f"marts.{FACT}", f"meta.{FACT}__links", f"meta.{FACT}__months"]
    assert warehouse.read_bytes() == before  # copied, never opened for writing
    assert messages == [f"the next publication starts from the published {FACT}"]
    assert sorted(p.name for p in publication.parent.iterdir()) == [
        "jeugdhulp.duckdb",
        "jeugdhulp.publication.duckdb",
    ]


def test_a_run_that_does_not_build_the_fact_does_not_copy_it(tmp_path: Path) -> None:
    """A subset run (only some marts selected in Dagster) must not publish last night's fact
    beside tonight's marts."""
    warehouse = _published(tmp_path)
    publication = tmp_path / "next-run.duckdb"
    assert seed_publication(warehouse, publication, building={"fct_trajectories"}) == []
    assert not publication.exists()
    assert seed_publication(warehouse, publication, building={FACT, "fct_trajectories"}) == [FACT]


def test_a_changed_definition_seeds_nothing(tmp_path: Path) -> None:
    warehouse = _published(tmp_path)
    con = duckdb.connect(str(warehouse))
    con.execute("update meta.increments set definition = 'built by older models'")
    con.close()
    publication = tmp_path / "next-run.duckdb"
    assert seed_publication(warehouse, publication) == []
    assert not publication.exists()


@pytest.mark.parametrize("state", [(), ("months",), ("links",)])
def test_a_fact_published_without_its_state_is_not_recorded(
    tmp_path: Path, state: tuple[str, ...]
) -> None:
    warehouse = _published(tmp_path, state=state)
    assert _tables(warehouse) == sorted(
        [
            f"marts.{FACT}",
            "marts.fct_trajectories",
            "meta.checks_passed",  # empty: no check ran on it
            "meta.increments",
            "meta.publication",
            *(f"meta.{FACT}__{table}" for table in state),
        ]
    )
    assert reusable_marts(warehouse) == []


def test_an_unreadable_warehouse_builds_in_full_instead_of_failing(tmp_path: Path) -> None:
    warehouse = _published(tmp_path)
    writer = duckdb.connect(str(warehouse))  # held open for writing: a read-only open fails
    try:
        messages: list[str] = []
        assert seed_publication(warehouse, tmp_path / "next.duckdb", say=messages.append) == []
    finally:
        writer.close()
    assert messages[0].startswith("the published warehouse cannot be read (")
    assert messages[-1] == "no published mart to start from: every mart is built in full"
    assert not (tmp_path / "next.duckdb").exists()


def test_no_warehouse_yet_seeds_nothing(tmp_path: Path) -> None:
    assert seed_publication(tmp_path / "none.duckdb", tmp_path / "next.duckdb") == []
    assert not (tmp_path / "next.duckdb").exists()


@pytest.mark.parametrize(
    "edit",
    [
        "models/marts/fct_declarations_monthly.sql",
        "models/intermediate/int_declarations__month_fingerprints.sql",
        "macros/portability.sql",
        "dbt_project.yml",
    ],
)
def test_the_definition_changes_with_the_model_its_fingerprints_a_macro_or_the_project(
    tmp_path: Path, edit: str
) -> None:
    project = tmp_path / "dbt_project"
    for rel in [*increments.INCREMENTAL_MARTS[FACT], "dbt_project.yml"]:
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DBT_PROJECT_DIR / rel, project / rel)
    shutil.copytree(DBT_PROJECT_DIR / "macros", project / "macros")
    assert definition(FACT, project) == definition(FACT)
    with open(project / edit, "a", encoding="utf-8") as f:
        f.write("\n-- changed\n")
    assert definition(FACT, project) != definition(FACT)
