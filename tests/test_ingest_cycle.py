"""The rest of the iJw message cycle and the outcome reports (DEFINITIONS §2.1): care starts
(JW305), care stops (JW307), allocation requests (JW315), declaration answers (JW325) and outcome
reports, each from its own optional landing sub-folder, as CSV or as one iJw message per file.
Every case is small and counted by hand."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.load import ingest_landing

IJW = Path(__file__).resolve().parent / "fixtures" / "ijw"
KEY = b"test-hmac-key-for-the-test-suite"
PEILDATUM = dt.date(2026, 1, 1)

# The raw tables the dbt models build on: (column, type) in this order.
LINEAGE = [
    ("_source_file", "VARCHAR"),
    ("_source_row", "BIGINT"),
    ("_file_seq", "INTEGER"),
    ("_extra", "VARCHAR"),
]
CLIENT = [("client_id", "INTEGER")]
SCHEMAS = {
    "care_starts": [
        ("toewijzingnummer", "VARCHAR"),
        ("gemeentecode", "VARCHAR"),
        ("aanbieder_agb", "VARCHAR"),
        ("bsn", "VARCHAR"),
        ("productcategorie", "VARCHAR"),
        ("productcode", "VARCHAR"),
        ("begindatum", "DATE"),
        ("dagtekening", "DATE"),
        ("status_aanlevering", "VARCHAR"),
        *CLIENT,
        *LINEAGE,
    ],
    "care_stops": [
        ("toewijzingnummer", "VARCHAR"),
        ("gemeentecode", "VARCHAR"),
        ("aanbieder_agb", "VARCHAR"),
        ("bsn", "VARCHAR"),
        ("productcategorie", "VARCHAR"),
        ("productcode", "VARCHAR"),
        ("begindatum", "DATE"),
        ("einddatum", "DATE"),
        ("reden_beeindiging", "VARCHAR"),
        ("dagtekening", "DATE"),
        ("status_aanlevering", "VARCHAR"),
        *CLIENT,
        *LINEAGE,
    ],
    "allocation_requests": [
        ("referentie_aanbieder", "VARCHAR"),
        ("gemeentecode", "VARCHAR"),
        ("aanbieder_agb", "VARCHAR"),
        ("bsn", "VARCHAR"),
        ("productcategorie", "VARCHAR"),
        ("productcode", "VARCHAR"),
        ("ingangsdatum", "DATE"),
        ("verwijzer_type", "VARCHAR"),
        ("dagtekening", "DATE"),
        *CLIENT,
        *LINEAGE,
    ],
    "declaration_responses": [
        ("declaratienummer", "VARCHAR"),
        ("gemeentecode", "VARCHAR"),
        ("aanbieder_agb", "VARCHAR"),
        ("retourcodes", "VARCHAR"),
        ("dagtekening", "DATE"),
        *LINEAGE,
    ],
    "outcome_reports": [
        ("toewijzingnummer", "VARCHAR"),
        ("gemeentecode", "VARCHAR"),
        ("aanbieder_agb", "VARCHAR"),
        ("bsn", "VARCHAR"),
        ("einddatum", "DATE"),
        ("doelen_behaald", "VARCHAR"),
        ("rapportagedatum", "DATE"),
        *CLIENT,
        *LINEAGE,
    ],
}

HEADERS = {
    "allocations": "toewijzingnummer,gemeentecode,aanbieder_agb,bsn,productcategorie,productcode,"
    "ingangsdatum,einddatum,dagtekening,referentie_aanbieder",
    "declarations": "declaratienummer,vorig_declaratienummer,debet_credit,toewijzingnummer,"
    "gemeentecode,aanbieder_agb,bsn,productcategorie,productcode,begindatum,einddatum,"
    "geleverd_volume,eenheid,bedrag",
    "care_starts": "toewijzingnummer,gemeentecode,aanbieder_agb,bsn,productcategorie,productcode,"
    "begindatum,dagtekening,status_aanlevering",
    "care_stops": "toewijzingnummer,gemeentecode,aanbieder_agb,bsn,begindatum,einddatum,"
    "reden_beeindiging,dagtekening,status_aanlevering",
    "allocation_requests": "referentie_aanbieder,gemeentecode,aanbieder_agb,bsn,productcategorie,"
    "ingangsdatum,verwijzer_type,dagtekening",
    "declaration_responses": "declaratienummer,gemeentecode,aanbieder_agb,retourcodes,dagtekening",
    "outcome_reports": "toewijzingnummer,gemeentecode,aanbieder_agb,bsn,einddatum,doelen_behaald,"
    "rapportagedatum",
}
# Two allocations of one client in 0153 (T1 answers request REF-1), and two debit lines on T1.
ALLOCATIONS = [
    "T1,0153,12345678,123456782,45,45A01,2025-01-01,2025-06-30,2025-01-01,REF-1",
    "T2,0153,12345678,123456782,45,45A02,2025-03-01,,2025-03-01,",
]
DECLARATIONS = [
    "D1,,D,T1,0153,12345678,123456782,45,45A01,2025-01-01,2025-01-31,10,04,50000",
    "D2,,D,T1,0153,12345678,123456782,45,45A01,2025-02-01,2025-02-28,8,04,40000",
]


def _write(landing: Path, rel: str, rows: list[str]) -> None:
    entity = rel.split("/")[0]
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADERS[entity], *rows]) + "\n", encoding="utf-8")


def _landing(tmp_path: Path, files: dict[str, list[str]] | None = None) -> Path:
    landing = tmp_path / "landing"
    _write(landing, "allocations/a.csv", ALLOCATIONS)
    _write(landing, "declarations/d.csv", DECLARATIONS)
    for rel, rows in (files or {}).items():
        _write(landing, rel, rows)
    return landing


def _ingest(landing: Path, tmp_path: Path, messages: list[str] | None = None):
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    report = ingest_landing(
        landing,
        con,
        hmac_key=KEY,
        peildatum=PEILDATUM,
        progress=messages.append if messages is not None else None,
    )
    return con, report


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()


def _quarantined(con: duckdb.DuckDBPyConnection, entity: str) -> list[tuple[str, int, str]]:
    """(file, row, all rules broken) of the entity's quarantined rows, in file and row order."""
    return _rows(
        con,
        "select source_file, source_row, rules from raw.quarantine where entity = ? "
        "order by source_file, source_row",
        [entity],
    )


