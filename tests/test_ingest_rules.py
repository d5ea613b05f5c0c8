"""Row rules of DEFINITIONS §2: each bad row lands in raw.quarantine once, with its rule.

Every test ingests a few hand-written rows; expected rules and counts are worked out by hand
next to the rows.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import validate
from orchestration.ingest.report import FileReport
from orchestration.ingest.validate import RULES
from tests.test_ingest_support import (
    OTHER_VALID_BSN,
    VALID_BSN,
    alloc,
    assert_files_balance,
    csv_text,
    decl,
    ingest,
    ingest_rows,
    loaded,
    make_landing,
    quarantined,
)

CASES = Path(__file__).resolve().parent / "fixtures" / "cases" / "trajectories"


def single_quarantined(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    rows = quarantined(con)
    assert len(rows) == 1, rows
    return rows[0]


def assert_allocation_rule(tmp_path: Path, rule: str, **changes: str) -> dict[str, object]:
    """One clean allocation (row 1) and one with `changes` (row 2): row 2 breaks `rule`."""
    report, con = ingest_rows(
        tmp_path, allocations=[alloc(), alloc(toewijzingnummer="T002", **changes)]
    )
    row = single_quarantined(con)
    assert (row["entity"], row["source_file"], row["source_row"]) == (
        "allocations",
        "allocations/a.csv",
        2,
    )
    assert row["rule"] == rule
    [f] = report.files
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined, f.rows_duplicate) == (2, 1, 1, 0)
    assert f.quarantined_by_rule == {rule: 1}
    return row


def assert_declaration_rule(tmp_path: Path, rule: str, **changes: str) -> dict[str, object]:
    """One allocation, one clean declaration (row 1), one with `changes` (row 2)."""
    report, con = ingest_rows(
        tmp_path,
        allocations=[alloc()],
        declarations=[decl(), decl(declaratienummer="D002", **changes)],
    )
    row = single_quarantined(con)
    assert (row["entity"], row["source_row"], row["rule"]) == ("declarations", 2, rule)
    f = next(f for f in report.files if f.entity == "declarations")
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined, f.rows_duplicate) == (2, 1, 1, 0)
    assert f.quarantined_by_rule == {rule: 1}
    return row


# ----------------------------------------------------------------------------- clean rows


def test_clean_rows_load_typed_with_lineage(tmp_path: Path) -> None:
    report, con = ingest_rows(tmp_path, allocations=[alloc()], declarations=[decl()])
    assert quarantined(con) == []
    row = con.execute(
        "SELECT gemeentecode, ingangsdatum, einddatum, volume, reden_beeindiging, "
        "_source_file, _source_row, _file_seq FROM raw.allocations"
    ).fetchall()
    assert row == [
        ("0153", dt.date(2023, 1, 1), dt.date(2023, 12, 31), 10, None, "allocations/a.csv", 1, 1)
    ]
    row = con.execute(
        "SELECT debet_credit, geleverd_volume, bedrag, _source_file, _source_row "
        "FROM raw.declarations"
    ).fetchall()
    assert row == [("D", 10.0, 75000, "declarations/d.csv", 1)]
    assert [(f.path, f.rows_loaded) for f in report.files] == [
        ("allocations/a.csv", 1),
        ("declarations/d.csv", 1),
    ]


def test_worked_case_file_loads_without_quarantine(tmp_path: Path) -> None:
    """The §4 worked cases have only some §2 columns: missing optional columns are fine."""
    landing = make_landing(tmp_path, {})
    shutil.copy(CASES / "allocations.csv", landing / "allocations" / "allocations.csv")
    peildatum = dt.date.fromisoformat((CASES / "peildatum.txt").read_text().strip())
    report, con = ingest(landing, peildatum=peildatum)
    [f] = report.files
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined, f.rows_duplicate) == (20, 20, 0, 0)
    assert quarantined(con) == []
    # The withdrawn version of VISW001 (einddatum before ingangsdatum) is loaded as delivered.
    assert con.execute(
        "SELECT count(*) FROM raw.allocations WHERE toewijzingnummer = 'VISW001'"
    ).fetchall() == [(2,)]


# ----------------------------------------------------------------------------- single-row rules


def test_empty_required_value_is_missing_required(tmp_path: Path) -> None:
    row = assert_allocation_rule(tmp_path, "missing_required", aanbieder_agb="")
    assert row["rules"] == "missing_required"


def test_whitespace_only_required_value_is_missing_required(tmp_path: Path) -> None:
    assert_declaration_rule(tmp_path, "missing_required", eenheid="   ")


def test_impossible_date_is_invalid_date(tmp_path: Path) -> None:
    assert_allocation_rule(tmp_path, "invalid_date", einddatum="2023-02-30")


def test_non_iso_date_is_invalid_date(tmp_path: Path) -> None:
    assert_declaration_rule(tmp_path, "invalid_date", begindatum="01-01-2023")


def test_date_before_2015_is_out_of_range(tmp_path: Path) -> None:
    assert_allocation_rule(tmp_path, "date_out_of_range", ingangsdatum="2014-12-31")


def test_date_more_than_five_years_after_peildatum_is_out_of_range(tmp_path: Path) -> None:
    # peildatum 2024-01-01 + 5 years = 2029-01-01 is the last plausible date.
    assert_allocation_rule(tmp_path, "date_out_of_range", einddatum="2029-01-02")


def test_date_exactly_five_years_after_peildatum_is_in_range(tmp_path: Path) -> None:
    _, con = ingest_rows(tmp_path, allocations=[alloc(einddatum="2029-01-01")])
    assert quarantined(con) == []


def test_birth_date_before_2015_is_valid(tmp_path: Path) -> None:
    _, con = ingest_rows(tmp_path, allocations=[alloc(geboortedatum="2008-03-04")])
    assert quarantined(con) == []
    assert loaded(con, "allocations", "geboortedatum") == [dt.date(2008, 3, 4)]


def test_bsn_failing_elfproef_is_quarantined(tmp_path: Path) -> None:
    # 123456789: 9+16+21+24+25+24+21+16-9 = 147 = 13*11 + 4, not divisible by 11.
    assert_allocation_rule(tmp_path, "invalid_bsn", bsn="123456789")


def test_bsn_with_eight_digits_is_invalid_bsn(tmp_path: Path) -> None:
    assert_declaration_rule(tmp_path, "invalid_bsn", bsn="12345678")


def test_bsn_of_zeros_is_invalid_bsn(tmp_path: Path) -> None:
    assert_allocation_rule(tmp_path, "invalid_bsn", bsn="000000000")


def test_three_digit_gemeentecode_is_invalid_gemeentecode(tmp_path: Path) -> None:
    assert_allocation_rule(tmp_path, "invalid_gemeentecode", gemeentecode="153")


def test_seven_digit_agb_is_invalid_agb(tmp_path: Path) -> None:
    assert_allocation_rule(tmp_path, "invalid_agb", aanbieder_agb="1234567")


def test_letter_in_productcategorie_is_invalid_productcategorie(tmp_path: Path) -> None:
    assert_declaration_rule(tmp_path, "invalid_productcategorie", productcategorie="4A")


def test_legacy_category_without_successor_is_quarantined(tmp_path: Path) -> None:
    # REFERENCE_DATA: 38 (2015, "overig residentieel") could be 43 or 44: quarantined.
    assert_allocation_rule(
        tmp_path, "legacy_productcategorie_without_successor", productcategorie="38"
    )


def test_legacy_category_of_a_declaration_line_without_successor_is_quarantined(
    tmp_path: Path,
) -> None:
    assert_declaration_rule(
        tmp_path, "legacy_productcategorie_without_successor", productcategorie="38"
    )


def test_legacy_categories_with_a_successor_are_loaded_as_delivered(tmp_path: Path) -> None:
    # 31–37 are accepted; raw keeps the delivered code (staging reads it as its successor).
    allocations = [
        alloc(toewijzingnummer=f"T{code}", productcategorie=code)
        for code in map(str, range(31, 38))
    ]
    report, con = ingest_rows(tmp_path, allocations=allocations)
    assert quarantined(con) == []
    assert sorted(
        r[0] for r in con.execute("SELECT productcategorie FROM raw.allocations").fetchall()
    ) == [str(code) for code in range(31, 38)]
    assert report.files[0].rows_loaded == 7


def test_legacy_codes_without_successor_come_from_the_seed(tmp_path: Path, monkeypatch) -> None:
    seed = tmp_path / "legacy.csv"
    seed.write_text("productcategorie,name,successor_productcategorie\n31,a,45\n38,b,\n36,c,\n")
    monkeypatch.setattr(validate, "LEGACY_PRODUCTCATEGORIE_SEED", seed)
    assert validate.legacy_codes_without_successor() == ("36", "38")
    seed.write_text("productcategorie,name,successor_productcategorie\n38,b,43\n")
    assert validate.legacy_codes_without_successor() == ()  # a replaced seed counts at once
    seed.write_text("code,successor\n38,\n")
    with pytest.raises(ValueError, match="successor_productcategorie"):
        validate.legacy_codes_without_successor()


def test_text_volume_is_invalid_number(tmp_path: Path) -> None:
    assert_allocation_rule(tmp_path, "invalid_number", volume="tien")


def test_bedrag_with_fraction_of_a_cent_is_invalid_number(tmp_path: Path) -> None:
    assert_declaration_rule(tmp_path, "invalid_number", bedrag="12.50")


def test_decimal_comma_volume_is_invalid_number(tmp_path: Path) -> None:
    assert_declaration_rule(tmp_path, "invalid_number", geleverd_volume="1,5")


def test_negative_bedrag_is_negative_amount(tmp_path: Path) -> None:
    assert_declaration_rule(tmp_path, "negative_amount", bedrag="-100")


def test_negative_geleverd_volume_is_negative_amount(tmp_path: Path) -> None:
    assert_declaration_rule(tmp_path, "negative_amount", geleverd_volume="-0.5")


def test_debet_credit_other_than_d_or_c_is_invalid(tmp_path: Path) -> None:
    assert_declaration_rule(tmp_path, "invalid_debet_credit", debet_credit="X")


def test_declaration_ending_before_it_begins_is_end_before_start(tmp_path: Path) -> None:
    assert_declaration_rule(tmp_path, "end_before_start", einddatum="2022-12-31")


def test_withdrawn_allocation_version_is_loaded_not_quarantined(tmp_path: Path) -> None:
    """§2: einddatum before ingangsdatum withdraws the allocation; it is not an error."""
    withdrawn = alloc(einddatum="2022-12-31", dagtekening="2023-01-10")
    report, con = ingest_rows(tmp_path, allocations=[alloc(), withdrawn])
    assert quarantined(con) == []
    assert loaded(con, "allocations", "einddatum") == [dt.date(2023, 12, 31), dt.date(2022, 12, 31)]
    assert report.files[0].rows_loaded == 2


def test_primary_rule_is_first_in_priority_and_all_rules_are_listed(tmp_path: Path) -> None:
    row = assert_allocation_rule(
        tmp_path, "invalid_date", bsn="123", gemeentecode="153", einddatum="2023-02-30"
    )
    assert row["rules"] == "invalid_date,invalid_bsn,invalid_gemeentecode"


def test_quarantine_keeps_the_original_values(tmp_path: Path) -> None:
    row = assert_allocation_rule(tmp_path, "invalid_agb", aanbieder_agb="0012345")
    values = row["original_values"]
    assert values["aanbieder_agb"] == "0012345"
    assert values["gemeentecode"] == "0153"
    assert values["toewijzingnummer"] == "T002"


def test_rule_ids_are_snake_case_with_a_reason() -> None:
    assert len(RULES) == 24  # 18 of §2, 6 of §2.1 (five code and format rules, unknown_declaration)
    for rule, reason in RULES.items():
        assert rule.replace("_", "").isalpha() and rule == rule.lower()
        assert reason


# ----------------------------------------------------------------------------- versions


def test_conflicting_versions_are_all_quarantined_and_the_earlier_version_stands(
    tmp_path: Path,
) -> None:
    rows = [
        alloc(dagtekening="2023-01-01"),  # row 1: earlier version, stands
        alloc(dagtekening="2023-02-01", einddatum="2023-06-30"),  # row 2: conflicts with row 3
        alloc(dagtekening="2023-02-01", einddatum="2023-09-30"),  # row 3
    ]
    report, con = ingest_rows(tmp_path, allocations=rows)
    q = quarantined(con)
    assert [(r["source_row"], r["rule"]) for r in q] == [
        (2, "conflicting_versions"),
        (3, "conflicting_versions"),
    ]
    assert loaded(con, "allocations", "dagtekening") == [dt.date(2023, 1, 1)]
    assert report.files[0].quarantined_by_rule == {"conflicting_versions": 2}


def test_malformed_version_does_not_conflict_with_a_valid_one(tmp_path: Path) -> None:
    """Cross-row rules compare only rows that pass the single-row rules."""
    rows = [alloc(), alloc(einddatum="2023-06-30", bsn="123456789")]
    _, con = ingest_rows(tmp_path, allocations=rows)
    assert [(r["source_row"], r["rules"]) for r in quarantined(con)] == [(2, "invalid_bsn")]
    assert loaded(con, "allocations", "_source_row") == [1]


def test_versions_without_dagtekening_do_not_conflict(tmp_path: Path) -> None:
    """Without dagtekening the later file/row wins downstream; both versions load."""
    rows = [alloc(dagtekening=""), alloc(dagtekening="", einddatum="2023-06-30")]
    _, con = ingest_rows(tmp_path, allocations=rows)
    assert quarantined(con) == []
    assert loaded(con, "allocations", "_source_row") == [1, 2]


def test_same_declaratienummer_with_different_content_quarantines_all(tmp_path: Path) -> None:
    report, con = ingest_rows(
        tmp_path,
        allocations=[alloc()],
        declarations=[decl(), decl(declaratienummer="D002"), decl(bedrag="80000")],
    )
    q = quarantined(con)
    assert [(r["source_row"], r["rule"]) for r in q] == [
        (1, "conflicting_declaratienummer"),
        (3, "conflicting_declaratienummer"),
    ]
    assert loaded(con, "declarations", "declaratienummer") == ["D002"]


def test_declaration_on_unknown_allocation_is_quarantined(tmp_path: Path) -> None:
    assert_declaration_rule(tmp_path, "unknown_allocation", toewijzingnummer="T999")


def test_declaration_on_allocation_of_another_gemeente_is_unknown_allocation(
    tmp_path: Path,
) -> None:
    """An allocation is identified by (gemeentecode, toewijzingnummer)."""
    assert_declaration_rule(tmp_path, "unknown_allocation", gemeentecode="0164")


def test_declaration_on_quarantined_allocation_is_unknown_allocation(tmp_path: Path) -> None:
    _, con = ingest_rows(tmp_path, allocations=[alloc(bsn="123456789")], declarations=[decl()])
    assert [(r["entity"], r["rule"]) for r in quarantined(con)] == [
        ("allocations", "invalid_bsn"),
        ("declarations", "unknown_allocation"),
    ]


# ----------------------------------------------------------------------------- credits


def test_credit_without_vorig_declaratienummer_is_credit_without_debit(tmp_path: Path) -> None:
    assert_declaration_rule(tmp_path, "credit_without_debit", debet_credit="C")


def test_credit_naming_no_loaded_debit_is_credit_without_debit(tmp_path: Path) -> None:
    assert_declaration_rule(
        tmp_path, "credit_without_debit", debet_credit="C", vorig_declaratienummer="D404"
    )


def test_credit_naming_a_quarantined_debit_is_credit_without_debit(tmp_path: Path) -> None:
    """The debit exists but does not load (it breaks a rule of its own): a credit on it has no
    loaded debit to lower."""
    debit = decl(eenheid="")
    credit = decl(declaratienummer="C001", debet_credit="C", vorig_declaratienummer="D001")
    _, con = ingest_rows(tmp_path, allocations=[alloc()], declarations=[debit, credit])
    assert [(q["source_row"], q["rule"]) for q in quarantined(con)] == [
        (1, "missing_required"),
        (2, "credit_without_debit"),
    ]
    assert loaded(con, "declarations", "debet_credit") == []


def test_full_credit_of_a_debit_loads(tmp_path: Path) -> None:
    credit = decl(declaratienummer="C001", debet_credit="C", vorig_declaratienummer="D001")
    _, con = ingest_rows(tmp_path, allocations=[alloc()], declarations=[decl(), credit])
    assert quarantined(con) == []
    assert loaded(con, "declarations", "debet_credit") == ["D", "C"]


def test_credits_pushing_the_total_over_the_debit_are_credit_exceeds_debit(
    tmp_path: Path,
) -> None:
    # Debit 1000. Credits in order: 600 (total 600, kept), 600 (600+600 > 1000, quarantined),
    # 300 (600+300 = 900, kept), 200 (900+200 > 1000, quarantined), 100 (1000, kept).
    credits = [
        decl(declaratienummer=f"C{i}", debet_credit="C", vorig_declaratienummer="D001", bedrag=b)
        for i, b in enumerate(["600", "600", "300", "200", "100"], start=1)
    ]
    report, con = ingest_rows(
        tmp_path, allocations=[alloc()], declarations=[decl(bedrag="1000"), *credits]
    )
    q = quarantined(con)
    assert [(r["source_row"], r["rule"]) for r in q] == [
        (3, "credit_exceeds_debit"),
        (5, "credit_exceeds_debit"),
    ]
    assert loaded(con, "declarations", "declaratienummer") == ["D001", "C1", "C3", "C5"]
    f = report.files[1]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (6, 4, 2)


def test_quarantined_credit_does_not_count_towards_the_running_total(tmp_path: Path) -> None:
    # Debit 1000. Credit C1 (800) has a bad BSN: quarantined, never loaded. C2 (800) then fits.
    c1 = decl(declaratienummer="C1", debet_credit="C", vorig_declaratienummer="D001")
    rows = [decl(bedrag="1000"), {**c1, "bedrag": "800", "bsn": "123456789"}]
    rows.append({**c1, "declaratienummer": "C2", "bedrag": "800"})
    _, con = ingest_rows(tmp_path, allocations=[alloc()], declarations=rows)
    assert [(r["source_row"], r["rule"]) for r in quarantined(con)] == [(2, "invalid_bsn")]
    assert loaded(con, "declarations", "declaratienummer") == ["D001", "C2"]


def test_credit_on_a_debit_of_an_earlier_file_counts(tmp_path: Path) -> None:
    columns = list(decl())
    credit = decl(declaratienummer="C1", debet_credit="C", vorig_declaratienummer="D001")
    landing = make_landing(
        tmp_path,
        {
            "allocations/a.csv": csv_text([alloc()]),
            "declarations/2023-01.csv": csv_text([decl()], columns),
            "declarations/2023-02.csv": csv_text([credit, {**credit, "declaratienummer": "C2"}]),
        },
    )
    report, con = ingest(landing)
    assert [(r["source_file"], r["source_row"], r["rule"]) for r in quarantined(con)] == [
        ("declarations/2023-02.csv", 2, "credit_exceeds_debit")
    ]
    assert_files_balance(report)


# ----------------------------------------------------------------------------- duplicates


def test_exact_duplicate_in_a_later_file_is_loaded_once(tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path,
        {
            "allocations/2023-01.csv": csv_text([alloc(), alloc(toewijzingnummer="T002")]),
            "allocations/2023-02.csv": csv_text([alloc(toewijzingnummer="T003"), alloc()]),
        },
    )
    report, con = ingest(landing)
    first, second = report.files
    assert (first.rows_read, first.rows_loaded, first.rows_duplicate) == (2, 2, 0)
    assert (second.rows_read, second.rows_loaded, second.rows_duplicate) == (2, 1, 1)
    assert loaded(con, "allocations", "toewijzingnummer") == ["T001", "T002", "T003"]
    assert report.to_dict()["totals"]["rows_duplicate"] == 1


def test_duplicate_ignores_surrounding_spaces_and_number_formatting(tmp_path: Path) -> None:
    again = alloc(gemeentecode=" 0153 ", volume="+10")
    report, con = ingest_rows(tmp_path, allocations=[alloc(), again])
    assert report.files[0].rows_duplicate == 1
    assert quarantined(con) == []


def test_duplicated_bad_row_is_quarantined_once_and_counted_as_duplicate(
    tmp_path: Path,
) -> None:
    bad = alloc(bsn="123456789")
    report, con = ingest_rows(tmp_path, allocations=[bad, bad])
    [f] = report.files
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined, f.rows_duplicate) == (2, 0, 1, 1)
    assert [(r["source_row"], r["rule"]) for r in quarantined(con)] == [(1, "invalid_bsn")]


def test_duplicate_allocation_versions_do_not_conflict(tmp_path: Path) -> None:
    _, con = ingest_rows(tmp_path, allocations=[alloc(), alloc()])
    assert quarantined(con) == []
    assert loaded(con, "allocations", "_source_row") == [1]


def test_hash_collisions_never_merge_different_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Duplicates and conflicts are found through a hash, then compared exactly: with every
    row hashing alike, only the truly equal rows count as duplicates or conflicts."""
    monkeypatch.setattr(validate, "_hash", lambda exprs: "0")
    rows = [alloc(), alloc(toewijzingnummer="T2"), alloc(), alloc(toewijzingnummer="T3")]
    report, con = ingest_rows(
        tmp_path, allocations=rows, declarations=[decl(), decl(declaratienummer="D2")]
    )
    assert [f.rows_duplicate for f in report.files] == [1, 0]
    assert quarantined(con) == []
    assert loaded(con, "allocations", "toewijzingnummer") == ["T001", "T2", "T3"]


