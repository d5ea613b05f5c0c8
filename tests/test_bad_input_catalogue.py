"""Bad input never disappears silently (DEFINITIONS §2), through `jeugdhulp run`.

The catalogue is `tests/fixtures/bad_input/` (its README lists every file). Row-level classes
end in the quarantine with the right rule id, all files in one run; file-level classes fail the
run with a message naming the file. The quarantine threshold turns a mostly-broken delivery
into a blocked run that leaves the previous publication byte-identical, and the --report JSON
keeps its contract whether the run publishes or not.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.checks.suites import SUITE_NAMES
from orchestration.ingest.validate import RULES
from tests.conftest import FIXTURES, ROOT, TEST_HMAC_KEY, run_args, run_cli

BAD_INPUT = FIXTURES / "bad_input"
PEILDATUM = "2024-01-01"
ACCOUNTING_CHECK = "delivery_accounted_for"
REPORT_FILE_KEYS = {
    "path",
    "rows_read",
    "rows_loaded",
    "rows_quarantined",
    "rows_duplicate",
    "quarantined_by_rule",
}

# path → (rows read, loaded, quarantined, duplicate, quarantined rows per rule); hand-counted
# from the fixture files (see tests/fixtures/bad_input/README.md).
ROW_LEVEL: dict[str, tuple[int, int, int, int, dict[str, int]]] = {
    "allocations/base.csv": (2, 2, 0, 0, {}),
    "allocations/header_only.csv": (0, 0, 0, 0, {}),
    "allocations/wrong_date_format.csv": (2, 1, 1, 0, {"invalid_date": 1}),
    "allocations/impossible_date.csv": (2, 1, 1, 0, {"invalid_date": 1}),
    "allocations/invalid_bsn.csv": (2, 1, 1, 0, {"invalid_bsn": 1}),
    "allocations/invalid_gemeentecode.csv": (2, 1, 1, 0, {"invalid_gemeentecode": 1}),
    "allocations/conflicting_versions.csv": (3, 1, 2, 0, {"conflicting_versions": 2}),
    "allocations/date_out_of_range.csv": (3, 1, 2, 0, {"date_out_of_range": 2}),
    "allocations/legacy_productcategorie.csv": (
        2,
        1,
        1,
        0,
        {"legacy_productcategorie_without_successor": 1},
    ),
    "declarations/end_before_start.csv": (2, 1, 1, 0, {"end_before_start": 1}),
    "declarations/negative_amount.csv": (3, 1, 2, 0, {"negative_amount": 2}),
    "declarations/invalid_debet_credit.csv": (2, 1, 1, 0, {"invalid_debet_credit": 1}),
    "declarations/unknown_allocation.csv": (2, 1, 1, 0, {"unknown_allocation": 1}),
    "declarations/credit_without_debit.csv": (2, 0, 2, 0, {"credit_without_debit": 2}),
    "declarations/credit_exceeds_debit.csv": (2, 1, 1, 0, {"credit_exceeds_debit": 1}),
    "declarations/conflicting_declaratienummer.csv": (
        3,
        1,
        2,
        0,
        {"conflicting_declaratienummer": 2},
    ),
    "declarations/exact_duplicate.csv": (2, 1, 0, 1, {}),
}

# (file, data row, primary rule) of every quarantined row.
QUARANTINED_ROWS = {
    ("allocations/wrong_date_format.csv", 2, "invalid_date"),
    ("allocations/impossible_date.csv", 1, "invalid_date"),
    ("allocations/invalid_bsn.csv", 1, "invalid_bsn"),
    ("allocations/invalid_gemeentecode.csv", 1, "invalid_gemeentecode"),
    ("allocations/conflicting_versions.csv", 2, "conflicting_versions"),
    ("allocations/conflicting_versions.csv", 3, "conflicting_versions"),
    ("allocations/date_out_of_range.csv", 1, "date_out_of_range"),
    ("allocations/date_out_of_range.csv", 2, "date_out_of_range"),
    ("allocations/legacy_productcategorie.csv", 2, "legacy_productcategorie_without_successor"),
    ("declarations/end_before_start.csv", 2, "end_before_start"),
    ("declarations/negative_amount.csv", 1, "negative_amount"),
    ("declarations/negative_amount.csv", 2, "negative_amount"),
    ("declarations/invalid_debet_credit.csv", 1, "invalid_debet_credit"),
    ("declarations/unknown_allocation.csv", 1, "unknown_allocation"),
    ("declarations/credit_without_debit.csv", 1, "credit_without_debit"),
    ("declarations/credit_without_debit.csv", 2, "credit_without_debit"),
    ("declarations/credit_exceeds_debit.csv", 2, "credit_exceeds_debit"),
    ("declarations/conflicting_declaratienummer.csv", 1, "conflicting_declaratienummer"),
    ("declarations/conflicting_declaratienummer.csv", 2, "conflicting_declaratienummer"),
}

# file-level fixture → words of the reason the run must give.
FILE_LEVEL: dict[str, str] = {
    "allocations/binary.csv": "binary file",
    "declarations/latin1.csv": "not UTF-8 at line 3",
    "allocations/missing_column.csv": "required column(s) missing: bsn",
    "allocations/empty.csv": "empty (0 bytes)",
    "allocations/unknown_extension.txt": "unknown file type '.txt'",
    "allocations/wrong_types.parquet": "Parquet type int64",
}
# Runs on the warehouse the catalogue run published, to show a rejected file leaves it as is.
CHAINED_FILE_LEVEL = "allocations/missing_column.csv"


@dataclass
class Run:
    """One `jeugdhulp run` and what it left behind."""

    landing: Path
    warehouse: Path
    returncode: int
    stderr: str
    report: dict[str, Any]

    @property
    def summary(self) -> str:
        """What the CLI says after the run: the text from its last verdict line on."""
        marks = [self.stderr.rfind("NOT published"), self.stderr.rfind("Published in")]
        return self.stderr[max(max(marks), 0) :]

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return {f["path"]: f for f in self.report["files"]}


def _cli_args(landing: Path, warehouse: Path, report: Path) -> list[str]:
    return run_args(landing, warehouse, peildatum=PEILDATUM, report=report)


def _run(root: Path, landing: Path, warehouse: Path, name: str, **env: str) -> Run:
    report = root / f"{name}.json"
    result = run_cli(
        _cli_args(landing, warehouse, report), env_extra={"DAGSTER_HOME": str(root), **env}
    )
    data = json.loads(report.read_text()) if report.exists() else {}
    return Run(landing, warehouse, result.returncode, result.stderr, data)


def _file_level_landing(root: Path, rel: str) -> Path:
    """base.csv (clean allocations) plus the one bad file, in its entity folder."""
    landing = root / "landing"
    for entity in ("allocations", "declarations"):
        (landing / entity).mkdir(parents=True, exist_ok=True)
    shutil.copy(BAD_INPUT / "rows" / "allocations" / "base.csv", landing / "allocations")
    shutil.copy(BAD_INPUT / "files" / rel, landing / rel)
    return landing


@pytest.fixture(scope="module")
def started_file_level(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, tuple[subprocess.Popen, Path, Path, Path]]]:
    """Every file-level class but the chained one, each on a fresh warehouse, all started at
    once (in the background of the catalogue runs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JEUGDHULP_")}
    env["JEUGDHULP_HMAC_KEY"] = TEST_HMAC_KEY
    started: dict[str, tuple[subprocess.Popen, Path, Path, Path]] = {}
    for rel in FILE_LEVEL:
        if rel == CHAINED_FILE_LEVEL:
            continue
        root = tmp_path_factory.mktemp(Path(rel).stem)
        landing = _file_level_landing(root, rel)
        warehouse, report = root / "warehouse" / "jeugdhulp.duckdb", root / "report.json"
        with open(root / "stderr.txt", "w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "orchestration.cli", *_cli_args(landing, warehouse, report)],
                cwd=ROOT,
                env={**env, "DAGSTER_HOME": str(root)},
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        started[rel] = (process, landing, warehouse, report)
    yield started
    for process, *_ in started.values():
        if process.poll() is None:
            process.kill()


@pytest.fixture(scope="module")
def catalogue(
    tmp_path_factory: pytest.TempPathFactory,
    started_file_level: dict[str, tuple[subprocess.Popen, Path, Path, Path]],
) -> dict[str, Any]:
    """Three runs on one warehouse: the row-level catalogue with threshold 1.0 (publishes), the
    same landing with the default threshold (blocked), and a file-level failure."""
    root = tmp_path_factory.mktemp("catalogue")
    landing = root / "landing"
    shutil.copytree(BAD_INPUT / "rows", landing)
    warehouse = root / "warehouse" / "jeugdhulp.duckdb"
    published = _run(root, landing, warehouse, "all", JEUGDHULP_QUARANTINE_THRESHOLD="1.0")
    after_publish = warehouse.read_bytes() if warehouse.exists() else b""
    blocked = _run(root, landing, warehouse, "default_threshold")
    after_blocked = warehouse.read_bytes() if warehouse.exists() else b""
    rejected_landing = _file_level_landing(root / "rejected", CHAINED_FILE_LEVEL)
    rejected = _run(root, rejected_landing, warehouse, "rejected_file")
    after_rejected = warehouse.read_bytes() if warehouse.exists() else b""
    return {
        "published": published,
        "blocked": blocked,
        "rejected": rejected,
        "bytes": (after_publish, after_blocked, after_rejected),
    }


@pytest.fixture(scope="module")
def file_level_runs(
    started_file_level: dict[str, tuple[subprocess.Popen, Path, Path, Path]],
    catalogue: dict[str, Any],
) -> dict[str, Run]:
    runs = {CHAINED_FILE_LEVEL: catalogue["rejected"]}
    for rel, (process, landing, warehouse, report) in started_file_level.items():
        process.wait(timeout=600)
        stderr = (report.parent / "stderr.txt").read_text()
        data = json.loads(report.read_text()) if report.exists() else {}
        runs[rel] = Run(landing, warehouse, process.returncode, stderr, data)
    return runs


# ----------------------------------------------------------------------------- row level


@pytest.mark.slow
def test_row_level_catalogue_run_publishes_with_threshold_one(catalogue: dict[str, Any]) -> None:
    run = catalogue["published"]
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.report["published"] is True
    assert run.report["failed_checks"] == []


@pytest.mark.slow
def test_every_catalogue_file_is_reported_once(catalogue: dict[str, Any]) -> None:
    reported = [f["path"] for f in catalogue["published"].report["files"]]
    assert sorted(reported) == sorted(ROW_LEVEL)


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(ROW_LEVEL))
def test_row_level_file_counts_and_rules(catalogue: dict[str, Any], path: str) -> None:
    f = catalogue["published"].files[path]
    read, loaded, quarantined, duplicate, by_rule = ROW_LEVEL[path]
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"], f["rows_duplicate"]) == (
        read,
        loaded,
        quarantined,
        duplicate,
    )
    assert f["quarantined_by_rule"] == by_rule
    assert f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"] + f["rows_duplicate"]


