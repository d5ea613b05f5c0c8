"""The synthetic landing-folder generator (orchestration/generate.py, DEFINITIONS §2).

The checks here are written independently of the generator: the eleven-test, ISO dates, the
effective allocation version and the defect kinds are re-derived from the files themselves.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from orchestration.config import GENERATED_MARKER
from orchestration.generate import GenerateSummary, generate_landing
from orchestration.generator.bsn import client_bsns, corrupt_bsns
from orchestration.generator.randomness import KeyedRandom
from orchestration.generator.tables import COLUMNS

CLIENTS = 400
SEED = 11
START, END = 2020, 2025
ALLOCATION_DATES = ("geboortedatum", "ingangsdatum", "einddatum", "toewijzingsdatum", "dagtekening")
DECLARATION_DATES = ("begindatum", "einddatum")
TWENTE = {"0141", "0147", "1774", "0153", "0158", "0163", "0164", "1735", "0168", "0173"}
TWENTE |= {"1742", "0183", "1700", "0189"}
NOORD_LIMBURG = {"0889", "0893", "0907", "1507", "1894", "0983", "0984"}
LEKSTROOM = {"0321", "0353", "0331", "0356", "1961"}


def columns(entity: str) -> list[str]:
    """The landing columns the generator writes for `entity`, in order."""
    return list(COLUMNS[entity])


# ---------------------------------------------------------------- independent checks
def elfproef(bsn: str) -> bool:
    """9*d1 + 8*d2 + ... + 2*d8 - 1*d9 divisible by 11, nine digits, not all zeros."""
    if len(bsn) != 9 or not bsn.isdigit() or bsn == "000000000":
        return False
    return sum(int(d) * w for d, w in zip(bsn, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True)) % 11 == 0


def iso_date(text: str) -> dt.date | None:
    """The date of a strict YYYY-MM-DD string, else None."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def read_entity(folder: Path, entity: str) -> pd.DataFrame:
    files = sorted((folder / entity).iterdir())
    frames = []
    for path in files:
        if path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            frame = pq.read_table(path).to_pandas().fillna("")
        frames.append(frame.assign(_file=path.name))
    return pd.concat(frames, ignore_index=True)


def classify_allocations(allocs: pd.DataFrame) -> pd.Series:
    """Defect kind per row ('' for a clean row), derived from the rules, not the generator."""
    kind = pd.Series("", index=allocs.index)
    contract = columns("allocations")
    kind[allocs.duplicated(subset=contract, keep="first")] = "duplicate"
    bad_date = allocs[list(ALLOCATION_DATES)].apply(
        lambda col: col.map(lambda v: v != "" and iso_date(v) is None)
    )
    kind[(kind == "") & bad_date.any(axis=1)] = "impossible_date"
    kind[(kind == "") & ~allocs["bsn"].map(elfproef)] = "invalid_bsn"
    return kind


def classify_declarations(decls: pd.DataFrame, known_allocations: set[str]) -> pd.Series:
    kind = pd.Series("", index=decls.index)
    contract = columns("declarations")
    kind[decls.duplicated(subset=contract, keep="first")] = "duplicate"
    dates_ok = decls["begindatum"].map(iso_date).notna() & decls["einddatum"].map(iso_date).notna()
    kind[(kind == "") & ~dates_ok] = "impossible_date"
    kind[(kind == "") & ~decls["bsn"].map(elfproef)] = "invalid_bsn"
    reversed_period = dates_ok & (decls["einddatum"] < decls["begindatum"])  # ISO sorts as text
    kind[(kind == "") & reversed_period] = "end_before_begin"
    kind[(kind == "") & ~decls["toewijzingnummer"].isin(known_allocations)] = "unknown_allocation"
    kind[(kind == "") & (decls["bedrag"].astype(int) < 0)] = "negative_amount"
    return kind


def rules_broken(decls: pd.DataFrame, known_allocations: set[str]) -> pd.Series:
    """How many of the non-duplicate rules each declaration row breaks."""
    dates_ok = decls["begindatum"].map(iso_date).notna() & decls["einddatum"].map(iso_date).notna()
    broken = (
        (~dates_ok).astype(int)
        + (~decls["bsn"].map(elfproef)).astype(int)
        + (dates_ok & (decls["einddatum"] < decls["begindatum"])).astype(int)
        + (~decls["toewijzingnummer"].isin(known_allocations)).astype(int)
        + (decls["bedrag"].astype(int) < 0).astype(int)
    )
    return broken


