"""A trajectory model that bridges a real break passes the re-entry and overlap checks but not
the allocation-span checks (DEFINITIONS §4).

The worked cases plus client X: BRG001 2022-01-01..2022-03-31 and BRG003 from 2022-10-15, a
break of 6½ months (2022-04-01 + 6 months = 2022-10-01 <= 2022-10-15: two trajectories). Between
them BRG002 2022-04-01..2022-10-14 was allocated and then withdrawn (a later version ends before
it starts). The bridging variant of the trajectory model chains with a 7-month gap (or, which
gives the same chain here, counts the withdrawn BRG002): X has one trajectory 2022-01-01..
2022-12-31.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.checks.suites import run_all_suites
from orchestration.config import Settings
from orchestration.publish import attach_publication
from tests.conftest import CASES, client_key, make_landing, run_args, run_cli, write_csv_landing

pytestmark = pytest.mark.slow

PEILDATUM = dt.date(2024, 1, 1)
BSN_X = "111222333"  # passes the eleven-test
BRIDGE = (
    f"BRG001,0983,87654321,{BSN_X},45,,2022-01-01,2022-03-31,2022-01-01\n"
    f"BRG002,0983,87654321,{BSN_X},45,,2022-04-01,2022-10-14,2022-03-20\n"
    f"BRG002,0983,87654321,{BSN_X},45,,2022-04-01,2022-03-31,2022-04-05\n"
    f"BRG003,0983,87654321,{BSN_X},45,,2022-10-15,2022-12-31,2022-10-15\n"
)

# The bridging variant: the §4 chain with a 7-month gap, per client and per segment chain,
# written over the next publication's trajectories of every chain it changes.
BRIDGING_MODEL = """
create temp table bridged as
with chains as (
    select client_key, '' as dimension, '' as dimension_value, toewijzingnummer, ingangsdatum,
           einddatum
    from marts.fct_allocations where counts_as_jeugdhulp
    union all
    select client_key, 'hulpvorm', hulpvorm, toewijzingnummer, ingangsdatum, einddatum
    from marts.fct_allocations where counts_as_jeugdhulp and hulpvorm is not null
    union all
    select client_key, 'segment', segment, toewijzingnummer, ingangsdatum, einddatum
    from marts.fct_allocations where counts_as_jeugdhulp and segment is not null
),
ordered as (
    select *, max(coalesce(einddatum, date '9999-12-31')) over (
        partition by client_key, dimension, dimension_value
        order by ingangsdatum, einddatum nulls last, toewijzingnummer
        rows between unbounded preceding and 1 preceding) as covered
    from chains
),
flagged as (
    select *, sum(case when covered is null
                        or ingangsdatum >= covered + interval 1 day + interval 7 month
                       then 1 else 0 end) over (
        partition by client_key, dimension, dimension_value
        order by ingangsdatum, einddatum nulls last, toewijzingnummer) as seq
    from ordered
)
select client_key, dimension, dimension_value, seq, min(ingangsdatum) as start_date,
       case when bool_or(einddatum is null) then null else max(einddatum) end as end_date,
       count(*)::integer as n_allocations,
       md5(client_key || dimension || dimension_value || min(ingangsdatum)) as new_id
from flagged group by client_key, dimension, dimension_value, seq;

create temp table merged as  -- the chains the 7-month gap changes (fewer trajectories)
select b.* from bridged as b
where (select count(*) from bridged as o where o.client_key = b.client_key
         and o.dimension = b.dimension and o.dimension_value = b.dimension_value)
    < case when b.dimension = '' then
        (select count(*) from marts.fct_trajectories as t where t.client_key = b.client_key)
      else (select count(*) from marts.fct_segment_trajectories as s
            where s.client_key = b.client_key and s.dimension = b.dimension
              and s.dimension_value = b.dimension_value) end;

update marts.fct_allocations as a set trajectory_id = m.new_id
from merged as m
where m.dimension = '' and a.client_key = m.client_key and a.counts_as_jeugdhulp
  and a.ingangsdatum between m.start_date and coalesce(m.end_date, date '9999-12-31');

