"""Property-based tests (hypothesis) of the six-month rule and the row validators.

The trajectory rule (DEFINITIONS §4) is the SQL dbt compiles from macros/trajectories.sql for
`int_allocations__chained` and `int_trajectories__summarised`. It is compiled once (dbt compile
in a subprocess, into a temporary target folder) and then executed straight in an in-memory
DuckDB per example, against a table standing in for `int_allocations__effective`: no dbt run
per example. Random histories of a few clients — month ends, leap days, open ends, overlaps,
same-day starts, starts a day either side of the six-month threshold — must satisfy:
no overlap, every allocation in exactly one trajectory, a re-entry only after six full calendar
months (pandas DateOffset), every other allocation joined to the trajectory before it, and the
same result whatever the order of the input rows.

Validators (DEFINITIONS §2): the eleven-test in Python and in SQL agree, and every delivered
row ends up loaded, quarantined or counted as a duplicate, exactly one of them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.config import DBT_PROJECT_DIR
from orchestration.ingest.contract import column_names
from orchestration.ingest.load import ingest_landing
from orchestration.ingest.validate import bsn_ok_sql, is_valid_bsn
from tests.conftest import ROOT
from tests.test_ingest_support import alloc, csv_text, decl

GAP = pd.DateOffset(months=6)
PEILDATUM = dt.date(2024, 1, 1)
EFFECTIVE = "int_allocations__effective"
CHAINED = "int_allocations__chained"
SUMMARISED = "int_trajectories__summarised"

COMPILE = r"""
import json, sys
from dbt.cli.main import dbtRunner

project, target, log_path, vars_ = sys.argv[1:5]
result = dbtRunner().invoke([
    "compile", "--project-dir", project, "--profiles-dir", project, "--target-path", target,
    "--log-path", log_path, "--vars", vars_, "--quiet",
    "--select", "int_allocations__chained", "int_trajectories__summarised",
])
if not result.success:
    sys.exit(f"dbt compile failed: {result.exception}")
print(json.dumps({r.node.name: r.node.compiled_code for r in result.result.results
                  if r.node.resource_type == "model"}))