def effective_versions(allocs: pd.DataFrame) -> pd.DataFrame:
    """Latest version (highest dagtekening) per toewijzingnummer (DEFINITIONS §2)."""
    ordered = allocs.sort_values(["toewijzingnummer", "dagtekening"])
    return ordered.drop_duplicates("toewijzingnummer", keep="last").set_index("toewijzingnummer")


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateSummary]:
    out = tmp_path_factory.mktemp("landing") / "csv"
    return out, generate_landing(out, clients=CLIENTS, start_year=START, end_year=END, seed=SEED)


@pytest.fixture(scope="module")
def data(landing: tuple[Path, GenerateSummary]) -> dict[str, pd.DataFrame]:
    out, _ = landing
    allocs = read_entity(out, "allocations")
    decls = read_entity(out, "declarations")
    allocs["_defect"] = classify_allocations(allocs)
    clean_allocs = allocs[allocs["_defect"] == ""]
    decls["_defect"] = classify_declarations(decls, set(clean_allocs["toewijzingnummer"]))
    return {
        "allocations": allocs,
        "declarations": decls,
        "clean_allocations": clean_allocs,
        "clean_declarations": decls[decls["_defect"] == ""],
    }


# ---------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_gives_byte_identical_files_and_another_seed_other_data(
    tmp_path: Path, fmt: str
) -> None:
    args = {"clients": 120, "start_year": 2021, "end_year": 2023, "fmt": fmt}
    generate_landing(tmp_path / "a", seed=5, **args)
    generate_landing(tmp_path / "b", seed=5, **args)
    generate_landing(tmp_path / "c", seed=6, **args)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.*"))
    assert files_a == files_b
    for name in files_a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    bsns_a = set(read_entity(tmp_path / "a", "allocations")["bsn"])
    bsns_c = set(read_entity(tmp_path / "c", "allocations")["bsn"])
    assert len(bsns_a & bsns_c) < len(bsns_a) / 10
    decls_a = read_entity(tmp_path / "a", "declarations")
    decls_c = read_entity(tmp_path / "c", "declarations")
    assert len(decls_a) != len(decls_c) or not decls_a.equals(decls_c)


def test_small_chunk_rows_gives_several_parts_with_the_same_rows(
    tmp_path: Path, data: dict[str, pd.DataFrame]
) -> None:
    out = tmp_path / "chunked"
    summary = generate_landing(
        out, clients=CLIENTS, start_year=START, end_year=END, seed=SEED, chunk_rows=3000
    )
    declaration_files = sorted(p.name for p in (out / "declarations").iterdir())
    assert len({name.split("-part-")[1] for name in declaration_files}) > 1
    for entity in ("allocations", "declarations"):
        names = columns(entity)
        chunked = read_entity(out, entity)[names].sort_values(names, ignore_index=True)
        whole = data[entity][names].sort_values(names, ignore_index=True)
        pd.testing.assert_frame_equal(chunked, whole)
    assert summary.files_written == len(list(out.rglob("*-part-*")))


def test_parquet_holds_the_same_values_as_csv_file_by_file(
    tmp_path: Path, landing: tuple[Path, GenerateSummary]
) -> None:
    csv_out, _ = landing
    out = tmp_path / "parquet"
    generate_landing(out, clients=CLIENTS, start_year=START, end_year=END, seed=SEED, fmt="parquet")
    for entity in ("allocations", "declarations"):
        csv_files = sorted(p.stem for p in (csv_out / entity).iterdir())
        parquet_files = sorted(p.stem for p in (out / entity).iterdir())
        assert csv_files == parquet_files
        for stem in csv_files:
            table = pq.read_table(out / entity / f"{stem}.parquet")
            assert table.column_names == columns(entity)
            assert all(str(t) == "string" for t in table.schema.types)
            from_parquet = table.to_pandas()
            assert not (from_parquet == "").any().any(), "missing values are nulls in Parquet"
            from_csv = pd.read_csv(
                csv_out / entity / f"{stem}.csv", dtype=str, keep_default_na=False
            )
            pd.testing.assert_frame_equal(from_parquet.fillna(""), from_csv, check_dtype=False)


