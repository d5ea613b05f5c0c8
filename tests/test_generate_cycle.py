"""The generated iJw message cycle and outcome reports (DEFINITIONS §2.1), CSV and iJw XML."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from orchestration.generate import GenerateSummary, generate_landing

SHARED_IJW = Path(__file__).resolve().parents[1].parent / "shared" / "ijw"
SEED, CLIENTS = 11, 1500
HEADERS = {
    "allocations": "toewijzingnummer,gemeentecode,aanbieder_agb,bsn,geboortedatum,"
    "productcategorie,productcode,ingangsdatum,einddatum,toewijzingsdatum,volume,eenheid,"
    "frequentie,reden_wijziging,verwijzer_type,reden_beeindiging,dagtekening,referentie_aanbieder",
    "declarations": "declaratienummer,vorig_declaratienummer,debet_credit,toewijzingnummer,"
    "gemeentecode,aanbieder_agb,bsn,productcategorie,productcode,begindatum,einddatum,"
    "geleverd_volume,eenheid,bedrag",
    "care_starts": "toewijzingnummer,gemeentecode,aanbieder_agb,bsn,productcategorie,productcode,"
    "begindatum,dagtekening,status_aanlevering",
    "care_stops": "toewijzingnummer,gemeentecode,aanbieder_agb,bsn,productcategorie,productcode,"
    "begindatum,einddatum,reden_beeindiging,dagtekening,status_aanlevering",
    "allocation_requests": "referentie_aanbieder,gemeentecode,aanbieder_agb,bsn,productcategorie,"
    "productcode,ingangsdatum,verwijzer_type,dagtekening",
    "declaration_responses": "declaratienummer,gemeentecode,aanbieder_agb,retourcodes,dagtekening",
    "outcome_reports": "toewijzingnummer,gemeentecode,aanbieder_agb,bsn,einddatum,doelen_behaald,"
    "rapportagedatum",
}
SEGMENT_4 = {
    "40A01", "45A01", "45A02", "45A03", "45A04", "45B01", "45D01", "45S01", "45V01", "50A01",
    "51A01", "52A01", "53A01", "54A01",
}  # fmt: skip


def read(out: Path, entity: str) -> pd.DataFrame:
    files = sorted((out / entity).glob("*.csv"))
    return pd.concat(
        [pd.read_csv(p, dtype=str, keep_default_na=False) for p in files], ignore_index=True
    )


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateSummary]:
    out = tmp_path_factory.mktemp("cycle") / "csv"
    return out, generate_landing(out, clients=CLIENTS, seed=SEED)


@pytest.fixture(scope="module")
def data(landing: tuple[Path, GenerateSummary]) -> dict[str, pd.DataFrame]:
    out, _ = landing
    frames = {entity: read(out, entity) for entity in HEADERS}
    allocs = frames["allocations"]
    # clean allocations: not the tag-9 defective copies
    clean = allocs[allocs["toewijzingnummer"].str[1] == "0"].drop_duplicates()
    ordered = clean.sort_values(["toewijzingnummer", "dagtekening"])
    frames["effective"] = ordered.drop_duplicates("toewijzingnummer", keep="last").set_index(
        "toewijzingnummer"
    )
    return frames


def effective_ended(data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    eff = data["effective"]
    return eff[(eff["einddatum"] != "") & (eff["einddatum"] >= eff["ingangsdatum"])]


def latest(frame: pd.DataFrame) -> pd.DataFrame:
    """The latest message per allocation (highest dagtekening), withdrawals dropped (§2.1)."""
    last = frame.sort_values(["toewijzingnummer", "dagtekening"]).drop_duplicates(
        "toewijzingnummer", keep="last"
    )
    return last[last["status_aanlevering"] == "1"].set_index("toewijzingnummer")


# ---------------------------------------------------------------- format
def test_every_entity_has_exactly_the_listed_csv_header(
    landing: tuple[Path, GenerateSummary],
) -> None:
    out, _ = landing
    for entity, header in HEADERS.items():
        files = sorted((out / entity).glob("*.csv"))
        assert files, entity
        for path in files:
            assert path.read_text(encoding="utf-8").split("\n", 1)[0] == header, path


def test_same_seed_gives_the_same_bytes_in_every_folder(tmp_path: Path) -> None:
    def digest(out: Path) -> dict[str, str]:
        return {
            str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*"))
            if p.is_file()
        }

    for fmt in ("csv", "xml"):
        args = {"clients": 80, "start_year": 2022, "end_year": 2024, "seed": 4, "fmt": fmt}
        generate_landing(tmp_path / f"{fmt}-a", **args)
        generate_landing(tmp_path / f"{fmt}-b", **args)
        a, b = digest(tmp_path / f"{fmt}-a"), digest(tmp_path / f"{fmt}-b")
        assert a == b
        assert {name.split("/")[0] for name in a} >= set(HEADERS), fmt


# ---------------------------------------------------------------- proportions
def test_most_started_allocations_have_a_start_after_the_toewijzingsdatum(
    data: dict[str, pd.DataFrame],
) -> None:
    eff = data["effective"]
    live = eff[(eff["einddatum"] == "") | (eff["einddatum"] >= eff["ingangsdatum"])]
    starts = latest(data["care_starts"])
    share = live.index.isin(starts.index).mean()
    assert 0.8 <= share <= 0.95
    both = starts.join(live, rsuffix="_alloc", how="inner")
    assert (both["begindatum"] >= both["ingangsdatum"]).all()
    issued = both["toewijzingsdatum"].replace("", None).fillna(both["ingangsdatum"])
    wait = (pd.to_datetime(both["begindatum"]) - pd.to_datetime(issued)).dt.days
    assert wait.median() >= 1 and wait.quantile(0.9) <= 120
    status = data["care_starts"]["status_aanlevering"]
    assert set(status) == {"1", "3"}
    assert 0.005 <= (status == "3").mean() <= 0.06


def test_most_ended_allocations_have_a_stop_mostly_according_to_plan(
    data: dict[str, pd.DataFrame],
) -> None:
    ended = effective_ended(data)
    stops = latest(data["care_stops"])
    assert 0.7 <= ended.index.isin(stops.index).mean() <= 0.95
    reasons = stops["reden_beeindiging"].value_counts(normalize=True)
    assert set(reasons.index) <= {"02", "20", "31", "32", "33", "34", "35", "36", "37", "38", "39"}
    assert 0.6 <= reasons["31"] <= 0.9 and len(reasons) >= 5
    both = stops.join(ended, rsuffix="_alloc", how="inner")
    assert (both["einddatum"] == both["einddatum_alloc"]).all()
    assert (both["begindatum"] <= both["einddatum"]).all()


def test_requests_for_a_share_of_allocations_whose_referrer_they_carry(
    data: dict[str, pd.DataFrame],
) -> None:
    eff = data["effective"]
    requested = eff["referentie_aanbieder"] != ""
    assert 0.25 <= requested.mean() <= 0.5
    assert (eff.loc[~requested, "verwijzer_type"] != "").all()
    hidden = (eff.loc[requested, "verwijzer_type"] == "").mean()
    assert 0.5 <= hidden <= 0.85
    requests = data["allocation_requests"]
    assert set(requests["verwijzer_type"]) <= {"02", "03", "05"}
    assert (requests["dagtekening"] <= requests["ingangsdatum"]).mean() > 0.5


def test_a_few_percent_of_answered_declaration_lines_are_rejected(
    data: dict[str, pd.DataFrame],
) -> None:
    decls = data["declarations"]
    responses = data["declaration_responses"]
    assert responses["declaratienummer"].is_unique
    assert 0.85 <= len(responses) / len(decls) <= 0.99
    rejected = responses["retourcodes"] != "0200"
    assert 0.015 <= rejected.mean() <= 0.06
    codes = set(" ".join(responses["retourcodes"]).split())
    assert codes <= {"0200", "0611", "9307", "9339", "9340", "9341"}
    assert not responses.loc[rejected, "retourcodes"].str.contains("0200").any()


def test_outcome_reports_for_most_ended_segment_4_allocations_mostly_achieved(
    data: dict[str, pd.DataFrame],
) -> None:
    ended = effective_ended(data)
    ended4 = ended[ended["productcode"].isin(SEGMENT_4)]
    reports = data["outcome_reports"].set_index("toewijzingnummer")
    assert reports.index.is_unique
    assert 0.7 <= ended4.index.isin(reports.index).mean() <= 0.95
    assert set(reports.index) <= set(ended.index)
    goals = reports["doelen_behaald"].value_counts(normalize=True)
    assert set(goals.index) == {"ja", "deels", "nee"} and 0.55 <= goals["ja"] <= 0.85
    assert (reports["rapportagedatum"] > reports["einddatum"]).all()


# ---------------------------------------------------------------- referential integrity
def test_every_message_names_a_generated_allocation_or_line(
    data: dict[str, pd.DataFrame],
) -> None:
    allocs = data["allocations"]
    known = set(zip(allocs["gemeentecode"], allocs["toewijzingnummer"], strict=True))
    for entity in ("care_starts", "care_stops", "outcome_reports"):
        frame = data[entity]
        named = set(zip(frame["gemeentecode"], frame["toewijzingnummer"], strict=True))
        assert named <= known, entity
    lines = data["declarations"]
    line_keys = set(
        zip(lines["declaratienummer"], lines["gemeentecode"], lines["aanbieder_agb"], strict=True)
    )
    responses = data["declaration_responses"]
    answered = zip(
        responses["declaratienummer"],
        responses["gemeentecode"],
        responses["aanbieder_agb"],
        strict=True,
    )
    assert set(answered) <= line_keys
    requests = data["allocation_requests"]
    request_keys = set(
        zip(
            requests["gemeentecode"],
            requests["aanbieder_agb"],
            requests["referentie_aanbieder"],
            strict=True,
        )
    )
    referring = allocs[allocs["referentie_aanbieder"] != ""]
    referred = zip(
        referring["gemeentecode"],
        referring["aanbieder_agb"],
        referring["referentie_aanbieder"],
        strict=True,
    )
    assert set(referred) <= request_keys
    assert len(request_keys) == len(requests)


def test_messages_are_dated_within_the_generated_years(
    landing: tuple[Path, GenerateSummary], data: dict[str, pd.DataFrame]
) -> None:
    _, summary = landing
    last = dt.date(summary.end_year, 12, 31).isoformat()
    for entity, column in (
        ("care_starts", "dagtekening"),
        ("care_stops", "dagtekening"),
        ("declaration_responses", "dagtekening"),
        ("outcome_reports", "rapportagedatum"),
    ):
        assert (data[entity][column] <= last).all(), entity
    assert summary.cycle_rows == {
        entity: len(data[entity])
        for entity in (
            "care_starts",
            "care_stops",
            "allocation_requests",
            "declaration_responses",
            "outcome_reports",
        )
    }


# ---------------------------------------------------------------- iJw XML
@pytest.fixture(scope="module")
def xml_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("xml") / "xml"
    generate_landing(out, clients=60, start_year=2023, end_year=2024, seed=5, fmt="xml")
    return out


def test_xml_landing_has_one_message_type_per_folder_and_csv_outcomes(xml_landing: Path) -> None:
    expected = {
        "allocations": "JW301",
        "care_starts": "JW305",
        "care_stops": "JW307",
        "allocation_requests": "JW315",
        "declarations": "JW323",
        "declaration_responses": "JW325",
    }
    for folder, message in expected.items():
        files = list((xml_landing / folder).iterdir())
        assert files and all(p.name.startswith(message) and p.suffix == ".xml" for p in files)
    outcomes = list((xml_landing / "outcome_reports").iterdir())
    assert outcomes and all(p.suffix == ".csv" for p in outcomes)


def test_xml_jw325_totals_equal_the_accepted_prestaties(xml_landing: Path) -> None:
    from lxml import etree

    ns = {
        "m": "http://www.istandaarden.nl/ijw/3_2/jw325/schema",
        "b": "http://www.istandaarden.nl/ijw/3_2/basisschema/schema",
    }

    def signed(node: etree._Element, amount: str) -> int:
        value = int(node.findtext(f"b:{amount}", namespaces=ns))
        return value if node.findtext("b:DebetCredit", namespaces=ns) == "D" else -value

    rejected = 0
    for path in (xml_landing / "declaration_responses").iterdir():
        root = etree.parse(str(path)).getroot()
        answer = root.find("m:DeclaratieAntwoord", ns)
        accepted = 0
        for prestatie in answer.iterfind(".//m:Prestatie", ns):
            codes = prestatie.findall("m:RetourCodes/m:RetourCode", ns)
            if [c.text for c in codes] == ["0200"]:
                accepted += signed(prestatie.find("m:IngediendBedrag", ns), "Bedrag")
            else:
                rejected += 1
        assert signed(answer.find("m:TotaalToegekendBedrag", ns), "TotaalBedrag") == accepted
    assert rejected > 0


def test_xml_landing_is_valid_against_the_national_schemas(xml_landing: Path) -> None:
    if not (SHARED_IJW / "xsd").is_dir():
        pytest.skip(f"iJw schemas and examples not present in {SHARED_IJW}")
    from lxml import etree

    schemas: dict[str, etree.XMLSchema] = {}
    checked = 0
    for path in sorted(xml_landing.rglob("*.xml")):
        message = path.name[:5]
        if message not in schemas:
            schemas[message] = etree.XMLSchema(
                etree.parse(str(SHARED_IJW / "xsd" / f"{message}.xsd"))
            )
        schema = schemas[message]
        assert schema.validate(etree.parse(str(path))), f"{path}: {schema.error_log.last_error}"
        checked += 1
    assert set(schemas) == {"JW301", "JW305", "JW307", "JW315", "JW323", "JW325"}
    assert checked > 100


def test_xml_allocations_and_declarations_are_read_by_the_ingest(xml_landing: Path) -> None:
    from orchestration.ingest.ijw_xml import read_ijw_message

    rows = {"allocations": 0, "declarations": 0}
    for entity in rows:
        for path in sorted((xml_landing / entity).glob("*.xml")):
            rows[entity] += read_ijw_message(path, entity).num_rows
    assert rows["allocations"] > 0 and rows["declarations"] > rows["allocations"]