def _schema(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"describe raw.{table}").fetchall()]


# ----------------------------------------------------------------------------- schemas


def test_landing_without_the_cycle_folders_runs_and_yields_empty_raw_tables(
    tmp_path: Path,
) -> None:
    con, report = _ingest(_landing(tmp_path), tmp_path)
    assert {f.entity for f in report.files} == {"allocations", "declarations"}
    for table, schema in SCHEMAS.items():
        assert _schema(con, table) == schema, table
        assert _rows(con, f"select count(*) from raw.{table}") == [(0,)], table
    assert _rows(con, "select count(*) from raw.allocations") == [(2,)]


def test_allocations_carry_referentie_aanbieder_after_dagtekening(tmp_path: Path) -> None:
    con, _ = _ingest(_landing(tmp_path), tmp_path)
    names = [name for name, _ in _schema(con, "allocations")]
    assert names[names.index("dagtekening") + 1 : names.index("dagtekening") + 3] == [
        "referentie_aanbieder",
        "client_key",
    ]
    assert _rows(
        con, "select toewijzingnummer, referentie_aanbieder from raw.allocations order by 1"
    ) == [("T1", "REF-1"), ("T2", None)]


def test_an_allocations_file_without_referentie_aanbieder_stays_valid(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "allocations").mkdir(parents=True)
    header = HEADERS["allocations"].removesuffix(",referentie_aanbieder")
    rows = [row.rsplit(",", 1)[0] for row in ALLOCATIONS]
    (landing / "allocations" / "a.csv").write_text("\n".join([header, *rows]) + "\n")
    con, _ = _ingest(landing, tmp_path)
    assert _rows(con, "select count(*), count(referentie_aanbieder) from raw.allocations") == [
        (2, 0)
    ]