# ---------------------------------------------------------------- contract and format
def test_columns_are_exactly_the_contract_in_order(landing: tuple[Path, GenerateSummary]) -> None:
    out, _ = landing
    for entity in ("allocations", "declarations"):
        for path in (out / entity).iterdir():
            header = path.read_text(encoding="utf-8").split("\n", 1)[0]
            assert header.split(",") == columns(entity), path.name


def test_csv_is_plain_comma_separated_with_empty_missing_values(
    landing: tuple[Path, GenerateSummary], data: dict[str, pd.DataFrame]
) -> None:
    out, _ = landing
    text = next((out / "allocations").glob("*.csv")).read_text(encoding="utf-8")
    assert '"' not in text
    assert ",," in text  # empty optional fields, e.g. reden_wijziging on first versions
    assert (data["clean_allocations"]["einddatum"] == "").any()


def test_codes_are_zero_padded_strings(data: dict[str, pd.DataFrame]) -> None:
    for frame in (data["allocations"], data["declarations"]):
        assert frame["gemeentecode"].str.fullmatch(r"\d{4}").all()
        assert frame["aanbieder_agb"].str.fullmatch(r"\d{8}").all()
        assert frame["bsn"].str.fullmatch(r"\d{9}").all()
        assert frame["productcategorie"].str.fullmatch(r"\d{2}").all()
    assert data["allocations"]["gemeentecode"].str.startswith("0").any()


def test_marker_records_the_parameters(landing: tuple[Path, GenerateSummary]) -> None:
    out, summary = landing
    marker = json.loads((out / GENERATED_MARKER).read_text(encoding="utf-8"))
    assert marker["seed"] == SEED
    assert marker["clients"] == CLIENTS
    assert (marker["start_year"], marker["end_year"]) == (START, END)
    assert marker["format"] == "csv"
    assert marker["declaration_rows"] == summary.declaration_rows


# ---------------------------------------------------------------- validity of clean rows
def test_every_clean_bsn_passes_the_elfproef_and_identifies_one_client(
    data: dict[str, pd.DataFrame],
) -> None:
    clean = data["clean_allocations"]
    assert clean["bsn"].map(elfproef).all()
    assert data["clean_declarations"]["bsn"].map(elfproef).all()
    assert clean["bsn"].nunique() == CLIENTS
    births = clean[clean["geboortedatum"] != ""].groupby("bsn")["geboortedatum"].nunique()
    assert (births == 1).all()


