"""The indicator catalogue (DEFINITIONS §6) is complete and wired: every §6 indicator has a seed
row, a family model in the fct_indicator_values union, a documented YAML and a dbt unit test, and
the published columns of marts.fct_indicator_values / marts.dim_indicators match the contract.

The fast tests read the seeds, SQL and YAML files; the slow one builds the marts with
`dbt run --empty` in a temporary DuckDB file and reads the columns back.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = ROOT / "dbt_project"
SEEDS = DBT_DIR / "seeds" / "reference"
MARTS = DBT_DIR / "models" / "marts" / "indicators"
DOCS = ROOT / "docs" / "INDICATORS.md"

# DEFINITIONS §6, the three tables, in their order.
TWENTE = (
    "clients_residential",
    "clients_ambulatory_alternatives",
    "care_days_residential",
    "residential_no_transfer",
    "screening_within_4w",
    "start_within_norm",
    "recidive",
    "cost_per_client_residential",
    "avg_trajectory_days",
    "clients_ambulatory",
    "cost_ambulatory",
    "outflow_after_residential",
    "waiting_list",
    "scale_up_down",
    "beds_in_use",
    "crisis_within_4w",
)
NOORD_LIMBURG = (
    "no_new_care_12m",
    "ended_according_to_plan",
    "escalation_during_trajectory",
    "same_or_heavier_within_6m",
    "avg_hours_per_client",
    "goals_achieved",
    "share_light_medium",
    "share_maatwerk",
    "share_duurzaam",
    "return_within_2y",
    "harmful_waiting_list",
    "reindication_lighter",
)
MARKET = (
    "spend_by_segment",
    "clients_by_segment",
    "price_per_client",
    "top5_provider_share",
    "budget_utilisation",
)
SECTION_6 = TWENTE + NOORD_LIMBURG + MARKET

FCT_COLUMNS = [
    "indicator_code",
    "period_year",
    "regio",
    "gemeentecode",
    "segment",
    "aanbieder_agb",
    "numerator",
    "denominator",
    "value",
    "unit",
    "baseline_value",
    "target_value",
    "meets_target",
    "is_final",
    "suppressed",
    "coverage",
    "data_quality",
]
DIM_COLUMNS = [
    "indicator_code",
    "name_nl",
    "name_en",
    "definition",
    "unit",
    "direction",
    "spec_section",
    "source_document",
    "facts_needed",
]

ROLLUP_RE = re.compile(r"indicator_rollup\(\s*'[^']+',\s*'([a-z0-9_]+)',\s*'([a-z_]+)'")
LITERAL_CODE_RE = re.compile(
    r"cast\('([a-z0-9_]+)' as \{\{ dbt\.type_string\(\) \}\}\) as indicator_code"
)
LITERAL_UNIT_RE = re.compile(r"cast\('([a-z_]+)' as \{\{ dbt\.type_string\(\) \}\}\) as unit")


def read_seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def unit_tests() -> list[dict]:
    tests: list[dict] = []
    for path in sorted(DBT_DIR.joinpath("models").rglob("*.yml")):
        tests.extend(load_yaml(path).get("unit_tests") or [])
    return tests


def fct_families() -> list[str]:
    sql = (MARTS / "fct_indicator_values.sql").read_text(encoding="utf-8")
    return re.findall(r"'(ind_[a-z0-9_]+)'", sql)


def published_codes() -> dict[str, str]:
    """indicator_code → unit, from the string literals the family models write."""
    codes: dict[str, str] = {}
    for path in sorted(MARTS.glob("ind_*.sql")):
        sql = path.read_text(encoding="utf-8")
        codes.update(dict(ROLLUP_RE.findall(sql)))
        literal_codes = LITERAL_CODE_RE.findall(sql)
        literal_units = LITERAL_UNIT_RE.findall(sql)
        assert len(literal_codes) == len(literal_units), path.name
        codes.update(zip(literal_codes, literal_units, strict=True))
    return codes


def final_select_aliases(sql: str) -> list[str]:
    """Column aliases of the last top-level select (`… as <alias>` or a bare column)."""
    body = sql[sql.rindex("\nselect\n") + len("\nselect\n") : sql.rindex("\nfrom ")]
    aliases = []
    for line in body.splitlines():
        line = line.strip().rstrip(",")
        if not line or line.startswith("--"):
            continue
        aliases.append(line.split(" as ")[-1].strip() if " as " in line else line)
    return aliases


def test_section_6_lists_sixteen_twelve_and_five_indicators():
    assert (len(TWENTE), len(NOORD_LIMBURG), len(MARKET)) == (16, 12, 5)
    assert len(set(SECTION_6)) == 33


def test_every_section_6_indicator_is_a_family_in_the_indicators_seed():
    families = {row["family_code"] for row in read_seed("indicators")}
    assert set(SECTION_6) == families


def test_every_section_6_indicator_has_a_family_model_in_the_fct_union():
    union = fct_families()
    assert len(union) == len(set(union))
    assert sorted(union) == sorted(f"ind_{code}" for code in SECTION_6)
    for code in SECTION_6:
        assert (MARTS / f"ind_{code}.sql").is_file(), code


def test_family_models_live_outside_marts_so_no_unsuppressed_cell_is_published():
    """§7: every table of the marts schema is published; only fct_indicator_values is
    suppressed, so the family tables are built in the unpublished schema indicator_cells."""
    for path in sorted(MARTS.glob("ind_*.sql")):
        sql = path.read_text(encoding="utf-8")
        assert "{{ config(materialized='table', schema='indicator_cells') }}" in sql, path.name


def test_every_section_6_indicator_has_a_dbt_unit_test_on_its_family_model():
    tested = {t["model"] for t in unit_tests()}
    missing = [code for code in SECTION_6 if f"ind_{code}" not in tested]
    assert missing == []


def test_every_family_model_yaml_describes_it_with_its_spec_section():
    for code in SECTION_6:
        doc = load_yaml(MARTS / f"ind_{code}.yml")
        (model,) = [m for m in doc["models"] if m["name"] == f"ind_{code}"]
        assert "§6" in model["description"] and code in model["description"], code


def test_published_codes_are_exactly_the_catalogue_with_its_units():
    catalogue = {row["indicator_code"]: row["unit"] for row in read_seed("indicators")}
    assert published_codes() == catalogue


def test_targets_name_catalogue_codes_and_carry_a_complete_rule():
    catalogue = {row["indicator_code"] for row in read_seed("indicators")}
    keys = set()
    for row in read_seed("indicator_targets"):
        assert row["indicator_code"] in catalogue, row
        key = (row["indicator_code"], row["regio"], row["segment"])
        assert key not in keys, key
        keys.add(key)
        assert row["direction"] in {"lower_is_better", "higher_is_better"}, row
        if row["target_kind"] == "relative":
            assert row["baseline_year"] and row["target_year"] and row["change_or_threshold"], row
            assert int(row["baseline_year"]) < int(row["target_year"]), row
        elif row["target_kind"] == "absolute":
            assert row["change_or_threshold"] and not row["baseline_year"], row
        else:
            assert row["target_kind"] == "trend" and not row["change_or_threshold"], row


def test_twente_relative_targets_match_definitions_section_6():
    rows = {
        (r["indicator_code"], r["segment"]): r
        for r in read_seed("indicator_targets")
        if r["regio"] == "Twente" and r["target_kind"] == "relative"
    }
    rule = {
        k: (r["baseline_year"], r["target_year"], float(r["change_or_threshold"]))
        for k, r in rows.items()
    }
    assert rule[("clients_residential", "")] == ("2024", "2027", -0.30)
    assert rule[("care_days_residential", "")] == ("2024", "2027", -0.15)
    assert rule[("recidive", "Ambulant")] == ("2024", "2028", -0.20)
    assert rule[("avg_trajectory_days", "begeleiding")] == ("2024", "2028", -0.20)
    assert rule[("clients_ambulatory_alternatives", "")] == ("2025", "2028", 0.40)


def test_start_of_care_norms_are_the_reference_data_days():
    norms = {r["hulpvorm"]: int(r["norm_days"]) for r in read_seed("start_of_care_norms")}
    assert norms == {
        "verblijf": 42,
        "dyslexie": 42,
        "behandeling": 98,
        "begeleiding": 14,
        "screening": 28,
    }


def test_only_reden_31_is_according_to_plan():
    plan = [
        r["reden_beeindiging"]
        for r in read_seed("ijw_reden_beeindiging")
        if r["is_according_to_plan"] == "true"
    ]
    assert plan == ["31"]


def test_code_list_seeds_declare_their_codes_as_strings():
    seeds = load_yaml(SEEDS / "_reference.yml")["seeds"]
    types = {s["name"]: s["config"]["column_types"] for s in seeds}
    assert types["ijw_productcategorie"]["productcategorie"] == "varchar"
    assert types["ijw_eenheid"]["eenheid"] == "varchar"
    assert types["ijw_reden_beeindiging"]["reden_beeindiging"] == "varchar"
    assert types["ijw_verwijzer"]["verwijzer_type"] == "varchar"


def test_fct_indicator_values_contract_yaml_lists_the_published_columns_in_order():
    models = {m["name"]: m for m in load_yaml(MARTS / "_indicators.yml")["models"]}
    fct, dim = models["fct_indicator_values"], models["dim_indicators"]
    assert fct["config"]["contract"]["enforced"] is True
    assert [c["name"] for c in fct["columns"]] == FCT_COLUMNS
    assert [c["name"] for c in dim["columns"]] == DIM_COLUMNS


def test_fct_indicator_values_final_select_has_the_contract_columns_in_order():
    fct = (MARTS / "fct_indicator_values.sql").read_text(encoding="utf-8")
    dim = (MARTS / "dim_indicators.sql").read_text(encoding="utf-8")
    assert final_select_aliases(fct) == FCT_COLUMNS
    assert final_select_aliases(dim) == DIM_COLUMNS


def test_indicators_doc_covers_every_section_6_indicator():
    doc = DOCS.read_text(encoding="utf-8")
    for code in SECTION_6:
        assert f"`{code}`" in doc, code


RAW_DDL = """
create schema raw;
create table raw.allocations (
    toewijzingnummer varchar, gemeentecode varchar, aanbieder_agb varchar, bsn varchar,
    client_key varchar, client_id integer, geboortedatum date, productcategorie varchar,
    productcode varchar,
    ingangsdatum date, einddatum date, toewijzingsdatum date, volume bigint, eenheid varchar,
    frequentie varchar, reden_wijziging varchar, verwijzer_type varchar,
    reden_beeindiging varchar, dagtekening date, referentie_aanbieder varchar,
    _source_file varchar, _source_row bigint, _file_seq integer, _extra varchar
);
create table raw.declarations (
    declaratienummer varchar, vorig_declaratienummer varchar, debet_credit varchar,
    toewijzingnummer varchar, gemeentecode varchar, aanbieder_agb varchar, bsn varchar,
    client_key varchar, client_id integer, productcategorie varchar, productcode varchar,
    begindatum date, einddatum date, geleverd_volume double, eenheid varchar, bedrag bigint,
    _source_file varchar, _source_row bigint, _extra varchar
);
create table raw.clients (client_id integer, client_key varchar);
create table raw.care_starts (
    toewijzingnummer varchar, gemeentecode varchar, aanbieder_agb varchar, bsn varchar,
    productcategorie varchar, productcode varchar, begindatum date, dagtekening date,
    status_aanlevering varchar, client_id integer, _source_file varchar, _source_row bigint,
    _file_seq integer, _extra varchar
);
create table raw.care_stops (
    toewijzingnummer varchar, gemeentecode varchar, aanbieder_agb varchar, bsn varchar,
    productcategorie varchar, productcode varchar, begindatum date, einddatum date,
    reden_beeindiging varchar, dagtekening date, status_aanlevering varchar, client_id integer,
    _source_file varchar, _source_row bigint, _file_seq integer, _extra varchar
);
create table raw.allocation_requests (
    referentie_aanbieder varchar, gemeentecode varchar, aanbieder_agb varchar, bsn varchar,
    productcategorie varchar, productcode varchar, ingangsdatum date, verwijzer_type varchar,
    dagtekening date, client_id integer, _source_file varchar, _source_row bigint,
    _file_seq integer, _extra varchar
);
create table raw.declaration_responses (
    declaratienummer varchar, gemeentecode varchar, aanbieder_agb varchar, retourcodes varchar,
    dagtekening date, _source_file varchar, _source_row bigint, _file_seq integer, _extra varchar
);
create table raw.outcome_reports (
    toewijzingnummer varchar, gemeentecode varchar, aanbieder_agb varchar, bsn varchar,
    einddatum date, doelen_behaald varchar, rapportagedatum date, client_id integer,
    _source_file varchar, _source_row bigint, _file_seq integer, _extra varchar
);
"""


def _dbt(args: list[str], tmp_path: Path, db: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JEUGDHULP_")}
    env["JEUGDHULP_WORKING_DB"] = str(db)
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [
            str(dbt),
            *args,
            "--profiles-dir",
            str(DBT_DIR),
            "--project-dir",
            str(DBT_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=DBT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # generous: a dbt build on a loaded host
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.slow
def test_built_marts_have_the_contract_columns_in_order(tmp_path: Path):
    import duckdb

    from orchestration.publish import attach_publication

    db = tmp_path / "working.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(RAW_DDL)
    _dbt(["seed"], tmp_path, db)
    _dbt(["run", "--empty", "-s", "+fct_indicator_values", "+dim_indicators"], tmp_path, db)
    with duckdb.connect(str(db), read_only=True) as con:
        # dbt builds the marts into the publication beside the working database
        assert attach_publication(con, Path(f"{db}.publication"))

        def columns(table: str) -> list[str]:
            rows = con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            return [r[0] for r in rows]

        assert columns("fct_indicator_values") == FCT_COLUMNS
        assert columns("dim_indicators") == DIM_COLUMNS