"""

# ----------------------------------------------------------------------------- the compiled rule


@pytest.fixture(scope="module")
def rule_sql(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Compiled SQL of the two models, with their refs pointing at plain in-memory tables."""
    work = tmp_path_factory.mktemp("dbt-compile")
    env = {**os.environ, "JEUGDHULP_WORKING_DB": str(work / "compile.duckdb")}
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    dbt_vars = json.dumps({"peildatum": PEILDATUM.isoformat(), "trajectory_gap_months": 6})
    result = subprocess.run(
        [sys.executable, "-c", COMPILE, str(DBT_PROJECT_DIR), str(work / "target")]
        + [str(work / "logs"), dbt_vars],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    compiled = json.loads(result.stdout.strip().splitlines()[-1])
    sql = {}
    for model, ref in ((CHAINED, EFFECTIVE), (SUMMARISED, CHAINED)):
        pattern = re.compile(r'"[^"]+"\."[^"]+"\."' + ref + '"')
        text, n = pattern.subn(ref, compiled[model])
        assert n >= 1, f"{model} no longer reads {ref}: update this harness"
        sql[model] = text
    return sql


@dataclass(frozen=True)
class Allocation:
    client: str
    gemeentecode: str
    toewijzingnummer: str
    start: dt.date
    end: dt.date | None
    jeugdhulp: bool = True

    @property
    def key(self) -> str:
        return f"{self.gemeentecode}|{self.toewijzingnummer}"

    def row(self) -> tuple:
        return (
            self.key,
            self.client,
            self.gemeentecode,
            self.toewijzingnummer,
            self.start,
            self.end,
            self.jeugdhulp,
        )


def run_rule(
    con: duckdb.DuckDBPyConnection, sql: dict[str, str], allocations: list[Allocation]
) -> tuple[list[tuple], list[tuple]]:
    """Chained rows (key, client, seq, is_start) and trajectories (client, seq, start, end,
    n_allocations, is_reentry, gap_days, id, previous id), both sorted."""
    con.execute(
        f"create or replace table {EFFECTIVE} (allocation_key varchar, client_key varchar, "
        "gemeentecode varchar, toewijzingnummer varchar, ingangsdatum date, einddatum date, "
        "counts_as_jeugdhulp boolean)"
    )
    con.executemany(
        f"insert into {EFFECTIVE} values (?, ?, ?, ?, ?, ?, ?)", [a.row() for a in allocations]
    )
    con.execute(f"create or replace table {CHAINED} as {sql[CHAINED]}")
    con.execute(f"create or replace table {SUMMARISED} as {sql[SUMMARISED]}")
    chained = con.execute(
        f"select allocation_key, client_key, trajectory_seq, is_trajectory_start from {CHAINED} "
        "order by all"
    ).fetchall()
    trajectories = con.execute(
        "select client_key, trajectory_seq, start_date, end_date, n_allocations, is_reentry, "
        f"gap_days, trajectory_id, previous_trajectory_id from {SUMMARISED} order by all"
    ).fetchall()
    return chained, trajectories


# ----------------------------------------------------------------------------- histories

FIRST, LAST = dt.date(2016, 1, 1), dt.date(2025, 12, 31)
LEAP_DAYS = [dt.date(2016, 2, 29), dt.date(2020, 2, 29), dt.date(2024, 2, 29)]


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _plus_gap(day: dt.date) -> dt.date:
    """(day + 1 day) + six calendar months, month ends clamped (DEFINITIONS §4)."""
    return (pd.Timestamp(day) + pd.Timedelta(days=1) + GAP).date()


any_day = st.dates(min_value=FIRST, max_value=LAST)
month_ends = st.builds(_month_end, st.integers(2016, 2025), st.integers(1, 12))
days = st.one_of(any_day, month_ends, st.sampled_from(LEAP_DAYS))


@st.composite
def histories(draw: st.DrawFn) -> list[Allocation]:
    allocations: list[Allocation] = []
    number = 0
    for client in ("c1", "c2", "c3")[: draw(st.integers(1, 3))]:
        own: list[Allocation] = []
        for _ in range(draw(st.integers(1, 6))):
            ended = [a.end for a in own if a.end is not None]
            how = draw(st.sampled_from(["any", "near_gap", "same_start"])) if own else "any"
            if how == "near_gap" and ended:
                # a day either side of (or on) the six-month threshold after an earlier end
                start = _plus_gap(draw(st.sampled_from(ended))) + dt.timedelta(
                    days=draw(st.sampled_from([-1, 0, 1]))
                )
            elif how == "same_start":
                start = draw(st.sampled_from([a.start for a in own]))
            else:
                start = draw(days)
            end_how = draw(st.sampled_from(["open", "days", "month_end", "same_day"]))
            if end_how == "open":
                end = None
            elif end_how == "same_day":
                end = start
            elif end_how == "month_end":
                months = draw(st.integers(0, 14))
                year, month = divmod(start.month - 1 + months, 12)
                end = _month_end(start.year + year, month + 1)
            else:
                end = start + dt.timedelta(days=draw(st.integers(0, 400)))
            number += 1
            own.append(
                Allocation(
                    client=client,
                    gemeentecode=draw(st.sampled_from(["0153", "0983"])),
                    toewijzingnummer=f"T{number:03d}",
                    start=start,
                    end=end,
                    jeugdhulp=draw(st.sampled_from([True, True, True, True, False])),
                )
            )
        allocations += own
    return allocations


def _rule_order(a: Allocation) -> tuple:
    """The §4 ordering: ingangsdatum, einddatum (open last), toewijzingnummer, gemeentecode."""
    return (a.start, a.end is None, a.end or dt.date.max, a.toewijzingnummer, a.gemeentecode)


PROPERTY_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@PROPERTY_SETTINGS
@given(allocations=histories(), data=st.data())
def test_trajectory_rule_properties(
    rule_sql: dict[str, str],
    con: duckdb.DuckDBPyConnection,
    allocations: list[Allocation],
    data: st.DataObject,
) -> None:
    chained, trajectories = run_rule(con, rule_sql, allocations)
    jeugdhulp = [a for a in allocations if a.jeugdhulp]
    by_key = {a.key: a for a in jeugdhulp}
    seq_of = {key: seq for key, _, seq, _ in chained}

    # every jeugdhulp allocation, and nothing else, is chained exactly once
    assert sorted(k for k, *_ in chained) == sorted(by_key)

    trajectory = {(t[0], t[1]): t for t in trajectories}
    assert len(trajectory) == len(trajectories)
    for client in {a.client for a in jeugdhulp}:
        own = sorted((a for a in jeugdhulp if a.client == client), key=_rule_order)
        rows = sorted((t for t in trajectories if t[0] == client), key=lambda t: t[1])
        assert [t[1] for t in rows] == list(range(1, len(rows) + 1))

        # every allocation lies in exactly one trajectory: the one it is chained to
        for a in own:
            containing = [
                t
                for t in rows
                if t[2] <= a.start and (t[3] is None or (a.end is not None and a.end <= t[3]))
            ]
            assert [t[1] for t in containing] == [seq_of[a.key]]

        # trajectories summarise their allocations and never overlap
        for t in rows:
            members = [a for a in own if seq_of[a.key] == t[1]]
            assert t[4] == len(members)
            assert t[2] == min(a.start for a in members)
            ends = [a.end for a in members]
            assert t[3] == (None if None in ends else max(ends))
        for earlier, later in zip(rows, rows[1:], strict=False):
            assert earlier[3] is not None and earlier[3] < later[2]

        # a re-entry starts only after six full calendar months without any allocation
        for earlier, later in zip(rows, rows[1:], strict=False):
            assert later[5] is True and later[8] == earlier[7]
            assert later[2] >= _plus_gap(earlier[3])
            assert later[6] == (later[2] - earlier[3]).days - 1
        assert rows[0][5] is False and rows[0][6] is None and rows[0][8] is None

        # walking the §4 order: an allocation joins unless six months passed since cover ended
        covered: dt.date | None = None
        open_ended = False
        for i, a in enumerate(own):
            if i > 0:
                new = not open_ended and a.start >= _plus_gap(covered)
                assert seq_of[a.key] == seq_of[own[i - 1].key] + (1 if new else 0)
                if new:
                    covered, open_ended = None, False
            open_ended = open_ended or a.end is None
            if a.end is not None:
                covered = a.end if covered is None else max(covered, a.end)

    # the input order does not matter
    shuffled = data.draw(st.permutations(allocations))
    assert run_rule(con, rule_sql, shuffled) == (chained, trajectories)


def test_trajectory_harness_reproduces_a_worked_case(
    rule_sql: dict[str, str], con: duckdb.DuckDBPyConnection
) -> None:
    """Worked case 688136138 (tests/fixtures/cases): 2022-08-30 + 1 day + 6 months clamps to
    2023-02-28, so an allocation starting then is a re-entry with a gap of 181 days."""
    allocations = [
        Allocation("c", "0983", "VIS0011", dt.date(2022, 6, 1), dt.date(2022, 8, 30)),
        Allocation("c", "0983", "VIS0012", dt.date(2023, 2, 28), dt.date(2023, 3, 31)),
    ]
    _, trajectories = run_rule(con, rule_sql, allocations)
    assert [(t[1], t[2], t[3], t[5], t[6]) for t in trajectories] == [
        (1, dt.date(2022, 6, 1), dt.date(2022, 8, 30), False, None),
        (2, dt.date(2023, 2, 28), dt.date(2023, 3, 31), True, 181),
    ]


# ----------------------------------------------------------------------------- validators


def _with_check_digit(prefix: str) -> str | None:
    """The BSN with these 8 digits that passes the eleven-test, if one exists."""
    total = sum(w * int(d) for w, d in zip((9, 8, 7, 6, 5, 4, 3, 2), prefix, strict=True))
    check = total % 11
    return None if check == 10 else prefix + str(check)


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)
valid_bsns = (
    st.text(alphabet="0123456789", min_size=8, max_size=8).map(_with_check_digit).filter(bool)
)
odd_strings = st.text(alphabet="0123456789 -x٣²", min_size=0, max_size=11)


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(nine_digits, valid_bsns, odd_strings))
def test_elfproef_in_python_and_sql_agree(value: str) -> None:
    in_sql = duckdb.execute(f"select {bsn_ok_sql('v')} from (select ?::varchar as v)", [value])
    assert in_sql.fetchall()[0][0] is is_valid_bsn(value)