@pytest.mark.slow
def test_each_quarantined_row_is_kept_with_file_row_and_rule(catalogue: dict[str, Any]) -> None:
    run = catalogue["published"]
    working = run.warehouse.parent / f".{run.warehouse.stem}.working.duckdb"
    con = duckdb.connect(str(working), read_only=True)
    try:
        rows = con.execute(
            "select source_file, source_row, rule, original_values from raw.quarantine"
        ).fetchall()
    finally:
        con.close()
    assert {(f, r, rule) for f, r, rule, _ in rows} == QUARANTINED_ROWS
    assert len(rows) == len(QUARANTINED_ROWS)
    originals = {(f, r): json.loads(values) for f, r, _, values in rows}
    # the original values are kept as delivered, e.g. the Dutch date and the three-digit code
    assert originals["allocations/wrong_date_format.csv", 2]["ingangsdatum"] == "01-03-2023"
    assert originals["allocations/invalid_gemeentecode.csv", 1]["gemeentecode"] == "153"


def test_catalogue_covers_every_row_level_class_of_the_issue() -> None:
    rules = {rule for *_, by_rule in ROW_LEVEL.values() for rule in by_rule}
    assert rules == {
        "invalid_date",  # wrong format and impossible date
        "date_out_of_range",
        "end_before_start",
        "negative_amount",
        "invalid_debet_credit",
        "invalid_bsn",
        "invalid_gemeentecode",
        "unknown_allocation",
        "credit_without_debit",
        "credit_exceeds_debit",
        "conflicting_declaratienummer",
        "conflicting_versions",
        "legacy_productcategorie_without_successor",
    }


