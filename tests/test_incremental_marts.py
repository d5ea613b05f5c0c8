"""The nightly increment of the published monthly fact (docs/INCREMENTAL.md, "The monthly
fact"): a second run on the same warehouse keeps the months whose lines did not change and
recomputes the rest, and publishes exactly the marts of a full rebuild of the same landing
folder.

The night (peildatum 2024-07-01) changes three of the four months in ways that each need the
month recomputed, and leaves one month's lines alone while changing its allocations:

- 2024-03 is new (D6 on the new allocation T4);
- 2023-01 gets a credit (D7 credits 40000 of D1's 120000 cents, delivered in the new file);
- 2023-03 vanishes: its only file is no longer in the landing folder;
- 2023-02 keeps its lines, but T2 is withdrawn (its February line loses its allocation_key)
  and the withdrawn T5 gets an effective version again (its February line gets one back).

So the night's log says 3 of 4 months changed; 2023-04 (D4 on T1, D5 on T2) is not recomputed
either, and its T2 row loses its key too.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, dbt_log, run_args, run_cli, write_csv_landing

pytestmark = pytest.mark.slow

PEILDATUM = "2024-07-01"
A, B, C = "725763863", "162275869", "192285142"
HISTORY = {
    "allocations/2023.csv": f"""\
T1,0153,12345678,{A},45,45A01,2023-01-01,2023-12-31,2023-01-01
T2,0153,12345678,{B},45,45A01,2023-02-01,2023-06-30,2023-02-01
T3,0153,12345678,{C},45,45A01,2023-03-01,2023-05-31,2023-03-01
T5,0153,12345678,{A},45,45A01,2023-02-01,2023-02-28,2023-02-01
T5,0153,12345678,{A},45,45A01,2023-02-01,2023-01-31,2023-02-10
""",
    "declarations/2023-01.csv": f"""\
D1,,D,T1,0153,12345678,{A},45,45A01,2023-01-02,2023-01-31,10,04,120000
""",
    "declarations/2023-02.csv": f"""\
D2,,D,T2,0153,12345678,{B},45,45A01,2023-02-01,2023-02-28,5,04,50000
D8,,D,T5,0153,12345678,{A},45,45A01,2023-02-01,2023-02-28,3,04,30000
""",
    "declarations/2023-03.csv": f"""\
D3,,D,T3,0153,12345678,{C},45,45A01,2023-03-01,2023-03-31,2,04,20000
""",
    "declarations/2023-04.csv": f"""\
D4,,D,T1,0153,12345678,{A},45,45A01,2023-04-01,2023-04-30,6,04,60000
D5,,D,T2,0153,12345678,{B},45,45A01,2023-04-01,2023-04-30,4,04,40000
""",
}
NIGHT = {
    "allocations/2024-03.csv": f"""\
T2,0153,12345678,{B},45,45A01,2023-02-01,2023-01-31,2024-03-01
T4,0153,12345678,{C},45,45A01,2024-03-01,,2024-03-01
T5,0153,12345678,{A},45,45A01,2023-02-01,2023-02-28,2024-03-05
""",
    "declarations/2024-03.csv": f"""\
D6,,D,T4,0153,12345678,{C},45,45A01,2024-03-04,2024-03-29,8,04,80000
D7,D1,C,T1,0153,12345678,{A},45,45A01,2023-01-02,2023-01-31,4,04,40000
""",
}
GONE = "declarations/2023-03.csv"


def _run(root: Path, landing: Path, warehouse: Path, name: str, *flags: str) -> str:
    report = root / f"report-{name}.json"
    args = [*run_args(landing, warehouse, peildatum=PEILDATUM, report=report), *flags]
    result = run_cli(args, {"DAGSTER_HOME": str(root)})
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(report.read_text())["run_id"]


def _messages(run_id: str) -> list[str]:
    return [str(event["info"].get("msg", "")) for event in dbt_log(run_id)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """History, then the night on the same warehouse; a full rebuild of the night's folder."""
    root = tmp_path_factory.mktemp("nightly")
    shutil.copy(ROOT / ".dagster_home" / "dagster.yaml", root / "dagster.yaml")
    landing = root / "landing"
    write_csv_landing(landing, HISTORY)
    nightly = root / "nightly" / "jeugdhulp.duckdb"
    history_run = _run(root, landing, nightly, "history")
    write_csv_landing(landing, NIGHT)
    (landing / GONE).unlink()
    night_run = _run(root, landing, nightly, "night")
    rebuild = root / "rebuild" / "jeugdhulp.duckdb"
    rebuild_run = _run(root, landing, rebuild, "rebuild")
    forced = root / "forced" / "jeugdhulp.duckdb"
    shutil.copytree(nightly.parent, forced.parent)
    forced_run = _run(root, landing, forced, "forced", "--full-rebuild")
    return {
        "nightly": nightly,
        "rebuild": rebuild,
        "forced": forced,
        "logs": {
            name: _messages(run_id)
            for name, run_id in (
                ("history", history_run),
                ("night", night_run),
                ("rebuild", rebuild_run),
                ("forced", forced_run),
            )
        },
    }