# ----------------------------------------------------------------------------- CSV


def test_each_cycle_entity_is_read_from_csv(tmp_path: Path) -> None:
    landing = _landing(
        tmp_path,
        {
            "care_starts/s.csv": ["T1,0153,12345678,123456782,45,45A01,2025-01-06,2025-01-07,"],
            "care_stops/s.csv": ["T1,0153,12345678,123456782,,2025-06-20,31,2025-06-23,3"],
            "allocation_requests/r.csv": [
                "REF-1,0153,12345678,123456782,45,2025-01-01,02,2024-12-15"
            ],
            "declaration_responses/r.csv": ["D1,0153,12345678,0200,2025-02-10"],
            "outcome_reports/o.csv": ["T1,0153,12345678,123456782,2025-06-20,deels,2025-07-01"],
        },
    )
    con, report = _ingest(landing, tmp_path)
    client = _rows(con, "select client_id from raw.allocations limit 1")[0][0]
    assert _rows(con, "select * exclude (_extra) from raw.care_starts") == [
        (
            "T1",
            "0153",
            "12345678",
            "123456782",
            "45",
            "45A01",
            dt.date(2025, 1, 6),
            dt.date(2025, 1, 7),
            "1",  # an empty status_aanlevering delivers (§2.1 default 1)
            client,
            "care_starts/s.csv",
            1,
            3,
        )
    ]
    assert _rows(
        con,
        "select toewijzingnummer, begindatum, einddatum, reden_beeindiging, status_aanlevering, "
        "client_id from raw.care_stops",
    ) == [("T1", None, dt.date(2025, 6, 20), "31", "3", client)]
    assert _rows(
        con,
        "select referentie_aanbieder, gemeentecode, aanbieder_agb, ingangsdatum, verwijzer_type, "
        "dagtekening, client_id from raw.allocation_requests",
    ) == [("REF-1", "0153", "12345678", dt.date(2025, 1, 1), "02", dt.date(2024, 12, 15), client)]
    assert _rows(
        con, "select declaratienummer, retourcodes, dagtekening from raw.declaration_responses"
    ) == [("D1", "0200", dt.date(2025, 2, 10))]
    assert _rows(
        con,
        "select toewijzingnummer, einddatum, doelen_behaald, rapportagedatum, client_id "
        "from raw.outcome_reports",
    ) == [("T1", dt.date(2025, 6, 20), "deels", dt.date(2025, 7, 1), client)]
    by_entity = {f.entity: (f.rows_read, f.rows_loaded) for f in report.files}
    assert by_entity == {
        "allocations": (2, 2),
        "declarations": (2, 2),
        "care_starts": (1, 1),
        "care_stops": (1, 1),
        "allocation_requests": (1, 1),
        "declaration_responses": (1, 1),
        "outcome_reports": (1, 1),
    }
    assert _rows(con, "select count(*) from raw.quarantine") == [(0,)]


def test_a_client_known_only_from_a_request_gets_a_client_id(tmp_path: Path) -> None:
    landing = _landing(
        tmp_path,
        {"allocation_requests/r.csv": ["REF-9,0153,12345678,111222333,45,,01,2025-01-02"]},
    )
    con, _ = _ingest(landing, tmp_path)
    assert _rows(
        con,
        "select count(*) from raw.allocation_requests r join raw.clients c using (client_id) "
        "where r.bsn = '111222333'",
    ) == [(1,)]
    assert _rows(con, "select count(*) from raw.clients") == [(2,)]


# ----------------------------------------------------------------------------- rules


