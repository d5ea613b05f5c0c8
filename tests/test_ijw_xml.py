"""iJw XML messages (DEFINITIONS §1, §2): JW301 → allocation rows, JW323 → declaration rows;
an invalid message or one of the wrong type is rejected as a whole with its reason."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from orchestration.ingest.contract import column_names
from orchestration.ingest.ijw_xml import IjwMessageError, read_ijw_message

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ijw"
JW301_A = FIXTURES / "jw301_enschede_client_a.xml"
JW301_B = FIXTURES / "jw301_hengelo_client_b.xml"
JW323 = FIXTURES / "jw323_debit_credit.xml"
JW315 = FIXTURES / "jw315_request.xml"
MALFORMED = FIXTURES / "jw301_malformed.xml"
JW305 = FIXTURES / "jw305_start.xml"
JW307 = FIXTURES / "jw307_stop.xml"
JW325 = FIXTURES / "jw325_answer.xml"
JW325_TOTAL = FIXTURES / "jw325_total_mismatch.xml"

# The national schemas and examples live beside the project, not in it (users' clones lack them).
SHARED_IJW = Path(__file__).resolve().parents[2] / "shared" / "ijw"
needs_shared = pytest.mark.skipif(
    not SHARED_IJW.is_dir(), reason=f"iJw schemas and examples not present at {SHARED_IJW}"
)


def _rows(table: pa.Table) -> list[dict[str, str | None]]:
    return table.to_pylist()


def _edited(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, f"fixture edit target {old!r} not found"
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- JW301


def test_each_toewijzing_of_a_jw301_becomes_one_allocation_row() -> None:
    rows = _rows(read_ijw_message(JW301_A, "allocations"))
    common = {
        "gemeentecode": "0153",
        "aanbieder_agb": "12345678",
        "bsn": "123456782",
        "geboortedatum": "2012-05-17",
        "verwijzer_type": None,
        "reden_beeindiging": None,
        "dagtekening": "2025-02-03",
        "referentie_aanbieder": None,  # §2.1: this message answers no request
    }
    assert rows == [
        {
            **common,
            "toewijzingnummer": "100001",
            "productcategorie": "45",
            "productcode": "45A01",
            "ingangsdatum": "2025-02-01",
            "einddatum": "2025-07-31",
            "toewijzingsdatum": "2025-01-20",
            "volume": "3",
            "eenheid": "04",
            "frequentie": "2",
            "reden_wijziging": None,
        },
        {
            **common,
            "toewijzingnummer": "100002",
            "productcategorie": "43",
            "productcode": "43A01",
            "ingangsdatum": "2025-03-01",
            "einddatum": None,
            "toewijzingsdatum": "2025-01-20",
            "volume": "1",
            "eenheid": "14",
            "frequentie": "1",
            "reden_wijziging": None,
        },
        {
            **common,
            "toewijzingnummer": "100003",
            "productcategorie": "45",
            "productcode": "45B01",
            "ingangsdatum": "2024-09-01",
            "einddatum": "2025-01-31",
            "toewijzingsdatum": "2025-01-28",
            "volume": "20",
            "eenheid": "04",
            "frequentie": "6",
            "reden_wijziging": "01",
        },
    ]


def test_allocation_table_has_the_contract_columns_in_order_all_strings() -> None:
    table = read_ijw_message(JW301_A, "allocations")
    assert table.column_names == column_names("allocations")
    assert all(field.type == pa.string() for field in table.schema)


def test_second_client_message_takes_gemeente_and_aanbieder_from_its_header() -> None:
    rows = _rows(read_ijw_message(JW301_B, "allocations"))
    assert [(r["gemeentecode"], r["aanbieder_agb"], r["bsn"]) for r in rows] == [
        ("0164", "87654321", "111222333"),
        ("0164", "87654321", "111222333"),
    ]
    assert [r["dagtekening"] for r in rows] == ["2025-03-10", "2025-03-10"]


def test_product_without_code_or_omvang_gives_nulls_not_empty_strings() -> None:
    first = _rows(read_ijw_message(JW301_B, "allocations"))[0]
    assert first["toewijzingnummer"] == "200001"
    assert first["productcategorie"] == "45"
    assert (first["productcode"], first["volume"], first["eenheid"], first["frequentie"]) == (
        None,
        None,
        None,
        None,
    )


def test_empty_einddatum_element_is_null(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        JW301_A,
        "<jw301:Einddatum>2025-07-31</jw301:Einddatum>",
        "<jw301:Einddatum> </jw301:Einddatum>",
    )
    assert _rows(read_ijw_message(path, "allocations"))[0]["einddatum"] is None


def test_toewijzingnummer_is_an_integer_in_canonical_form(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        JW301_A,
        "<jw301:ToewijzingNummer>100001</jw301:ToewijzingNummer>",
        "<jw301:ToewijzingNummer> 0100001 </jw301:ToewijzingNummer>",
    )
    assert _rows(read_ijw_message(path, "allocations"))[0]["toewijzingnummer"] == "100001"


# ----------------------------------------------------------------------------- JW323


def test_each_prestatie_of_a_jw323_becomes_one_declaration_row() -> None:
    table = read_ijw_message(JW323, "declarations")
    assert table.column_names == column_names("declarations")
    rows = _rows(table)
    header = {"gemeentecode": "0153", "aanbieder_agb": "12345678"}
    assert [
        (r["declaratienummer"], r["debet_credit"], r["toewijzingnummer"], r["bsn"], r["bedrag"])
        for r in rows
    ] == [
        ("REF-0001", "D", "100001", "123456782", "90000"),
        ("REF-0002", "D", "100002", "123456782", "775000"),
        ("REF-0003", "C", "100001", "123456782", "30000"),
        ("REF-0004", "D", "100010", "999993653", "48000"),
    ]
    assert all({k: r[k] for k in header} == header for r in rows)
    assert rows[1] == {
        "declaratienummer": "REF-0002",
        "vorig_declaratienummer": None,
        "debet_credit": "D",
        "toewijzingnummer": "100002",
        "gemeentecode": "0153",
        "aanbieder_agb": "12345678",
        "bsn": "123456782",
        "productcategorie": "43",
        "productcode": "43A01",
        "begindatum": "2025-03-01",
        "einddatum": "2025-03-31",
        "geleverd_volume": "31",
        "eenheid": "14",
        "bedrag": "775000",
    }


def test_credit_line_names_the_line_it_reverses() -> None:
    credit = _rows(read_ijw_message(JW323, "declarations"))[2]
    assert (credit["debet_credit"], credit["vorig_declaratienummer"]) == ("C", "REF-0000")
    assert (credit["begindatum"], credit["einddatum"]) == ("2025-02-01", "2025-02-28")


def test_declared_total_that_differs_from_the_lines_rejects_the_message(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        JW323,
        "<ijw:TotaalBedrag>883000</ijw:TotaalBedrag>",
        "<ijw:TotaalBedrag>913000</ijw:TotaalBedrag>",
    )
    with pytest.raises(IjwMessageError, match="913000 D but the prestaties add up to 883000 D"):
        read_ijw_message(path, "declarations")


# ----------------------------------------------------------------------------- §2.1 messages


def test_jw305_start_products_become_care_start_rows() -> None:
    table = read_ijw_message(JW305, "care_starts")
    assert table.column_names == column_names("care_starts")
    assert [
        (r["toewijzingnummer"], r["gemeentecode"], r["aanbieder_agb"], r["begindatum"])
        + (r["status_aanlevering"], r["dagtekening"])
        for r in _rows(table)
    ] == [
        ("100001", "0153", "12345678", "2025-02-05", "1", "2025-03-04"),
        ("100002", "0153", "12345678", "2025-03-03", "1", "2025-03-04"),
    ]


def test_jw307_stop_products_become_care_stop_rows() -> None:
    table = read_ijw_message(JW307, "care_stops")
    assert table.column_names == column_names("care_stops")
    assert [
        (r["toewijzingnummer"], r["einddatum"], r["reden_beeindiging"], r["status_aanlevering"])
        for r in _rows(table)
    ] == [("100001", "2025-07-31", "31", "1"), ("100003", "2025-01-31", "33", "3")]


def test_jw315_requested_products_become_request_rows() -> None:
    rows = _rows(read_ijw_message(JW315, "allocation_requests"))
    assert rows == [
        {
            "referentie_aanbieder": "AANVR-1",
            "gemeentecode": "0153",
            "aanbieder_agb": "12345678",
            "bsn": "123456782",
            "productcategorie": "45",
            "productcode": "45A01",
            "ingangsdatum": "2025-02-01",
            "verwijzer_type": "02",
            "dagtekening": "2025-01-10",
        }
    ]


def test_jw325_prestaties_become_answer_rows_with_their_retourcodes() -> None:
    table = read_ijw_message(JW325, "declaration_responses")
    assert table.column_names == column_names("declaration_responses")
    assert _rows(table) == [
        {
            "declaratienummer": "REF-0001",
            "gemeentecode": "0153",
            "aanbieder_agb": "12345678",
            "retourcodes": "0200",
            "dagtekening": "2025-04-14",
        },
        {
            "declaratienummer": "REF-0002",
            "gemeentecode": "0153",
            "aanbieder_agb": "12345678",
            "retourcodes": "8001 9307",
            "dagtekening": "2025-04-14",
        },
    ]


def test_jw325_whose_awarded_total_counts_a_rejected_line_is_rejected() -> None:
    with pytest.raises(
        IjwMessageError,
        match=r"TotaalToegekendBedrag is 865000 D but the non-rejected prestaties add up to "
        r"90000 D .* and TotaalIngediendBedrag minus the rejected prestaties to 90000 D",
    ):
        read_ijw_message(JW325_TOTAL, "declaration_responses")


def test_jw325_listing_only_its_rejected_lines_checks_against_the_submitted_total(
    tmp_path: Path,
) -> None:
    # Without the accepted line: 865000 D submitted - 775000 D rejected = 90000 D awarded.
    text = JW325.read_text(encoding="utf-8")
    start = text.index("<jw325:Prestatie>")
    end = text.index("</jw325:Prestatie>") + len("</jw325:Prestatie>")
    path = tmp_path / "jw325_rejected_only.xml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    rows = _rows(read_ijw_message(path, "declaration_responses"))
    assert [(r["declaratienummer"], r["retourcodes"]) for r in rows] == [("REF-0002", "8001 9307")]


def test_jw325_prestatie_without_retourcode_is_rejected(tmp_path: Path) -> None:
    path = _edited(tmp_path, JW325, "<jw325:RetourCode>8001</jw325:RetourCode>", "")
    path = _edited(tmp_path, path, "<jw325:RetourCode>9307</jw325:RetourCode>", "")
    with pytest.raises(IjwMessageError, match=r"Prestatie\[2\]/RetourCodes/RetourCode is missing"):
        read_ijw_message(path, "declaration_responses")


def test_jw307_impossible_einddatum_rejects_the_message(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        JW307,
        "<jw307:Einddatum>2025-07-31</jw307:Einddatum>",
        "<jw307:Einddatum>2025-06-31</jw307:Einddatum>",
    )
    with pytest.raises(IjwMessageError, match=r"StopProduct\[1\]/Einddatum = '2025-06-31'"):
        read_ijw_message(path, "care_stops")


def test_no_message_belongs_in_outcome_reports() -> None:
    with pytest.raises(IjwMessageError, match="no iJw message carries outcome_reports"):
        read_ijw_message(JW305, "outcome_reports")


# ----------------------------------------------------------------------------- rejected files


def test_malformed_xml_is_rejected_naming_the_file() -> None:
    with pytest.raises(IjwMessageError, match="not well-formed XML") as info:
        read_ijw_message(MALFORMED, "allocations")
    assert info.value.path == MALFORMED
    assert str(info.value).startswith(str(MALFORMED))


@pytest.mark.parametrize("folder", ["allocations", "declarations"])
def test_jw315_request_is_the_wrong_message_type(folder: str) -> None:
    with pytest.raises(IjwMessageError, match=r"a JW315 \(verzoek om toewijzing\) message"):
        read_ijw_message(JW315, folder)


def test_declaration_message_in_allocations_is_rejected() -> None:
    with pytest.raises(
        IjwMessageError, match=r"JW323 \(declaratie\) message does not belong in allocations/"
    ):
        read_ijw_message(JW323, "allocations")


def test_allocation_message_in_declarations_is_rejected() -> None:
    with pytest.raises(IjwMessageError, match=r"expected JW323 \(declaratie\)"):
        read_ijw_message(JW301_A, "declarations")


def test_missing_required_element_is_named(tmp_path: Path) -> None:
    path = _edited(tmp_path, JW301_A, "<jw301:Bsn>123456782</jw301:Bsn>", "")
    with pytest.raises(IjwMessageError, match="required element Client/Bsn is missing"):
        read_ijw_message(path, "allocations")


def test_missing_required_element_of_the_second_line_names_its_position(tmp_path: Path) -> None:
    path = _edited(tmp_path, JW301_A, "<jw301:Ingangsdatum>2025-03-01</jw301:Ingangsdatum>", "")
    with pytest.raises(
        IjwMessageError,
        match=r"Client/ToegewezenProducten/ToegewezenProduct\[2\]/Ingangsdatum is missing",
    ):
        read_ijw_message(path, "allocations")


def test_impossible_date_rejects_the_message(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        JW301_A,
        "<jw301:Einddatum>2025-07-31</jw301:Einddatum>",
        "<jw301:Einddatum>2025-06-31</jw301:Einddatum>",
    )
    with pytest.raises(IjwMessageError, match="'2025-06-31' is not a valid date"):
        read_ijw_message(path, "allocations")


def test_gemeente_code_of_the_wrong_width_rejects_the_message(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        JW301_A,
        "<jw301:Afzender>0153</jw301:Afzender>",
        "<jw301:Afzender>153</jw301:Afzender>",
    )
    with pytest.raises(IjwMessageError, match="Header/Afzender = '153' is not 4 digit"):
        read_ijw_message(path, "allocations")


def test_debet_credit_other_than_d_or_c_rejects_the_message(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        JW323,
        "<ijw:DebetCredit>C</ijw:DebetCredit>",
        "<ijw:DebetCredit>X</ijw:DebetCredit>",
    )
    with pytest.raises(IjwMessageError, match="DebetCredit = 'X' is not D or C"):
        read_ijw_message(path, "declarations")


def test_bericht_code_must_match_the_message_type(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        JW301_A,
        "<jw301:BerichtCode>436</jw301:BerichtCode>",
        "<jw301:BerichtCode>446</jw301:BerichtCode>",
    )
    with pytest.raises(IjwMessageError, match="BerichtCode is '446', expected 436"):
        read_ijw_message(path, "allocations")


def test_other_ijw_release_is_rejected(tmp_path: Path) -> None:
    text = JW301_A.read_text(encoding="utf-8").replace("/ijw/3_2/", "/ijw/3_1/")
    path = tmp_path / "jw301_release_3_1.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IjwMessageError, match="release 3.1 is not supported"):
        read_ijw_message(path, "allocations")


def test_xml_that_is_not_an_ijw_message_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text("<?xml version='1.0'?><invoice><line/></invoice>", encoding="utf-8")
    with pytest.raises(IjwMessageError, match="not an iJw message"):
        read_ijw_message(path, "allocations")


def test_external_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("123456782")
    text = JW301_A.read_text(encoding="utf-8")
    text = text.replace(
        "<jw301:Bericht", f'<!DOCTYPE b [<!ENTITY x SYSTEM "file://{secret}">]>\n<jw301:Bericht', 1
    )
    text = text.replace("<jw301:Bsn>123456782</jw301:Bsn>", "<jw301:Bsn>&x;</jw301:Bsn>")
    path = tmp_path / "xxe.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IjwMessageError, match="Client/Bsn is empty"):
        read_ijw_message(path, "allocations")


def test_unknown_expected_entity_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="expected must be one of") as info:
        read_ijw_message(JW301_A, "clients")
    assert not isinstance(info.value, IjwMessageError)


# ----------------------------------------------------------------------------- national schemas


@needs_shared
@pytest.mark.parametrize(
    ("fixture", "schema"),
    [
        (JW301_A, "JW301"),
        (JW301_B, "JW301"),
        (JW323, "JW323"),
        (JW315, "JW315"),
        (JW305, "JW305"),
        (JW307, "JW307"),
        (JW325, "JW325"),
        (JW325_TOTAL, "JW325"),  # schema-valid: only the message check rejects it
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_fixture_is_valid_against_the_national_schema(fixture: Path, schema: str) -> None:
    from lxml import etree

    xsd = etree.XMLSchema(etree.parse(str(SHARED_IJW / "xsd" / f"{schema}.xsd")))
    valid = xsd.validate(etree.parse(str(fixture)))
    assert valid, str(xsd.error_log)


@needs_shared
def test_national_example_jw301_parses() -> None:
    rows = _rows(read_ijw_message(SHARED_IJW / "examples" / "JW301.xml", "allocations"))
    assert [
        (
            r["toewijzingnummer"],
            r["gemeentecode"],
            r["aanbieder_agb"],
            r["productcode"],
            r["einddatum"],
        )
        for r in rows
    ] == [
        ("300201", "0384", "42420001", "55A11", "2026-07-14"),
        ("300202", "0384", "42420001", "55A12", "2026-07-19"),
    ]


@needs_shared
def test_national_example_jw323_parses() -> None:
    rows = _rows(read_ijw_message(SHARED_IJW / "examples" / "JW323.xml", "declarations"))
    assert [(r["declaratienummer"], r["bsn"], r["bedrag"]) for r in rows] == [
        ("RN001", "999900006", "5000"),
        ("RN002", "999900006", "24000"),
        ("RN003", "999900018", "5000"),
        ("RN004", "999900018", "24000"),
        ("RN004", "999900018", "21000"),
    ]
    assert {(r["gemeentecode"], r["aanbieder_agb"]) for r in rows} == {("0384", "65656055")}


@needs_shared
def test_national_example_jw315_is_rejected_as_the_wrong_type() -> None:
    with pytest.raises(IjwMessageError, match="JW315"):
        read_ijw_message(SHARED_IJW / "examples" / "JW315.xml", "allocations")


@needs_shared
def test_national_example_jw301_carries_the_request_reference() -> None:
    rows = _rows(read_ijw_message(SHARED_IJW / "examples" / "JW301.xml", "allocations"))
    assert [r["referentie_aanbieder"] for r in rows] == ["40A12341234", "40A12341235"]


@needs_shared
def test_national_example_jw305_parses() -> None:
    rows = _rows(read_ijw_message(SHARED_IJW / "examples" / "JW305.xml", "care_starts"))
    assert rows == [
        {
            "toewijzingnummer": "300201",
            "gemeentecode": "0363",
            "aanbieder_agb": "65656055",
            "bsn": "999900006",
            "productcategorie": "55",
            "productcode": "55A11",
            "begindatum": "2026-04-03",
            "dagtekening": "2026-04-15",
            "status_aanlevering": "1",
        },
        {
            "toewijzingnummer": "300202",
            "gemeentecode": "0363",
            "aanbieder_agb": "65656055",
            "bsn": "999900006",
            "productcategorie": "55",
            "productcode": "55A12",
            "begindatum": "2026-04-15",
            "dagtekening": "2026-04-15",
            "status_aanlevering": "1",
        },
    ]


@needs_shared
def test_national_example_jw307_parses() -> None:
    rows = _rows(read_ijw_message(SHARED_IJW / "examples" / "JW307.xml", "care_stops"))
    assert [
        (
            r["toewijzingnummer"],
            r["gemeentecode"],
            r["aanbieder_agb"],
            r["productcode"],
            r["begindatum"],
            r["einddatum"],
            r["reden_beeindiging"],
            r["dagtekening"],
            r["status_aanlevering"],
        )
        for r in rows
    ] == [
        (
            "300201",
            "0363",
            "65656055",
            "55A11",
            "2026-04-03",
            "2026-07-17",
            "31",
            "2026-07-20",
            "1",
        ),
        (
            "300202",
            "0363",
            "65656055",
            "55A12",
            "2026-04-15",
            "2026-07-17",
            "31",
            "2026-07-20",
            "1",
        ),
    ]


@needs_shared
def test_national_example_jw315_is_rejected_for_its_impossible_date() -> None:
    # ../shared/ijw/README.md: the example is not schema-valid (ToewijzingEinddatum 2027-06-31)
    with pytest.raises(
        IjwMessageError,
        match=r"AangevraagdProduct\[1\]/ToewijzingEinddatum = '2027-06-31' is not a valid date",
    ):
        read_ijw_message(SHARED_IJW / "examples" / "JW315.xml", "allocation_requests")


@needs_shared
def test_national_example_jw315_with_its_date_corrected_parses(tmp_path: Path) -> None:
    text = (SHARED_IJW / "examples" / "JW315.xml").read_text(encoding="utf-8")
    path = tmp_path / "JW315.xml"  # a corrected copy outside the repository
    path.write_text(text.replace("2027-06-31", "2027-06-30"), encoding="utf-8")
    rows = _rows(read_ijw_message(path, "allocation_requests"))
    assert [
        (
            r["referentie_aanbieder"],
            r["gemeentecode"],
            r["aanbieder_agb"],
            r["bsn"],
            r["productcode"],
            r["ingangsdatum"],
            r["verwijzer_type"],
            r["dagtekening"],
        )
        for r in rows
    ] == [
        ("40A12341234", "0384", "42420001", "999900006", "55A11", "2026-04-01", "01", "2026-04-01"),
        ("40A12341235", "0384", "42420001", "999900006", "55A12", "2026-04-01", "02", "2026-04-01"),
    ]


@needs_shared
def test_national_example_jw325_parses() -> None:
    # It lists only its rejected prestaties (24000 C): 58000 C submitted - 24000 C = 34000 C
    # awarded, so the message check holds.
    rows = _rows(read_ijw_message(SHARED_IJW / "examples" / "JW325.xml", "declaration_responses"))
    assert rows == [
        {
            "declaratienummer": "RN001",
            "gemeentecode": "0384",
            "aanbieder_agb": "65656055",
            "retourcodes": "0611",
            "dagtekening": "2023-05-07",
        },
        {
            "declaratienummer": "RN002",
            "gemeentecode": "0384",
            "aanbieder_agb": "65656055",
            "retourcodes": "9339 9340 9341",
            "dagtekening": "2023-05-07",
        },
        {
            "declaratienummer": "RN003",
            "gemeentecode": "0384",
            "aanbieder_agb": "65656055",
            "retourcodes": "9307",
            "dagtekening": "2023-05-07",
        },
    ]


@needs_shared
@pytest.mark.parametrize(
    ("example", "folder"),
    [("JW305", "care_stops"), ("JW307", "care_starts"), ("JW325", "declarations")],
)
def test_national_example_in_the_wrong_folder_is_rejected(example: str, folder: str) -> None:
    with pytest.raises(
        IjwMessageError, match=f"a {example} .* message does not belong in {folder}/"
    ):
        read_ijw_message(SHARED_IJW / "examples" / f"{example}.xml", folder)
