"""iJw XML messages in the landing folder (DEFINITIONS §2): valid ones load beside CSV, an
invalid message or one of another type is rejected as a whole with its reason and does not
block the other files."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb

from orchestration.assets.ingest import files_over_threshold
from orchestration.ingest.load import ingest_landing

IJW = Path(__file__).resolve().parent / "fixtures" / "ijw"
KEY = b"test-hmac-key-for-the-test-suite"


def _landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    (landing / "allocations").mkdir(parents=True)
    (landing / "declarations").mkdir()
    for name in (
        "jw301_enschede_client_a.xml",
        "jw301_hengelo_client_b.xml",
        "jw301_malformed.xml",
        "jw315_request.xml",
    ):
        shutil.copy(IJW / name, landing / "allocations" / name)
    shutil.copy(IJW / "jw323_debit_credit.xml", landing / "declarations" / "jw323_debit_credit.xml")
    return landing


def test_valid_messages_load_and_bad_ones_are_rejected_whole_with_reason(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    report = ingest_landing(_landing(tmp_path), con, hmac_key=KEY, peildatum=dt.date(2026, 1, 1))
    files = {f.path: f for f in report.files}

    for bad in ("allocations/jw301_malformed.xml", "allocations/jw315_request.xml"):
        f = files[bad]
        assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (1, 0, 1), bad
        assert f.quarantined_by_rule == {"rejected_message": 1}
        [(values,)] = con.execute(
            "select original_values from raw.quarantine where source_file = ?", [bad]
        ).fetchall()
        assert json.loads(values)["_rejected_message"]  # the reason travels with the rejection

    good = files["allocations/jw301_enschede_client_a.xml"]
    assert good.rows_loaded >= 1 and good.rows_quarantined == 0
    loaded = con.execute(
        "select count(*) from raw.allocations where _source_file like '%.xml'"
    ).fetchall()[0][0]
    assert loaded == good.rows_loaded + files["allocations/jw301_hengelo_client_b.xml"].rows_loaded
    decl = files["declarations/jw323_debit_credit.xml"]
    assert decl.rows_read == decl.rows_loaded + decl.rows_quarantined + decl.rows_duplicate
    assert decl.rows_loaded >= 2
    for f in report.files:
        assert f.rows_read == f.rows_loaded + f.rows_quarantined + f.rows_duplicate
    con.close()


def test_rejected_message_does_not_trip_the_quarantine_threshold() -> None:
    files = [
        {
            "path": "a/msg.xml",
            "rows_read": 1,
            "rows_quarantined": 1,
            "quarantined_by_rule": {"rejected_message": 1},
        },
        {
            "path": "a/broken.csv",
            "rows_read": 10,
            "rows_quarantined": 6,
            "quarantined_by_rule": {"invalid_bsn": 6},
        },
        {
            "path": "a/fine.csv",
            "rows_read": 100,
            "rows_quarantined": 5,
            "quarantined_by_rule": {"invalid_bsn": 5},
        },
    ]
    assert files_over_threshold(files, 0.05) == ["a/broken.csv"]