def test_elfproef_examples() -> None:
    assert is_valid_bsn("111222333") and is_valid_bsn("123456782")
    assert not is_valid_bsn("123456789") and not is_valid_bsn("000000000")
    assert _with_check_digit("12345678") == "123456782"


# Values a delivered allocation / declaration field may take: valid ones and broken ones.
ALLOCATION_VALUES = {
    "toewijzingnummer": ["T001", "T002", "T003", ""],
    "gemeentecode": ["0153", "0983", "153"],
    "bsn": ["123456782", "111222333", "123456789"],
    "ingangsdatum": ["2023-01-01", "2023-02-30", "01-03-2023", "2014-06-01"],
    "einddatum": ["2023-12-31", "", "2022-12-31"],
    "dagtekening": ["2023-01-01", "2023-02-01", ""],
}
DECLARATION_VALUES = {
    "declaratienummer": ["D001", "D002", "D003"],
    "vorig_declaratienummer": ["", "D001", "D009"],
    "debet_credit": ["D", "C", "X"],
    "toewijzingnummer": ["T001", "T002", "T999"],
    "begindatum": ["2023-01-01", "2023-02-01"],
    "einddatum": ["2023-01-31", "2022-12-31"],
    "geleverd_volume": ["10", "-1", "2.5"],
    "bedrag": ["75000", "100000", "-5", "1.5"],
}