def test_unknown_allocation_quarantines_starts_stops_and_outcome_reports(tmp_path: Path) -> None:
    landing = _landing(
        tmp_path,
        {
            # T1 is known; T9 is not, nor is T1 in another gemeente (0164)
            "care_starts/s.csv": [
                "T1,0153,12345678,123456782,,,2025-01-06,,1",
                "T9,0153,12345678,123456782,,,2025-01-06,,1",
                "T1,0164,12345678,123456782,,,2025-01-06,,1",
            ],
            "care_stops/s.csv": ["T9,0153,12345678,123456782,,2025-06-20,31,,"],
            "outcome_reports/o.csv": ["T9,0153,12345678,123456782,2025-06-20,ja,"],
        },
    )
    con, _ = _ingest(landing, tmp_path)
    assert _rows(con, "select toewijzingnummer, gemeentecode from raw.care_starts") == [
        ("T1", "0153")
    ]
    assert _quarantined(con, "care_starts") == [
        ("care_starts/s.csv", 2, "unknown_allocation"),
        ("care_starts/s.csv", 3, "unknown_allocation"),
    ]
    assert _quarantined(con, "care_stops") == [("care_stops/s.csv", 1, "unknown_allocation")]
    assert _quarantined(con, "outcome_reports") == [
        ("outcome_reports/o.csv", 1, "unknown_allocation")
    ]


def test_start_on_a_quarantined_allocation_is_unknown_allocation(tmp_path: Path) -> None:
    landing = _landing(
        tmp_path,
        {
            "allocations/b.csv": ["T3,0153,12345678,123456789,45,45A01,2025-01-01,,2025-01-01,"],
            "care_starts/s.csv": ["T3,0153,12345678,123456782,,,2025-01-06,,1"],
        },
    )
    con, _ = _ingest(landing, tmp_path)
    assert _quarantined(con, "allocations") == [("allocations/b.csv", 1, "invalid_bsn")]
    assert _quarantined(con, "care_starts") == [("care_starts/s.csv", 1, "unknown_allocation")]


def test_invalid_reden_beeindiging_is_quarantined(tmp_path: Path) -> None:
    landing = _landing(
        tmp_path,
        {
            "care_stops/s.csv": [
                "T1,0153,12345678,123456782,,2025-06-20,31,,",
                "T2,0153,12345678,123456782,,2025-06-20,99,,",  # no JZ588 code
                "T2,0153,12345678,123456782,,2025-06-20,,,",  # required
            ]
        },
    )
    con, _ = _ingest(landing, tmp_path)
    assert _rows(con, "select toewijzingnummer, reden_beeindiging from raw.care_stops") == [
        ("T1", "31")
    ]
    assert _quarantined(con, "care_stops") == [
        ("care_stops/s.csv", 2, "invalid_reden_beeindiging"),
        ("care_stops/s.csv", 3, "missing_required"),
    ]


def test_invalid_status_aanlevering_is_quarantined(tmp_path: Path) -> None:
    landing = _landing(
        tmp_path,
        {
            "care_starts/s.csv": [
                "T1,0153,12345678,123456782,,,2025-01-06,2025-01-07,1",
                "T1,0153,12345678,123456782,,,2025-01-06,2025-01-08,3",
                "T1,0153,12345678,123456782,,,2025-01-06,2025-01-09,2",  # iJw 'gewijzigd'
                "T2,0153,12345678,123456782,,,2025-03-02,2025-03-03,",
            ],
            "care_stops/s.csv": ["T1,0153,12345678,123456782,,2025-06-20,31,,9"],
        },
    )
    con, _ = _ingest(landing, tmp_path)
    assert _rows(
        con, "select toewijzingnummer, status_aanlevering from raw.care_starts order by dagtekening"
    ) == [("T1", "1"), ("T1", "3"), ("T2", "1")]
    assert _quarantined(con, "care_starts") == [
        ("care_starts/s.csv", 3, "invalid_status_aanlevering")
    ]
    assert _quarantined(con, "care_stops") == [
        ("care_stops/s.csv", 1, "invalid_status_aanlevering")
    ]