delete from marts.fct_trajectories
where client_key in (select client_key from merged where dimension = '');
insert into marts.fct_trajectories
select m.new_id, m.client_key, '0983', m.start_date, m.end_date, 'closed',
       (m.end_date - m.start_date + 1)::integer, m.n_allocations, false, null, null
from merged as m where m.dimension = '';

delete from marts.fct_segment_trajectories as s
where exists (select 1 from merged as m where m.dimension <> '' and m.client_key = s.client_key
              and m.dimension = s.dimension and m.dimension_value = s.dimension_value);
insert into marts.fct_segment_trajectories
select m.new_id, m.client_key, m.dimension, m.dimension_value, '0983', m.start_date,
       m.end_date, 'closed', (m.end_date - m.start_date + 1)::integer, m.n_allocations, false,
       null, null
from merged as m where m.dimension <> '';
"""


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bridging")
    landing = make_landing(root, allocations=[CASES / "allocations.csv"])
    write_csv_landing(landing, {"allocations/bridge.csv": BRIDGE})
    warehouse = root / "wh" / "jeugdhulp.duckdb"
    result = run_cli(
        run_args(landing, warehouse, peildatum=PEILDATUM.isoformat()),
        env_extra={"DAGSTER_HOME": str(root)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return warehouse.parent


def _results(published: Path, tmp_path: Path, sql: str) -> dict:
    """Every blocking suite on a copy of the publication changed by `sql`."""
    folder = tmp_path / "wh"
    shutil.copytree(published, folder)
    settings = Settings(warehouse=folder / "jeugdhulp.duckdb", peildatum=PEILDATUM)
    shutil.copy(settings.warehouse, settings.publication_db_path)
    con = duckdb.connect(str(settings.publication_db_path))
    con.execute(sql)
    con.close()
    con = duckdb.connect(str(settings.working_db_path), read_only=True)
    try:
        attach_publication(con, settings.publication_db_path)
        return run_all_suites(con, settings)
    finally:
        con.close()


def test_the_worked_cases_with_the_break_pass_every_check(published: Path, tmp_path: Path):
    results = _results(published, tmp_path, "select 1")
    assert {n: r.summary() for n, r in results.items() if not r.success} == {}


def test_a_model_bridging_a_six_and_a_half_month_break_is_caught(published: Path, tmp_path: Path):
    results = _results(published, tmp_path, BRIDGING_MODEL)
    failing = {n for n, r in results.items() if not r.success}
    assert failing == {"trajectories_allocation_span", "segment_trajectories_allocation_span"}
    for name in failing:
        (failure,) = results[name].failures
        assert failure.label == "expect_column_values_to_be_in_set(has_inner_gap)"
        assert all(row["has_inner_gap"] is True for row in failure.sample)
    # the bridged trajectory of X is named (the 7-month gap bridges others of the cases too)
    bridged_x = hashlib.md5(f"{client_key(BSN_X)}2022-01-01".encode()).hexdigest()
    (failure,) = results["trajectories_allocation_span"].failures
    assert bridged_x in {row["trajectory_id"] for row in failure.sample}
    con = duckdb.connect(str(published / "jeugdhulp.duckdb"), read_only=True)
    x = client_key(BSN_X)
    assert con.execute(
        "select count(*) from marts.fct_trajectories where client_key = ?", [x]
    ).fetchall() == [(2,)]
    con.close()
    # the break was real: the re-entry and overlap checks pass on the bridged output
    for name in ("trajectories_reentry_gap", "trajectories_no_overlap"):
        assert results[name].success, results[name].summary()
        assert results[f"segment_{name}"].success


def test_publishing_the_withdrawn_bridge_is_caught(published: Path, tmp_path: Path):
    """The other way to bridge: BRG002 kept as if effective (its first version)."""
    sql = """
        insert into marts.fct_allocations select * replace (
            'BRG002' as toewijzingnummer, md5('0983|BRG002') as allocation_key,
            date '2022-04-01' as ingangsdatum, date '2022-10-14' as einddatum)
        from marts.fct_allocations where toewijzingnummer = 'BRG001'
    """
    results = _results(published, tmp_path, sql)
    result = results["allocations_effective_versions"]
    assert not result.success
    (failure,) = result.failures
    assert failure.sample[0]["withdrawn_published"] == "BRG002"
