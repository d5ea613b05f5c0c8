"""Nobody identifiable in what analysts get (DEFINITIONS §7): no BSN, name or birth date in a
published table, the client key is the keyed hash of the BSN, real data needs a real key.

The publication scanned is the last one of the fault scenario in tests/test_faults.py: generated
data with the demo marker removed (so it counts as real data and runs on the test suite's HMAC
key).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, client_key, run_args, run_cli
from tests.test_faults import PEILDATUM, Scenario, fault_scenario

PUBLISHED_SCHEMAS = {"marts", "meta"}
AGE_BANDS = {"0-3", "4-11", "12-17", "18+", "onbekend"}
# Words that make a column identifying (DEFINITIONS §7: BSN, name, birth date; and address).
IDENTIFYING = re.compile(
    r"bsn|burgerservice|geboorte|birth|naam|name|adres|address|straat|street|postcode|zip"
    r"|woonplaats|huisnummer|telefoon|phone|e_?mail"
)
# A "name" column is fine when it names one of these, not a person (gemeente_naam, unit_name,
# or name_nl of an indicator in dim_indicators).
NAMED_THINGS = re.compile(
    r"gemeente|regio|aanbieder|provider|indicator|product|segment|hulpvorm|eenheid|unit"
)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    shared = fault_scenario(tmp_path_factory)
    assert shared.last_run["returncode"] == 0, shared.last_run["stderr"]
    return shared


@pytest.fixture
def con(published: Scenario) -> Iterator[duckdb.DuckDBPyConnection]:
    """In-memory connection: the warehouse attached read-only as `wh`, the input's BSNs in
    `bsns`, the input allocations in `input_allocations`."""
    connection = duckdb.connect()
    connection.execute(f"ATTACH '{published.warehouse}' AS wh (READ_ONLY)")
    files = {e: f"{published.landing / e}/*.parquet" for e in ("allocations", "declarations")}
    connection.execute(
        "create table input_allocations as select * from read_parquet(?, union_by_name=true)",
        [files["allocations"]],
    )
    connection.execute(
        "create table bsns as select distinct bsn from ("
        "select bsn from input_allocations union all "
        "select bsn from read_parquet(?, union_by_name=true)) where bsn is not null",
        [files["declarations"]],
    )
    yield connection
    connection.close()


def _columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str]]:
    """(schema, table, column, data type) of every column in the published file."""
    return con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = 'wh' order by all"
    ).fetchall()


@pytest.mark.slow
def test_input_has_bsns_to_look_for(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("select count(*) from bsns").fetchall()[0][0] > 1000


@pytest.mark.slow
def test_no_input_bsn_in_any_published_text_column(con: duckdb.DuckDBPyConnection) -> None:
    """Equal to a BSN, or a BSN inside a longer value (a run of digits holding one)."""
    hits = {}
    text_columns = [c for c in _columns(con) if c[3] == "VARCHAR"]
    assert len(text_columns) > 20
    for schema, table, column, _ in text_columns:
        source = f'wh."{schema}"."{table}"'
        equal, inside = con.execute(
            f"""select
                (select count(*) from {source} where "{column}" in (select bsn from bsns)),
                (select count(*) from (
                    select unnest(regexp_extract_all("{column}", '[0-9]{{9,}}')) as digits
                    from {source}) as runs
                 join bsns on contains(runs.digits, bsns.bsn))"""
        ).fetchall()[0]
        if equal or inside:
            hits[f"{schema}.{table}.{column}"] = (equal, inside)
    assert hits == {}


@pytest.mark.slow
def test_no_input_bsn_in_the_parquet_export_or_the_report(
    published: Scenario, con: duckdb.DuckDBPyConnection
) -> None:
    """The other published artefacts beside the warehouse hold no BSN either."""
    bsns = {r[0] for r in con.execute("select bsn from bsns").fetchall()}
    folder = published.warehouse.parent
    artefacts = [
        p for p in folder.iterdir() if not p.name.startswith(".") and p != published.warehouse
    ]
    for path in artefacts:
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for f in files:
            if f.suffix == ".parquet":
                text = " ".join(
                    str(v)
                    for row in con.execute("select * from read_parquet(?)", [str(f)]).fetchall()
                    for v in row
                )
            elif f.is_file():
                text = f.read_bytes().decode("utf-8", errors="replace")
            else:
                continue
            found = set(re.findall(r"(?<![0-9])[0-9]{9}(?![0-9])", text)) & bsns
            assert not found, f"{f} holds BSNs {sorted(found)[:3]}"


@pytest.mark.slow
def test_no_identifying_column_names(con: duckdb.DuckDBPyConnection) -> None:
    bad = [
        f"{schema}.{table}.{column}"
        for schema, table, column, _ in _columns(con)
        if IDENTIFYING.search(column.lower())
        and not (
            re.search(r"naam|name", column.lower())
            and not re.search(r"bsn|geboorte|birth|adres|address", column.lower())
            and NAMED_THINGS.search(f"{table} {column}".lower())
        )
    ]
    assert bad == []


def test_identifying_name_patterns_catch_what_they_should() -> None:
    """The name check above flags person-like columns and lets names of things through."""

    def flagged(table: str, column: str) -> bool:
        return bool(IDENTIFYING.search(column)) and not (
            re.search(r"naam|name", column)
            and not re.search(r"bsn|geboorte|birth|adres|address", column)
            and NAMED_THINGS.search(f"{table} {column}")
        )

    for table, column in [
        ("fct_allocations", "bsn"),
        ("fct_allocations", "geboortedatum"),
        ("fct_trajectories", "client_name"),
        ("fct_trajectories", "achternaam"),
        ("fct_allocations", "postcode"),
        ("fct_allocations", "adres"),
    ]:
        assert flagged(table, column), column
    for table, column in [
        ("dim_indicators", "name_nl"),
        ("fct_allocations", "gemeente_naam"),
        ("fct_allocations", "age_band"),
        ("fct_trajectories", "client_key"),
    ]:
        assert not flagged(table, column), column


@pytest.mark.slow
def test_published_file_holds_only_marts_and_publication_metadata(
    con: duckdb.DuckDBPyConnection,
) -> None:
    schemas = {
        r[0]
        for r in con.execute(
            "select distinct table_schema from information_schema.tables where table_catalog = 'wh'"
        ).fetchall()
    }
    assert schemas == PUBLISHED_SCHEMAS
    tables = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'wh'"
        ).fetchall()
    }
    assert not {t for t in tables if "quarantine" in t or "ingest_files" in t or "raw" in t}


@pytest.mark.slow
def test_birth_date_reaches_the_marts_only_as_an_age_band(
    con: duckdb.DuckDBPyConnection,
) -> None:
    columns = _columns(con)
    assert not [c for c in columns if re.search(r"geboorte|birth", c[2].lower())]
    assert ("marts", "fct_allocations", "age_band", "VARCHAR") in columns
    bands = {
        r[0]
        for r in con.execute("select distinct age_band from wh.marts.fct_allocations").fetchall()
    }
    assert bands <= AGE_BANDS and len(bands) > 2


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _band(age: int) -> str:
    return "0-3" if age < 4 else "4-11" if age < 12 else "12-17" if age < 18 else "18+"


@pytest.mark.slow
def test_age_band_is_the_age_in_completed_years_at_the_start(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows = con.execute(
        """select distinct p.age_band, try_cast(i.geboortedatum as date), p.ingangsdatum
        from wh.marts.fct_allocations as p
        join input_allocations as i using (gemeentecode, toewijzingnummer)
        where try_cast(i.geboortedatum as date) is not null
          and try_cast(i.ingangsdatum as date) = p.ingangsdatum"""
    ).fetchall()
    assert rows
    wrong = [(band, born, start) for band, born, start in rows if band != _band(_age(born, start))]
    assert wrong == []


@pytest.mark.slow
def test_client_key_is_the_hmac_of_the_bsn(con: duckdb.DuckDBPyConnection) -> None:
    bsn_of = dict(
        con.execute(
            "select distinct gemeentecode || '|' || toewijzingnummer, bsn from input_allocations"
        ).fetchall()
    )
    published = con.execute(
        "select gemeentecode || '|' || toewijzingnummer, client_key from wh.marts.fct_allocations"
    ).fetchall()
    assert len(published) > 1000
    wrong = [key for key, ck in published if ck != client_key(bsn_of[key])]
    assert wrong == []


@pytest.mark.slow
def test_run_on_real_data_without_a_key_refuses(published: Scenario, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    result = run_cli(
        run_args(published.landing, warehouse, peildatum=PEILDATUM),
        env_extra={"JEUGDHULP_HMAC_KEY": "", "DAGSTER_HOME": str(tmp_path)},
    )
    assert result.returncode == 2
    assert "JEUGDHULP_HMAC_KEY" in result.stderr
    assert "Traceback" not in result.stderr
    assert not warehouse.exists()


def test_make_ui_binds_the_webserver_to_localhost() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^ui:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "no ui target in the Makefile"
    assert re.search(r"(-h|--host)\s+127\.0\.0\.1\b", recipe.group(1))
    assert "0.0.0.0" not in makefile


def test_readme_documents_read_only_access_for_analysts() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "read_only=True" in readme
    assert re.search(r"read-only", readme, re.IGNORECASE)