@pytest.mark.parametrize(
    ("rel", "rows", "rule"),
    [
        (
            "allocation_requests/r.csv",
            [
                "REF-1,0153,12345678,123456782,45,2025-01-01,07,",
                "REF-2,0153,12345678,123456782,45,,08,",
            ],
            "invalid_verwijzer_type",
        ),
        (
            "outcome_reports/o.csv",
            [
                "T1,0153,12345678,123456782,2025-06-20,Ja,",
                "T1,0153,12345678,123456782,2025-06-20,nee,",
            ],
            "invalid_doelen_behaald",
        ),
        (
            "declaration_responses/r.csv",
            ["D1,0153,12345678,200,", "D2,0153,12345678,8001 9307,"],
            "invalid_retourcodes",
        ),
    ],
    ids=["verwijzer_not_cod327", "doelen_behaald_not_ja_deels_nee", "retourcode_not_4_digits"],
)
def test_code_outside_its_list_is_quarantined_and_the_next_row_loads(
    tmp_path: Path, rel: str, rows: list[str], rule: str
) -> None:
    entity = rel.split("/")[0]
    con, report = _ingest(_landing(tmp_path, {rel: rows}), tmp_path)
    assert _quarantined(con, entity) == [(rel, 1, rule)]
    [f] = [f for f in report.files if f.path == rel]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (2, 1, 1)


def test_unknown_declaration_is_quarantined(tmp_path: Path) -> None:
    landing = _landing(
        tmp_path,
        {
            "declarations/e.csv": [
                # quarantined (credit without debit): not a loaded line either
                "D3,,C,T1,0153,12345678,123456782,45,45A01,2025-01-01,2025-01-31,1,04,100"
            ],
            "declaration_responses/r.csv": [
                "D1,0153,12345678,0200,2025-02-10",
                "D2,0153,12345678,8001 9307,2025-03-10",
                "D9,0153,12345678,0200,2025-03-10",
                "D3,0153,12345678,0200,2025-03-10",
            ],
        },
    )
    con, _ = _ingest(landing, tmp_path)
    assert _rows(
        con, "select declaratienummer, retourcodes from raw.declaration_responses order by 1"
    ) == [("D1", "0200"), ("D2", "8001 9307")]
    assert _quarantined(con, "declaration_responses") == [
        ("declaration_responses/r.csv", 3, "unknown_declaration"),
        ("declaration_responses/r.csv", 4, "unknown_declaration"),
    ]


def test_accounting_identity_per_file(tmp_path: Path) -> None:
    # 5 rows: 2 loaded, 2 quarantined (bad bsn; unknown allocation), 1 exact duplicate
    landing = _landing(
        tmp_path,
        {
            "care_starts/s.csv": [
                "T1,0153,12345678,123456782,,,2025-01-06,2025-01-07,1",
                "T1,0153,12345678,123456789,,,2025-01-06,2025-01-08,1",
                "T1,0153,12345678,123456782,,,2025-01-06,2025-01-07,1",
                "T9,0153,12345678,123456782,,,2025-01-06,2025-01-07,1",
                "T2,0153,12345678,123456782,,,2025-03-02,2025-03-03,1",
            ]
        },
    )
    con, report = _ingest(landing, tmp_path)
    [f] = [f for f in report.files if f.entity == "care_starts"]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined, f.rows_duplicate) == (5, 2, 2, 1)
    assert f.quarantined_by_rule == {"invalid_bsn": 1, "unknown_allocation": 1}
    assert _rows(
        con,
        "select rows_read, rows_loaded, rows_quarantined, rows_duplicate, quarantined_by_rule "
        "from raw.ingest_files where path = 'care_starts/s.csv'",
    ) == [(5, 2, 2, 1, json.dumps({"invalid_bsn": 1, "unknown_allocation": 1}))]
    for row in _rows(
        con,
        "select path, rows_read - rows_loaded - rows_quarantined - rows_duplicate "
        "from raw.ingest_files",
    ):
        assert row[1] == 0, row
    files = report.to_dict()["files"]
    assert [(x["path"], x["entity"]) for x in files if x["entity"] == "care_starts"] == [
        ("care_starts/s.csv", "care_starts")
    ]