def test_client_bsns_are_unique_and_valid_at_scale() -> None:
    index = np.arange(0, 9_000_000, 45, dtype=np.int64)  # 200,000 clients across the range
    bsn = client_bsns(KeyedRandom(1), index)
    assert np.unique(bsn).size == index.size
    digits = (bsn[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    weighted = digits @ np.array([9, 8, 7, 6, 5, 4, 3, 2, -1])
    assert ((weighted % 11) == 0).all()
    assert ((bsn >= 100_000_000) & (bsn <= 999_999_999)).all()


def test_corrupted_bsn_always_fails_the_elfproef() -> None:
    bsn = client_bsns(KeyedRandom(2), np.arange(9))
    for shift in range(1, 10):
        corrupted = corrupt_bsns(bsn, np.full(9, shift))
        assert not any(elfproef(f"{value:09d}") for value in corrupted)


def test_dates_are_iso_and_only_withdrawals_end_before_they_start(
    data: dict[str, pd.DataFrame],
) -> None:
    clean = data["clean_allocations"]
    for column in ALLOCATION_DATES:
        filled = clean[column][clean[column] != ""]
        assert filled.map(iso_date).notna().all(), column
    assert (clean["ingangsdatum"] != "").all() and (clean["dagtekening"] != "").all()
    ended = clean[clean["einddatum"] != ""]
    before_start = ended[ended["einddatum"] < ended["ingangsdatum"]]
    assert len(before_start) > 0, "some allocations are withdrawn"
    first_dag = clean.groupby("toewijzingnummer")["dagtekening"].min()
    later = before_start["dagtekening"] > before_start["toewijzingnummer"].map(first_dag)
    assert later.all(), "a withdrawal is always a later version of an allocation"


def test_allocations_start_within_the_years_and_nothing_is_dated_after_end_year(
    data: dict[str, pd.DataFrame],
) -> None:
    clean = data["clean_allocations"]
    assert clean["ingangsdatum"].between(f"{START}-01-01", f"{END}-12-31").all()
    assert (clean["dagtekening"] <= f"{END}-12-31").all()
    assert (data["clean_declarations"]["einddatum"] <= f"{END}-12-31").all()


def test_versions_of_an_allocation_have_distinct_dagtekening(
    data: dict[str, pd.DataFrame],
) -> None:
    clean = data["clean_allocations"].drop_duplicates(subset=columns("allocations"))
    assert not clean.duplicated(subset=["toewijzingnummer", "dagtekening"]).any()


def test_clean_declarations_lie_within_their_effective_allocation(
    data: dict[str, pd.DataFrame],
) -> None:
    effective = effective_versions(data["clean_allocations"])
    decls = data["clean_declarations"]
    alloc = effective.loc[decls["toewijzingnummer"]].reset_index(drop=True)
    decls = decls.reset_index(drop=True)
    assert (alloc["einddatum"].eq("") | (alloc["einddatum"] >= alloc["ingangsdatum"])).all(), (
        "no declarations on withdrawn allocations"
    )
    assert (decls["begindatum"] >= alloc["ingangsdatum"]).all()
    assert (alloc["einddatum"].eq("") | (decls["einddatum"] <= alloc["einddatum"])).all()
    assert (decls["begindatum"] <= decls["einddatum"]).all()
    assert (decls["begindatum"].str[:7] == decls["einddatum"].str[:7]).all(), "within a month"
    for column in ("gemeentecode", "aanbieder_agb", "bsn", "productcategorie", "productcode"):
        assert (decls[column] == alloc[column]).all(), column


def test_declaratienummers_are_unique(data: dict[str, pd.DataFrame]) -> None:
    decls = data["declarations"]
    distinct_rows = decls[decls["_defect"] != "duplicate"]
    assert distinct_rows["declaratienummer"].is_unique


def test_credits_reverse_an_existing_debit_with_equal_amount_and_volume(
    data: dict[str, pd.DataFrame],
) -> None:
    decls = data["clean_declarations"]
    debits = decls[decls["debet_credit"] == "D"].set_index("declaratienummer")
    credits = decls[decls["debet_credit"] == "C"]
    assert len(credits) > 0.01 * len(debits)
    assert credits["vorig_declaratienummer"].isin(debits.index).all()
    assert credits["vorig_declaratienummer"].is_unique
    assert (debits["vorig_declaratienummer"] == "").all()
    original = debits.loc[credits["vorig_declaratienummer"]]
    for column in ("bedrag", "geleverd_volume", "begindatum", "einddatum", "toewijzingnummer"):
        assert (credits[column].to_numpy() == original[column].to_numpy()).all(), column
    later_file = credits["_file"].str[:4].to_numpy() > original["_file"].str[:4].to_numpy()
    assert later_file.any(), "some credits arrive in a later year's file than their debit"


def test_amounts_and_volumes_are_positive_numbers(data: dict[str, pd.DataFrame]) -> None:
    decls = data["clean_declarations"]
    assert decls["bedrag"].str.fullmatch(r"\d+").all()
    assert (decls["bedrag"].astype(int) > 0).all()
    assert (decls["geleverd_volume"].astype(float) > 0).all()


# ---------------------------------------------------------------- defects
def test_defect_counts_in_the_summary_match_the_files(
    landing: tuple[Path, GenerateSummary], data: dict[str, pd.DataFrame]
) -> None:
    _, summary = landing
    allocs, decls = data["allocations"], data["declarations"]
    assert summary.allocation_rows == len(allocs)
    assert summary.declaration_rows == len(decls)
    found_allocs = allocs["_defect"][allocs["_defect"] != ""].value_counts().to_dict()
    found_decls = decls["_defect"][decls["_defect"] != ""].value_counts().to_dict()
    assert {k: v for k, v in summary.allocation_defects.items() if v} == found_allocs
    assert {k: v for k, v in summary.declaration_defects.items() if v} == found_decls
    assert summary.credit_rows == (data["clean_declarations"]["debet_credit"] == "C").sum()


def test_each_defective_declaration_breaks_exactly_one_rule(
    data: dict[str, pd.DataFrame],
) -> None:
    decls = data["declarations"]
    known = set(data["clean_allocations"]["toewijzingnummer"])
    broken = rules_broken(decls, known)
    defective = ~decls["_defect"].isin(["", "duplicate"])
    assert (broken[defective] == 1).all()
    assert (broken[decls["_defect"] == ""] == 0).all()


def test_defective_rows_are_a_small_share_of_every_file(data: dict[str, pd.DataFrame]) -> None:
    for frame in (data["allocations"], data["declarations"]):
        share = (frame["_defect"] != "").groupby(frame["_file"]).mean()
        assert (share < 0.02).all(), share.to_dict()
    assert (data["declarations"]["_defect"] != "").sum() > 0


def test_a_higher_defect_rate_exercises_every_kind(tmp_path: Path) -> None:
    summary = generate_landing(tmp_path / "d", clients=CLIENTS, seed=3, defect_rate=0.02)
    assert all(summary.allocation_defects.values()), summary.allocation_defects
    assert all(summary.declaration_defects.values()), summary.declaration_defects


def test_defect_rate_zero_gives_only_clean_rows(tmp_path: Path) -> None:
    summary = generate_landing(tmp_path / "d", clients=60, seed=3, defect_rate=0.0)
    assert summary.defective_rows == 0
    allocs = read_entity(tmp_path / "d", "allocations")
    assert (classify_allocations(allocs) == "").all()


# ---------------------------------------------------------------- folder handling
def test_refuses_a_folder_that_already_holds_data(tmp_path: Path) -> None:
    (tmp_path / "allocations").mkdir()
    (tmp_path / "allocations" / "delivery.csv").write_text("toewijzingnummer\n", encoding="utf-8")
    with pytest.raises(ValueError, match="already contains 1 data file"):
        generate_landing(tmp_path, clients=10)
    assert (tmp_path / "allocations" / "delivery.csv").exists()


def test_overwrite_replaces_earlier_generated_files(tmp_path: Path) -> None:
    generate_landing(tmp_path, clients=100, chunk_rows=1000)
    many = len(list(tmp_path.rglob("*.csv")))
    with pytest.raises(ValueError):
        generate_landing(tmp_path, clients=100)
    summary = generate_landing(tmp_path, clients=100, seed=9, overwrite=True)
    remaining = list(tmp_path.rglob("*.csv"))
    assert len(remaining) == summary.files_written < many
    assert all("-part-0000" in p.name for p in remaining)
    marker = json.loads((tmp_path / GENERATED_MARKER).read_text(encoding="utf-8"))
    assert marker["seed"] == 9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start_year": 2024, "end_year": 2023}, "before start_year"),
        ({"fmt": "xlsx"}, "format"),
        ({"clients": 0}, "clients"),
        ({"defect_rate": 0.5}, "defect_rate"),
    ],
)
def test_rejects_invalid_arguments(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_landing(tmp_path, **kwargs)


def test_progress_is_reported_per_block(tmp_path: Path) -> None:
    messages: list[str] = []
    generate_landing(tmp_path, clients=100, chunk_rows=1200, progress=messages.append)
    assert len(messages) == 5  # 1200 lines / (10 per client-year * 6 years) = 20 clients a part
    assert messages[-1].startswith("part 5/5: clients 81-100 of 100")


# ---------------------------------------------------------------- realistic mix
def test_products_come_from_the_catalogue_across_categories(data: dict[str, pd.DataFrame]) -> None:
    allocs = data["clean_allocations"]
    for category in ("41", "42", "43", "44", "45", "46", "47", "48", "50", "51", "52", "54"):
        assert (allocs["productcategorie"] == category).any(), category
    codes = allocs["productcode"][allocs["productcode"] != ""]
    assert (codes.str[:2] == allocs.loc[codes.index, "productcategorie"]).all()
    for code in ("45A01", "45B01", "45C01", "45D01", "45S01", "43A01", "44A01", "46A01"):
        assert (codes == code).any(), code


def test_units_fit_the_product(data: dict[str, pd.DataFrame]) -> None:
    for frame in (data["clean_allocations"], data["clean_declarations"]):
        category, code, unit = frame["productcategorie"], frame["productcode"], frame["eenheid"]
        assert (unit[category.isin(["43", "44", "46"])] == "14").all()
        assert (unit[code == "45D01"] == "82").all()
        assert unit[code.isin(["45A01", "45B01", "52A01"])].isin(["01", "04"]).all()
    etmalen = data["clean_declarations"][data["clean_declarations"]["eenheid"] == "14"]
    days = (
        pd.to_datetime(etmalen["einddatum"]) - pd.to_datetime(etmalen["begindatum"])
    ).dt.days + 1
    assert (etmalen["geleverd_volume"].astype(float) <= days).all()


def test_municipalities_are_the_three_regions_and_large_ones_have_more_clients(
    data: dict[str, pd.DataFrame],
) -> None:
    allocs = data["clean_allocations"]
    assert set(allocs["gemeentecode"]) <= TWENTE | NOORD_LIMBURG | LEKSTROOM
    for region in (TWENTE, NOORD_LIMBURG, LEKSTROOM):
        assert allocs["gemeentecode"].isin(region).any()
    clients = allocs.groupby("gemeentecode")["bsn"].nunique()
    assert clients.get("0153", 0) > clients.get("0183", 0)  # Enschede > Tubbergen
    assert clients.get("0983", 0) > clients.get("0893", 0)  # Venlo > Bergen


def test_clients_are_0_to_17_years_old_at_their_first_allocation(
    data: dict[str, pd.DataFrame],
) -> None:
    allocs = data["clean_allocations"]
    allocs = allocs[allocs["geboortedatum"] != ""]
    first = allocs.groupby("bsn").agg(
        birth=("geboortedatum", "first"), start=("ingangsdatum", "min")
    )
    birth = pd.to_datetime(first["birth"])
    start = pd.to_datetime(first["start"])
    age = (
        start.dt.year
        - birth.dt.year
        - ((start.dt.month * 100 + start.dt.day) < (birth.dt.month * 100 + birth.dt.day))
    )
    assert age.between(0, 17).all()


def test_allocations_have_versions_open_ends_reasons_and_referrers(
    data: dict[str, pd.DataFrame],
) -> None:
    clean = data["clean_allocations"].drop_duplicates(subset=columns("allocations"))
    effective = effective_versions(clean)
    first = (
        clean.sort_values("dagtekening")
        .drop_duplicates("toewijzingnummer")
        .set_index("toewijzingnummer")
    )
    both = effective.join(first, rsuffix="_first")
    both = both[(both["einddatum"] != "") & (both["einddatum_first"] != "")]
    assert (both["einddatum"] > both["einddatum_first"]).any(), "extensions"
    shortened = both["einddatum"] < both["einddatum_first"]
    assert (shortened & (both["einddatum"] >= both["ingangsdatum"])).any(), "shortenings"
    open_share = (effective["einddatum"] == "").mean()
    assert 0.04 <= open_share <= 0.2
    ended = effective[
        (effective["einddatum"] != "") & (effective["einddatum"] >= effective["ingangsdatum"])
    ]
    reasons = ended["reden_beeindiging"].value_counts(normalize=True)
    assert reasons.idxmax() == "31" and reasons["31"] > 0.5
    assert set(reasons.index) - {"31"} <= {"32", "33", "34", "35", "36", "37", "38", "39"}
    assert set(effective["verwijzer_type"]) <= {"", "01", "02", "03", "04", "05", "06", "08"}
    # an empty verwijzer_type only where the allocation answers a request (§2.1)
    assert (effective.loc[effective["verwijzer_type"] == "", "referentie_aanbieder"] != "").all()
    waiting = pd.to_datetime(effective["ingangsdatum"]) - pd.to_datetime(
        effective["toewijzingsdatum"].replace("", None)
    )
    assert (waiting.dt.days >= 0).mean() > 0.8, "usually issued before the start"


def test_clients_have_several_allocations_and_reentries_around_six_months(
    data: dict[str, pd.DataFrame],
) -> None:
    effective = effective_versions(data["clean_allocations"]).reset_index()
    care = effective[
        ~effective["productcategorie"].isin(["42", "47", "48", "49"])
        & ((effective["einddatum"] == "") | (effective["einddatum"] >= effective["ingangsdatum"]))
    ].sort_values(["bsn", "ingangsdatum"])
    assert (care.groupby("bsn").size() > 1).mean() > 0.3
    end = pd.to_datetime(care["einddatum"].replace("", "2200-12-31"))
    start = pd.to_datetime(care["ingangsdatum"])
    covered = end.groupby(care["bsn"]).cummax().groupby(care["bsn"]).shift()
    six_months_after = (covered + pd.Timedelta(days=1)) + pd.DateOffset(months=6)
    offset = (start - six_months_after).dt.days.dropna()
    assert (offset.abs() <= 14).sum() >= 10, "a good share of gaps lies near six months"
    assert (offset < -14).sum() > 0 and (offset > 14).sum() > 0