@pytest.mark.slow
def test_published_marts_hold_only_the_rows_that_passed(catalogue: dict[str, Any]) -> None:
    """The conflicting T150 versions leave the version of 2023-01-01 standing; the over-large
    credit on D150 is not netted, so July 2023 of T101 keeps D150's 5000 cents. T170, delivered
    in the 2015 category 35 (pleegzorg), is published as its successor 44, a Wonen stay."""
    con = duckdb.connect(str(catalogue["published"].warehouse), read_only=True)
    try:
        allocations = dict(
            con.execute(
                "select toewijzingnummer, cast(einddatum as varchar) from marts.fct_allocations"
            ).fetchall()
        )
        legacy = con.execute(
            "select productcategorie, hulpvorm, segment, counts_as_jeugdhulp "
            "from marts.fct_allocations where toewijzingnummer = 'T170'"
        ).fetchall()
        july = con.execute(
            "select net_amount_cents from marts.fct_declarations_monthly "
            "where toewijzingnummer = 'T101' and period_month = date '2023-07-01'"
        ).fetchall()
    finally:
        con.close()
    assert sorted(allocations) == [
        "T100",
        "T101",
        "T110",
        "T121",
        "T131",
        "T141",
        "T150",
        "T162",
        "T170",
    ]
    assert legacy == [("44", "verblijf", "Wonen", True)]
    assert allocations["T150"] == "2023-06-30"
    assert july == [(5000,)]