# ----------------------------------------------------------------------------- XML


def _xml_landing(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    landing = tmp_path / "landing"
    files = {
        "allocations/jw301.xml": "jw301_enschede_client_a.xml",
        "declarations/jw323.xml": "jw323_debit_credit.xml",
        "care_starts/jw305.xml": "jw305_start.xml",
        "care_stops/jw307.xml": "jw307_stop.xml",
        "allocation_requests/jw315.xml": "jw315_request.xml",
        "declaration_responses/jw325.xml": "jw325_answer.xml",
        **(extra or {}),
    }
    for rel, name in files.items():
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(IJW / name, landing / rel)
    return landing


def test_each_cycle_message_is_read_from_xml(tmp_path: Path) -> None:
    con, report = _ingest(_xml_landing(tmp_path), tmp_path)
    client = _rows(con, "select client_id from raw.allocations where bsn = '123456782' limit 1")
    assert _rows(
        con,
        "select toewijzingnummer, gemeentecode, aanbieder_agb, productcategorie, productcode, "
        "begindatum, dagtekening, status_aanlevering, client_id, _source_row from raw.care_starts "
        "order by _source_row",
    ) == [
        ("100001", "0153", "12345678", "45", "45A01", dt.date(2025, 2, 5), dt.date(2025, 3, 4))
        + ("1", client[0][0], 1),
        ("100002", "0153", "12345678", "43", "43A01", dt.date(2025, 3, 3), dt.date(2025, 3, 4))
        + ("1", client[0][0], 2),
    ]
    assert _rows(
        con,
        "select referentie_aanbieder, gemeentecode, aanbieder_agb, productcategorie, productcode, "
        "ingangsdatum, verwijzer_type, dagtekening from raw.allocation_requests",
    ) == [
        ("AANVR-1", "0153", "12345678", "45", "45A01", dt.date(2025, 2, 1), "02")
        + (dt.date(2025, 1, 10),)
    ]
    for f in report.files:
        assert f.rows_read == f.rows_loaded + f.rows_quarantined + f.rows_duplicate, f.path
        if f.entity not in ("declarations",):
            assert f.rows_quarantined == 0, (f.path, f.quarantined_by_rule)


def test_stop_withdrawn_by_status_aanlevering_3_is_loaded_with_its_status(tmp_path: Path) -> None:
    con, _ = _ingest(_xml_landing(tmp_path), tmp_path)
    assert _rows(
        con,
        "select toewijzingnummer, begindatum, einddatum, reden_beeindiging, dagtekening, "
        "status_aanlevering from raw.care_stops order by _source_row",
    ) == [
        ("100001", dt.date(2025, 2, 5), dt.date(2025, 7, 31), "31", dt.date(2025, 8, 4), "1"),
        ("100003", dt.date(2024, 9, 2), dt.date(2025, 1, 31), "33", dt.date(2025, 8, 4), "3"),
    ]


def test_jw325_with_a_rejected_and_an_accepted_line_loads_both_with_their_retourcodes(
    tmp_path: Path,
) -> None:
    con, report = _ingest(_xml_landing(tmp_path), tmp_path)
    assert _rows(
        con,
        "select declaratienummer, gemeentecode, aanbieder_agb, retourcodes, dagtekening "
        "from raw.declaration_responses order by _source_row",
    ) == [
        ("REF-0001", "0153", "12345678", "0200", dt.date(2025, 4, 14)),
        ("REF-0002", "0153", "12345678", "8001 9307", dt.date(2025, 4, 14)),
    ]
    [f] = [f for f in report.files if f.entity == "declaration_responses"]
    assert (f.rows_read, f.rows_loaded) == (2, 2)


def test_jw325_whose_total_disagrees_is_rejected_whole(tmp_path: Path) -> None:
    landing = _xml_landing(
        tmp_path, {"declaration_responses/jw325_total.xml": "jw325_total_mismatch.xml"}
    )
    con, report = _ingest(landing, tmp_path)
    files = {f.path: f for f in report.files}
    bad = files["declaration_responses/jw325_total.xml"]
    assert (bad.rows_read, bad.rows_loaded, bad.rows_quarantined) == (1, 0, 1)
    assert bad.quarantined_by_rule == {"rejected_message": 1}
    [(values,)] = _rows(
        con,
        "select original_values from raw.quarantine "
        "where source_file = 'declaration_responses/jw325_total.xml'",
    )
    reason = json.loads(values)["_rejected_message"]
    assert "DeclaratieAntwoord/TotaalToegekendBedrag is 865000 D" in reason
    assert "non-rejected prestaties add up to 90000 D" in reason
    # the other answer in the folder is not blocked
    assert files["declaration_responses/jw325.xml"].rows_loaded == 2


@pytest.mark.parametrize(
    ("rel", "fixture", "reason"),
    [
        ("care_stops/start.xml", "jw305_start.xml", "a JW305 (start zorg) message does not belong"),
        ("care_starts/stop.xml", "jw307_stop.xml", "expected JW305 (start zorg)"),
        ("allocation_requests/x.xml", "jw301_hengelo_client_b.xml", "expected JW315"),
        ("declaration_responses/x.xml", "jw323_debit_credit.xml", "expected JW325"),
        ("outcome_reports/x.xml", "jw305_start.xml", "no iJw message carries outcome_reports"),
    ],
    ids=[
        "jw305_in_care_stops",
        "jw307_in_care_starts",
        "jw301_in_requests",
        "jw323_in_answers",
        "xml_in_outcome_reports",
    ],
)
def test_message_of_the_wrong_type_for_its_folder_is_rejected_whole(
    tmp_path: Path, rel: str, fixture: str, reason: str
) -> None:
    con, report = _ingest(_xml_landing(tmp_path, {rel: fixture}), tmp_path)
    files = {f.path: f for f in report.files}
    assert files[rel].quarantined_by_rule == {"rejected_message": 1}
    [(values,)] = _rows(
        con, "select original_values from raw.quarantine where source_file = ?", [rel]
    )
    assert reason in json.loads(values)["_rejected_message"]
    # the valid messages beside it load
    assert _rows(con, "select count(*) from raw.care_starts") == [(2,)]


# ----------------------------------------------------------------------------- incremental


def test_an_unchanged_care_starts_file_is_not_read_again(tmp_path: Path) -> None:
    landing = _landing(
        tmp_path, {"care_starts/s.csv": ["T1,0153,12345678,123456782,,,2025-01-06,2025-01-07,1"]}
    )
    first: list[str] = []
    con, _ = _ingest(landing, tmp_path, first)
    con.close()
    assert "Read care_starts/s.csv: 1 rows" in first
    _write(landing, "care_starts/t.csv", ["T2,0153,12345678,123456782,,,2025-03-02,,1"])
    second: list[str] = []
    con, report = _ingest(landing, tmp_path, second)
    assert "Reused care_starts/s.csv: 1 rows (unchanged since it was read)" in second
    assert "Read care_starts/t.csv: 1 rows" in second
    assert not any(m.startswith("Read care_starts/s.csv") for m in second)
    assert _rows(con, "select toewijzingnummer from raw.care_starts order by 1") == [
        ("T1",),
        ("T2",),
    ]
    assert [f.rows_loaded for f in report.files if f.entity == "care_starts"] == [1, 1]


def test_the_landing_ingest_asset_checks_every_cycle_table() -> None:
    from orchestration.assets.ingest import ACCOUNTING_CHECK, ENTITY_ASSETS, landing_ingest

    checked = {
        spec.asset_key for spec in landing_ingest.check_specs if spec.name == ACCOUNTING_CHECK
    }
    assert checked == set(ENTITY_ASSETS.values())
    assert {"/".join(k.path) for k in ENTITY_ASSETS.values()} >= {
        f"raw/{table}" for table in SCHEMAS
    }
    assert all(spec.blocking for spec in landing_ingest.check_specs)
