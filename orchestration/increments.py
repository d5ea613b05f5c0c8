"""Marts kept from one publication to the next (docs/INCREMENTAL.md, "The monthly fact").

Every run builds its marts into a new publication file (orchestration/publish.py). A mart in
`INCREMENTAL_MARTS` need not start from nothing: `seed_publication` copies the published
warehouse to the next publication's path and keeps only those marts (and the fingerprints they
were built from, `meta.<mart>__months`, and the allocation links of its rows,
`meta.<mart>__links`), so dbt recomputes only the months whose input changed
(dbt_project/macros/increments.sql). Every other mart is dropped from the copy and built in full.

A kept mart must have been built by the same definition: `definition` hashes the files that
decide its rows apart from its input's content (the model, the fingerprint model, every macro,
dbt_project.yml) and the DuckDB and dbt-duckdb versions. `publish_marts` records it in
`meta.increments`; a publication whose record differs, or has none, keeps nothing, and dbt builds
the mart in full. The input's content needs no record: the fingerprints cover it, whatever the
ingest, the staging or the intermediate models did to it.

`full_rebuild` (JEUGDHULP_FULL_REBUILD, `jeugdhulp run --full-rebuild`) seeds nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Collection, Iterable, Mapping
from importlib import metadata
from pathlib import Path

import duckdb

from orchestration.config import DBT_PROJECT_DIR
from orchestration.sql import quote_ident, user_relations

META_SCHEMA = "meta"
MARTS_SCHEMA = "marts"
INCREMENTS_TABLE = "increments"
INCREMENTAL_MARTS: Mapping[str, tuple[str, ...]] = {
    # mart: the model files (relative to the dbt project) besides every macro that decide its
    # rows for a given input
    "fct_declarations_monthly": (
        "models/marts/fct_declarations_monthly.sql",
        "models/intermediate/int_declarations__month_fingerprints.sql",
    ),
}


def state_tables(mart: str) -> tuple[str, ...]:
    """The tables in schema `meta` holding what `mart` was built from: the fingerprints of its
    months and the allocation links of its rows (dbt_project/macros/increments.sql)."""
    return (f"{mart}__months", f"{mart}__links")


def _state_keys(marts: Iterable[str]) -> set[tuple[str, str]]:
    """The (schema, table) pairs of the state tables of `marts`."""
    return {(META_SCHEMA, table) for mart in marts for table in state_tables(mart)}


def _has_state(present: Collection[tuple[str, str]], mart: str) -> bool:
    return (MARTS_SCHEMA, mart) in present and _state_keys([mart]).issubset(present)


def definition(mart: str, project_dir: Path = DBT_PROJECT_DIR) -> str:
    """A SHA-256 of everything besides its input that decides the rows of `mart`."""
    digest = hashlib.sha256()
    files = [project_dir / rel for rel in INCREMENTAL_MARTS[mart]]
    files += sorted((project_dir / "macros").rglob("*.sql"))
    files.append(project_dir / "dbt_project.yml")
    for path in files:
        digest.update(str(path.relative_to(project_dir)).encode())
        digest.update(path.read_bytes())
    for package in ("duckdb", "dbt-duckdb"):
        digest.update(f"{package}=={metadata.version(package)}".encode())
    return digest.hexdigest()


def record_definitions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Write `meta.increments` (mart, definition) for the incremental marts the publication on
    `con` holds with their state; return those marts."""
    present = _tables(con)
    marts = [mart for mart in INCREMENTAL_MARTS if _has_state(present, mart)]
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
    con.execute(
        f"CREATE OR REPLACE TABLE {META_SCHEMA}.{INCREMENTS_TABLE} "
        "(mart VARCHAR, definition VARCHAR)"
    )
    for mart in marts:
        con.execute(
            f"INSERT INTO {META_SCHEMA}.{INCREMENTS_TABLE} VALUES (?, ?)", [mart, definition(mart)]
        )
    return marts


def kept_tables() -> set[tuple[str, str]]:
    """The (schema, table) pairs of a publication that belong to incremental marts' state."""
    return _state_keys(INCREMENTAL_MARTS) | {(META_SCHEMA, INCREMENTS_TABLE)}


def reusable_marts(warehouse: Path, say: Callable[[str], None] = lambda _m: None) -> list[str]:
    """The incremental marts of the published `warehouse` that the next publication can start
    from: present with their state, and recorded with today's definition. None when the
    warehouse cannot be read (say, another process holds it open for writing): the run then
    builds every mart in full instead of failing."""
    if not Path(warehouse).is_file():
        return []
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            present = _tables(con)
            recorded = (
                dict(
                    con.execute(
                        f"SELECT mart, definition FROM {META_SCHEMA}.{INCREMENTS_TABLE}"
                    ).fetchall()
                )
                if (META_SCHEMA, INCREMENTS_TABLE) in present
                else {}
            )
        finally:
            con.close()
    except duckdb.Error as exc:
        say(f"the published warehouse cannot be read ({exc}); every mart is built in full")
        return []
    return [
        mart
        for mart in INCREMENTAL_MARTS
        if _has_state(present, mart) and recorded.get(mart) == definition(mart)
    ]


def seed_publication(
    warehouse: Path,
    publication_db: Path,
    *,
    building: Collection[str] | None = None,
    duckdb_config: Mapping[str, str] | None = None,
    say: Callable[[str], None] = lambda _m: None,
) -> list[str]:
    """Start the next publication from the published warehouse's reusable incremental marts;
    return them (none: no publication file is written, dbt builds every mart from nothing).

    `building` names the marts this run's dbt builds (default: all). A mart it does not build is
    never copied: the copy would be last night's mart next to tonight's others, published
    without its increment or its reconciliation test.

    The warehouse is copied, not opened for writing (analysts may be reading it; a publication
    replaces it by a rename, so the copy is of one whole publication). Everything but the kept
    marts and their state is dropped from the copy, so dbt builds the other marts afresh and
    reuses the freed space."""
    warehouse, publication_db = Path(warehouse), Path(publication_db)
    marts = [m for m in reusable_marts(warehouse, say) if building is None or m in building]
    if not marts:
        say("no published mart to start from: every mart is built in full")
        return []
    partial = publication_db.with_name(f".{publication_db.name}.seeding-{os.getpid()}")
    try:
        shutil.copyfile(warehouse, partial)
        con = duckdb.connect(str(partial), config=dict(duckdb_config or {}))
        try:
            keep = {(MARTS_SCHEMA, mart) for mart in marts}
            keep |= _state_keys(marts)
            for schema, name, kind in user_relations(con):
                if (schema, name) not in keep:
                    con.execute(f"DROP {kind} {quote_ident(schema)}.{quote_ident(name)}")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(partial, publication_db)
    finally:
        partial.unlink(missing_ok=True)
    say(f"the next publication starts from the published {', '.join(marts)}")
    return marts


def _tables(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    return {(schema, name) for schema, name, kind in user_relations(con) if kind == "TABLE"}