def _query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _marts(warehouse: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        return {
            t: sorted(con.execute(f"select * from marts.{t}").fetchall(), key=repr) for t in tables
        }
    finally:
        con.close()


def test_the_night_recomputes_only_the_months_whose_lines_changed(runs: dict) -> None:
    logs = runs["logs"]
    changed = [m for m in logs["night"] if m.startswith("fct_declarations_monthly: ")]
    assert changed == [
        "fct_declarations_monthly: 3 of 4 months changed since the published mart; "
        "recomputing those, keeping the rest"
    ]
    # the first run had nothing to start from, and neither had the rebuild into a new warehouse
    for name in ("history", "rebuild"):
        assert not any(m.startswith("fct_declarations_monthly: ") for m in logs[name])


def test_the_night_publishes_the_marts_of_a_full_rebuild(runs: dict) -> None:
    nightly, rebuild = _marts(runs["nightly"]), _marts(runs["rebuild"])
    assert sorted(nightly) == sorted(rebuild)
    for table in rebuild:
        assert nightly[table] == rebuild[table], table


def test_kept_months_get_tonights_allocation_keys(runs: dict) -> None:
    """February and April 2023 were kept: T2's lines lose their key (withdrawn), T5's gets one
    (an effective version again), T1's keeps its own."""
    rows = _query(
        runs["nightly"],
        "select toewijzingnummer, cast(period_month as varchar), allocation_key is not null "
        "from marts.fct_declarations_monthly order by 2, 1",
    )
    assert rows == [
        ("T1", "2023-01-01", True),
        ("T2", "2023-02-01", False),
        ("T5", "2023-02-01", True),
        ("T1", "2023-04-01", True),
        ("T2", "2023-04-01", False),
        ("T4", "2024-03-01", True),
    ]


def test_a_full_rebuild_starts_from_nothing_and_gives_the_same_marts(runs: dict) -> None:
    assert not any(m.startswith("fct_declarations_monthly: ") for m in runs["logs"]["forced"])
    assert _marts(runs["forced"]) == _marts(runs["rebuild"])


def test_the_published_fact_records_what_it_was_built_from(runs: dict) -> None:
    months = _query(
        runs["nightly"],
        "select cast(period_month as varchar), n_lines "
        "from meta.fct_declarations_monthly__months order by 1",
    )
    recorded = _query(runs["nightly"], "select mart from meta.increments")
    # January: D1 and its credit D7; March 2023 is gone
    assert months == [("2023-01-01", 2), ("2023-02-01", 2), ("2023-04-01", 2), ("2024-03-01", 1)]
    assert recorded == [("fct_declarations_monthly",)]
    # the links the next night relinks from: every row's allocation_key is its allocation's
    # key there (T2, withdrawn, is not there: its rows have none)
    links = _query(
        runs["nightly"],
        "select toewijzingnummer from meta.fct_declarations_monthly__links order by 1",
    )
    unlike = _query(
        runs["nightly"],
        "select count(*) from marts.fct_declarations_monthly as fact "
        "left join meta.fct_declarations_monthly__links as links "
        "on fact.gemeentecode = links.gemeentecode "
        "and fact.toewijzingnummer = links.toewijzingnummer "
        "where fact.allocation_key is distinct from links.allocation_key",
    )
    assert ("T2",) not in links and ("T5",) in links
    assert unlike == [(0,)]