# ----------------------------------------------------------------------------- report


def test_report_counts_balance_and_flag_files_over_threshold(tmp_path: Path) -> None:
    # Allocations: 4 rows, 1 quarantined (25%). Declarations: 2 rows, 0 quarantined.
    rows = [alloc(), alloc(toewijzingnummer="T2"), alloc(toewijzingnummer="T3"), alloc(bsn="1")]
    report, con = ingest_rows(tmp_path, allocations=rows, declarations=[decl(), decl()])
    assert_files_balance(report)
    assert [f.path for f in report.files_over_threshold(0.2)] == ["allocations/a.csv"]
    assert report.files_over_threshold(0.25) == []
    data = report.to_dict()
    assert set(data["files"][0]) == {
        "path",
        "entity",
        "format",
        "rows_read",
        "rows_loaded",
        "rows_quarantined",
        "rows_duplicate",
        "quarantined_by_rule",
    }
    assert data["totals"] == {
        "files": 2,
        "rows_read": 6,
        "rows_loaded": 4,
        "rows_quarantined": 1,
        "rows_duplicate": 1,
        "quarantined_by_rule": {"invalid_bsn": 1},
    }
    table = con.execute(
        "SELECT path, rows_read, rows_loaded, rows_quarantined, rows_duplicate, "
        "quarantined_by_rule FROM raw.ingest_files ORDER BY path"
    ).fetchall()
    assert table == [
        ("allocations/a.csv", 4, 3, 1, 0, '{"invalid_bsn": 1}'),
        ("declarations/d.csv", 2, 1, 0, 1, "{}"),
    ]


def test_file_report_refuses_counts_that_do_not_add_up() -> None:
    with pytest.raises(ValueError, match="accounted for"):
        FileReport("a.csv", "allocations", "csv", 3, 1, 1, 0, {"invalid_bsn": 1})


def test_second_run_replaces_the_first(tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"allocations/a.csv": csv_text([alloc(), alloc(bsn="1")])})
    _, con = ingest(landing)
    first = con.execute("SELECT * FROM raw.allocations").fetchall()
    ingest(landing, con)
    assert con.execute("SELECT * FROM raw.allocations").fetchall() == first
    assert len(quarantined(con)) == 1
    (landing / "allocations" / "a.csv").write_text(
        csv_text([alloc(bsn=OTHER_VALID_BSN)]), encoding="utf-8"
    )
    ingest(landing, con)
    assert loaded(con, "allocations", "bsn") == [OTHER_VALID_BSN]
    assert quarantined(con) == []
    assert VALID_BSN not in str(con.execute("SELECT * FROM raw.allocations").fetchall())