# ----------------------------------------------------------------------------- threshold


@pytest.mark.slow
def test_default_quarantine_threshold_blocks_a_mostly_broken_delivery(
    catalogue: dict[str, Any],
) -> None:
    run = catalogue["blocked"]
    assert run.returncode == 1
    assert run.report["published"] is False
    failed = {c["check"] for c in run.report["failed_checks"]}
    assert failed == {ACCOUNTING_CHECK}
    assert ACCOUNTING_CHECK in run.summary
    # the counts are still reported: the rows were read and accounted for, only too many bad
    assert {f["path"] for f in run.report["files"]} == set(ROW_LEVEL)


@pytest.mark.slow
def test_blocked_run_leaves_the_previous_warehouse_byte_identical(
    catalogue: dict[str, Any],
) -> None:
    after_publish, after_blocked, _ = catalogue["bytes"]
    assert after_publish, "the catalogue run should have published a warehouse"
    assert after_blocked == after_publish


# ----------------------------------------------------------------------------- file level


@pytest.mark.slow
@pytest.mark.parametrize("rel", sorted(FILE_LEVEL))
def test_unreadable_file_fails_the_run_naming_the_file(
    file_level_runs: dict[str, Run], rel: str
) -> None:
    run = file_level_runs[rel]
    assert run.returncode == 1, run.stderr[-3000:]
    assert "NOT published" in run.summary
    assert rel in run.summary
    assert FILE_LEVEL[rel] in run.summary
    assert "Traceback" not in run.summary and 'File "' not in run.summary
    assert run.report["published"] is False
    assert run.report["failed_checks"] == []
    [step] = run.report["failed_steps"]
    assert step["step"] == "landing_ingest" and rel in step["error"]


@pytest.mark.slow
@pytest.mark.parametrize("rel", sorted(set(FILE_LEVEL) - {CHAINED_FILE_LEVEL}))
def test_rejected_file_publishes_nothing(file_level_runs: dict[str, Run], rel: str) -> None:
    run = file_level_runs[rel]
    assert not run.warehouse.exists()
    assert run.report["files"] == []