@st.composite
def deliveries(draw: st.DrawFn) -> dict[str, list[list[dict[str, str]]]]:
    """Per entity one or two files of a few rows, each row a base row with some fields
    replaced; rows repeat earlier rows now and then (exact duplicates)."""

    def rows(base, values) -> list[dict[str, str]]:
        made: list[dict[str, str]] = []
        for _ in range(draw(st.integers(0, 5))):
            if made and draw(st.booleans()):
                made.append(dict(draw(st.sampled_from(made))))
                continue
            changes = {
                column: draw(st.sampled_from(options))
                for column, options in values.items()
                if draw(st.booleans())
            }
            made.append(base(**changes))
        return made

    return {
        "allocations": [rows(alloc, ALLOCATION_VALUES) for _ in range(draw(st.integers(1, 2)))],
        "declarations": [rows(decl, DECLARATION_VALUES) for _ in range(draw(st.integers(1, 2)))],
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(delivered=deliveries())
def test_every_row_is_loaded_quarantined_or_duplicate_exactly_once(
    delivered: dict[str, list[list[dict[str, str]]]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing"
        expected_rows: dict[str, list[tuple[str, int, tuple]]] = {}
        for entity, files in delivered.items():
            (landing / entity).mkdir(parents=True)
            for i, rows in enumerate(files):
                rel = f"{entity}/part-{i}.csv"
                columns = column_names(entity)
                text = csv_text(rows, columns) if rows else ",".join(columns) + "\n"
                (landing / rel).write_text(text, encoding="utf-8")
                expected_rows.setdefault(entity, []).extend(
                    (rel, n, tuple(r.get(c, "").strip() for c in columns))
                    for n, r in enumerate(rows, start=1)
                )
        con = duckdb.connect()
        try:
            report = ingest_landing(landing, con, hmac_key=b"k" * 16, peildatum=PEILDATUM)
            kept = {
                entity: con.execute(
                    f"select _source_file, _source_row from raw.{entity}"
                ).fetchall()
                for entity in delivered
            }
            quarantined = con.execute(
                "select entity, source_file, source_row from raw.quarantine"
            ).fetchall()
        finally:
            con.close()

    for f in report.files:
        assert f.rows_read == f.rows_loaded + f.rows_quarantined + f.rows_duplicate
    for entity, rows in expected_rows.items():
        loaded = set(kept[entity])
        held = {(file, row) for e, file, row in quarantined if e == entity}
        assert len(loaded) == len(kept[entity]) and not loaded & held
        # a row neither loaded nor quarantined repeats an earlier row exactly,
        seen: set[tuple] = set()
        for file, row, values in rows:
            # and a row that repeats an earlier row exactly is neither loaded nor quarantined
            assert ((file, row) not in loaded | held) is (values in seen), (file, row)
            seen.add(values)
        duplicates = sum(f.rows_duplicate for f in report.files if f.entity == entity)
        assert len(rows) == len(loaded) + len(held) + duplicates