@pytest.mark.slow
def test_rejected_file_leaves_the_previous_warehouse_byte_identical(
    catalogue: dict[str, Any],
) -> None:
    after_publish, _, after_rejected = catalogue["bytes"]
    assert after_rejected == after_publish


@pytest.mark.slow
def test_rejected_delivery_does_not_report_the_previous_deliverys_files(
    catalogue: dict[str, Any],
) -> None:
    run = catalogue["rejected"]
    assert run.returncode == 1
    assert {f["path"] for f in run.report["files"]} <= {"allocations/base.csv", CHAINED_FILE_LEVEL}


@pytest.mark.slow
def test_header_only_file_is_zero_rows_not_an_error(catalogue: dict[str, Any]) -> None:
    f = catalogue["published"].files["allocations/header_only.csv"]
    assert f["rows_read"] == 0 and f["quarantined_by_rule"] == {}


# ----------------------------------------------------------------------------- report contract


def _assert_report_contract(report: dict[str, Any]) -> None:
    assert isinstance(report["published"], bool)
    assert isinstance(report["failed_checks"], list)
    for check in report["failed_checks"]:
        assert isinstance(check["check"], str) and check["check"]
    assert isinstance(report["files"], list)
    for f in report["files"]:
        assert set(f) == REPORT_FILE_KEYS
        assert isinstance(f["path"], str)
        counts = [f["rows_read"], f["rows_loaded"], f["rows_quarantined"], f["rows_duplicate"]]
        assert all(isinstance(n, int) and n >= 0 for n in counts)
        assert f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"] + f["rows_duplicate"]
        assert all(
            isinstance(k, str) and isinstance(v, int) for k, v in f["quarantined_by_rule"].items()
        )
        assert sum(f["quarantined_by_rule"].values()) == f["rows_quarantined"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["published", "blocked", "rejected"])
def test_report_keeps_its_contract_also_when_the_run_fails(
    catalogue: dict[str, Any], name: str
) -> None:
    run = catalogue[name]
    _assert_report_contract(run.report)
    assert run.report["published"] is (name == "published")
    assert bool(run.report["failed_checks"]) is (name == "blocked")


@pytest.mark.slow
def test_report_of_a_rejected_file_on_a_fresh_warehouse_keeps_its_contract(
    file_level_runs: dict[str, Run],
) -> None:
    for run in file_level_runs.values():
        _assert_report_contract(run.report)


# ----------------------------------------------------------------------------- docs/DATA_QUALITY.md

DATA_QUALITY = ROOT / "docs" / "DATA_QUALITY.md"


def test_every_quarantine_rule_is_documented_with_its_reason_in_priority_order() -> None:
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \| ([^|]+) \|", DATA_QUALITY.read_text(), re.M)
    assert [rule for _, rule, _ in rows] == list(RULES)
    assert [int(n) for n, _, _ in rows] == list(range(1, len(RULES) + 1))
    for _, rule, reason in rows:
        assert reason.strip() == RULES[rule], rule


def test_every_blocking_guard_is_documented() -> None:
    text = DATA_QUALITY.read_text()
    suites = sorted(p.stem for p in (ROOT / "expectations" / "suites").glob("*.json"))
    assert suites
    for name in [*SUITE_NAMES, *suites, ACCOUNTING_CHECK]:
        assert f"`{name}`" in text or f"{name}.json" in text, name


def test_every_catalogue_fixture_is_documented() -> None:
    text = DATA_QUALITY.read_text()
    fixtures = [p for p in (BAD_INPUT / "rows").rglob("*.*") if p.name != "base.csv"]
    fixtures += list((BAD_INPUT / "files").rglob("*.*"))
    assert len(fixtures) == len(ROW_LEVEL) - 1 + len(FILE_LEVEL)
    for path in fixtures:
        rel = (
            path.relative_to(BAD_INPUT / "rows")
            if "rows" in path.parts
            else path.relative_to(BAD_INPUT)
        )
        assert f"`{rel.as_posix()}`" in text, rel
