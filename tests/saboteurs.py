"""The saboteur table: for every blocking check that guards what is published, one planted
violation that breaks that check only (DEFINITIONS §7: results are published only after every
blocking check passes).

tests/test_saboteurs.py runs the real pipeline (`jeugdhulp run`) once per row on a published
demo warehouse and asserts that the check failed, that no other check failed (or only those the
row declares, with the reason), that nothing was published, that the previous warehouse is
byte-identical, and that the CLI exits 1 naming the check. It also fails when a blocking check
of the definitions has no row here.

A violation is planted where a wrong model change would make it: a statement run right after
dbt built the named model or seed (a post-hook of a throw-away copy of the dbt project, see
tests/sabotage/sabotage.sql), so dbt's own data tests and every later check see it; `$this` is
the model's relation. Or, for the ingest, a landing file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A row of a mart copied under a new id: the planted row differs from its original only where a
# statement sets it, so it breaks nothing else.
NEW_ID = "md5('planted by a saboteur')"


@dataclass(frozen=True)
class Saboteur:
    check: str  # the check's name
    asset: str  # the asset it guards, as Dagster prints it (e.g. "marts/fct_trajectories")
    guards: str  # what the check guards, in a line
    plant: dict[str, tuple[str, ...]] = field(default_factory=dict)  # model → SQL statements
    landing: dict[str, str] = field(default_factory=dict)  # extra landing file → CSV rows
    also_fails: tuple[str, ...] = ()  # checks that cannot pass on any violation of this one
    why_also: str = ""  # … and why

    @property
    def id(self) -> str:
        return f"{self.asset}:{self.check}"


def _copy_row(table_where: str, **set_columns: str) -> str:
    """SQL: insert a copy of the first row of `$this` matching `table_where`, with columns set."""
    replace = ", ".join(f"{value} as {column}" for column, value in set_columns.items())
    star = f"* replace ({replace})" if replace else "*"
    return f"insert into $this select {star} from $this where {table_where} limit 1"


FIRST_TRAJECTORY = "trajectory_id = (select min(trajectory_id) from $this)"
FIRST_SEGMENT_TRAJECTORY = "segment_trajectory_id = (select min(segment_trajectory_id) from $this)"
FIRST_ALLOCATION = "allocation_key = (select min(allocation_key) from $this)"

# The delivery rows an ingest saboteur adds (landing file → rows after the header): more than
# the quarantine threshold (5 %) of the file breaks §2's rules, here every row (bad BSN).
BAD_ALLOCATIONS = (
    "T-SAB-1,0153,12345678,123456789,45,45A01,2024-01-01,2024-06-30,2024-01-01\n"
    "T-SAB-2,0153,12345678,123456789,45,45A01,2024-01-01,2024-06-30,2024-01-01\n"
)
BAD_DECLARATIONS = (
    "D-SAB-1,,D,T-SAB-1,0153,12345678,123456789,45,45A01,2024-01-01,2024-01-31,1,01,100\n"
    "D-SAB-2,,D,T-SAB-2,0153,12345678,123456789,45,45A01,2024-01-01,2024-01-31,1,01,100\n"
)
# The §2.1 sub-folders. A care start needs only columns the declaration header has, so its file
# takes that header (test_saboteurs writes the declaration header for every sub-folder but
# allocations/): the same rows, read as care starts, break the elfproef. The other four need a
# column that header lacks (reden_beeindiging, verwijzer_type, retourcodes, doelen_behaald): their
# rows are written for the header of their own contract, CYCLE_CSV_HEADERS, which the harness
# must write in front of them for these rows to run.
BAD_CARE_STARTS = BAD_DECLARATIONS
CYCLE_CSV_HEADERS = {
    "care_stops": "toewijzingnummer,gemeentecode,aanbieder_agb,bsn,einddatum,reden_beeindiging\n",
    "allocation_requests": "referentie_aanbieder,gemeentecode,aanbieder_agb,bsn,verwijzer_type\n",
    "declaration_responses": "declaratienummer,gemeentecode,aanbieder_agb,retourcodes\n",
    "outcome_reports": "toewijzingnummer,gemeentecode,aanbieder_agb,bsn,einddatum,doelen_behaald\n",
}
BAD_CARE_STOPS = (
    "T-SAB-1,0153,12345678,123456789,2024-06-30,31\nT-SAB-2,0153,12345678,123456789,2024-06-30,31\n"
)
BAD_ALLOCATION_REQUESTS = "R-SAB-1,0153,12345678,123456789,02\nR-SAB-2,0153,12345678,123456789,02\n"
BAD_DECLARATION_RESPONSES = (  # a gemeentecode of 3 digits
    "D-SAB-1,153,12345678,0200\nD-SAB-2,153,12345678,0200\n"
)
BAD_OUTCOME_REPORTS = (
    "T-SAB-1,0153,12345678,123456789,2024-06-30,ja\nT-SAB-2,0153,12345678,123456789,2024-06-30,ja\n"
)


SABOTEURS: tuple[Saboteur, ...] = (
    # ------------------------------------------------------------------ ingest (§2)
    Saboteur(
        check="delivery_accounted_for",
        asset="raw/allocations",
        guards="every allocation row is loaded, quarantined or a duplicate; no file over the "
        "quarantine threshold (§2)",
        landing={"allocations/sabotage_bad_bsn.csv": BAD_ALLOCATIONS},
    ),
    Saboteur(
        check="delivery_accounted_for",
        asset="raw/declarations",
        guards="every declaration line is loaded, quarantined or a duplicate; no file over the "
        "quarantine threshold (§2)",
        landing={"declarations/sabotage_bad_bsn.csv": BAD_DECLARATIONS},
    ),
    Saboteur(
        check="delivery_accounted_for",
        asset="raw/care_starts",
        guards="every care start (JW305) is loaded, quarantined or a duplicate; no file over the "
        "quarantine threshold (§2.1)",
        landing={"care_starts/sabotage_bad_bsn.csv": BAD_CARE_STARTS},
    ),
    Saboteur(
        check="delivery_accounted_for",
        asset="raw/care_stops",
        guards="every care stop (JW307) is loaded, quarantined or a duplicate; no file over the "
        "quarantine threshold (§2.1)",
        landing={"care_stops/sabotage_bad_bsn.csv": BAD_CARE_STOPS},
    ),
    Saboteur(
        check="delivery_accounted_for",
        asset="raw/allocation_requests",
        guards="every allocation request (JW315) is loaded, quarantined or a duplicate; no file "
        "over the quarantine threshold (§2.1)",
        landing={"allocation_requests/sabotage_bad_bsn.csv": BAD_ALLOCATION_REQUESTS},
    ),
    Saboteur(
        check="delivery_accounted_for",
        asset="raw/declaration_responses",
        guards="every declaration answer (JW325) is loaded, quarantined or a duplicate; no file "
        "over the quarantine threshold (§2.1)",
        landing={"declaration_responses/sabotage_bad_gemeente.csv": BAD_DECLARATION_RESPONSES},
    ),
    Saboteur(
        check="delivery_accounted_for",
        asset="raw/outcome_reports",
        guards="every outcome report is loaded, quarantined or a duplicate; no file over the "
        "quarantine threshold (§2.1)",
        landing={"outcome_reports/sabotage_bad_bsn.csv": BAD_OUTCOME_REPORTS},
    ),
    # ------------------------------------------------------------------ GX: trajectories (§4)
    Saboteur(
        check="trajectories_reentry_gap",
        asset="marts/fct_trajectories",
        guards="re-entries: six months after the previous end, chain and gap_days agree (§4)",
        plant={
            "fct_trajectories": (
                "update $this set gap_days = gap_days + 1 where trajectory_id = "
                "(select min(trajectory_id) from $this where is_reentry)",
            )
        },
    ),
    Saboteur(
        check="trajectories_no_overlap",
        asset="marts/fct_trajectories",
        guards="a client's trajectories never overlap; only the last is open-ended (§4)",
        plant={
            # the client's first re-entry starts on its previous trajectory's last day
            "fct_trajectories": (
                "update $this as t set start_date = p.end_date, gap_days = -1, duration_days = "
                "case when t.status = 'ongoing' then null "
                "else datediff('day', p.end_date, t.end_date) + 1 end "
                "from $this as p where p.trajectory_id = t.previous_trajectory_id and t.trajectory_id = "
                "(select min(trajectory_id) from $this where is_reentry)",
            )
        },
        also_fails=("trajectories_reentry_gap", "trajectories_allocation_span"),
        why_also="an overlap is a re-entry that starts before the previous end, so it is also "
        "too early; and either trajectory then holds an allocation it does not start or end with",
    ),
    Saboteur(
        check="trajectories_status_dates",
        asset="marts/fct_trajectories",
        guards="status, duration and dates agree with the peildatum; ids unique (§4)",
        plant={
            "fct_trajectories": (
                "update $this set status = 'ended' where trajectory_id = "
                "(select min(trajectory_id) from $this where status = 'closed')",
            )
        },
    ),
    Saboteur(
        check="allocations_in_one_trajectory",
        asset="marts/fct_allocations",
        guards="every effective jeugdhulp allocation lies in exactly one trajectory of its "
        "client and names it; other allocations name none (§3, §4)",
        plant={
            # two allocations of one client swap trajectories: the counts stay right
            "fct_allocations": (
                "create temp table sabotage_pair as "
                "select a.allocation_key as a_key, a.trajectory_id as a_traj, "
                "b.allocation_key as b_key, b.trajectory_id as b_traj "
                "from $this as a join $this as b on a.client_key = b.client_key "
                "and a.trajectory_id < b.trajectory_id "
                "order by a.allocation_key, b.allocation_key limit 1",
                "update $this set trajectory_id = case allocation_key "
                "when (select a_key from sabotage_pair) then (select b_traj from sabotage_pair) "
                "else (select a_traj from sabotage_pair) end "
                "where allocation_key in (select a_key from sabotage_pair "
                "union all select b_key from sabotage_pair)",
            )
        },
    ),
    Saboteur(
        check="trajectories_allocation_count",
        asset="marts/fct_trajectories",
        guards="n_allocations equals the allocations naming the trajectory (§4)",
        plant={
            "fct_trajectories": (
                f"update $this set n_allocations = n_allocations + 1 where {FIRST_TRAJECTORY}",
            )
        },
        also_fails=("trajectories_allocation_span",),
        why_also="n_allocations is also the number of the client's allocations within the "
        "trajectory's dates, which the span check compares",
    ),
    Saboteur(
        check="marts_no_personal_data",
        asset="marts/fct_trajectories",
        guards="no BSN-, name-, birth-date- or address-like column or BSN value in any mart (§7)",
        plant={"fct_trajectories": ("alter table $this add column geboortedatum date",)},
    ),
    Saboteur(
        check="trajectories_allocation_span",
        asset="marts/fct_trajectories",
        guards="no break of the gap months inside a trajectory; start, end and count as its "
        "allocations give them (§4)",
        plant={
            # a first trajectory that starts a day before its first allocation
            "fct_trajectories": (
                "update $this set start_date = start_date - 1, "
                "duration_days = duration_days + 1 where trajectory_id = (select "
                "min(trajectory_id) from $this where not is_reentry and end_date is not null)",
            )
        },
    ),
    Saboteur(
        check="allocations_effective_versions",
        asset="marts/fct_allocations",
        guards="fct_allocations holds each delivered allocation's effective version once, "
        "no withdrawn one (§2)",
        plant={
            "fct_allocations": (
                f"update $this set aanbieder_agb = '11111111' where {FIRST_ALLOCATION}",
            )
        },
    ),
    Saboteur(
        check="indicator_suppression",
        asset="marts/fct_indicator_values",
        guards="cells on fewer clients than the threshold carry no value, numerator or "
        "denominator; no other cell is suppressed (§7)",
        plant={
            "fct_indicator_values": (
                "update $this set value = 1 where rowid = "
                "(select min(rowid) from $this where suppressed)",
            )
        },
    ),
    Saboteur(
        check="indicator_insufficient_cells",
        asset="marts/fct_indicator_values",
        guards="an insufficient cell (too few members with the needed fact known) carries no "
        "value, numerator, denominator or target verdict (§7)",
        plant={
            # a published value on a cell marked insufficient, as if unknown had counted as "no"
            "fct_indicator_values": (
                "update $this set data_quality = 'insufficient' where rowid = "
                "(select min(rowid) from $this where value is not null and coverage is null)",
            )
        },
    ),
    # ------------------------------------------------------------------ GX: segment trajectories
    Saboteur(
        check="segment_trajectories_reentry_gap",
        asset="marts/fct_segment_trajectories",
        guards="segment re-entries: six months after the previous end of the same hulpvorm or "
        "segment (§4)",
        plant={
            "fct_segment_trajectories": (
                "update $this set gap_days = gap_days + 1 where segment_trajectory_id = "
                "(select min(segment_trajectory_id) from $this where is_reentry)",
            )
        },
    ),
    Saboteur(
        check="segment_trajectories_no_overlap",
        asset="marts/fct_segment_trajectories",
        guards="a client's segment trajectories per hulpvorm/segment never overlap (§4)",
        plant={
            # the first segment re-entry starts on its previous trajectory's last day
            "fct_segment_trajectories": (
                "update $this as t set start_date = p.end_date, gap_days = -1, duration_days = "
                "case when t.status = 'ongoing' then null "
                "else datediff('day', p.end_date, t.end_date) + 1 end "
                "from $this as p where p.segment_trajectory_id = t.previous_segment_trajectory_id and t.segment_trajectory_id = "
                "(select min(segment_trajectory_id) from $this where is_reentry)",
            )
        },
        also_fails=("segment_trajectories_reentry_gap", "segment_trajectories_allocation_span"),
        why_also="an overlap is a re-entry that starts before the previous end, so it is also "
        "too early; and either trajectory then holds an allocation it does not start or end with",
    ),
    Saboteur(
        check="segment_trajectories_status_dates",
        asset="marts/fct_segment_trajectories",
        guards="segment trajectories' status, duration and dates agree with the peildatum (§4)",
        plant={
            "fct_segment_trajectories": (
                "update $this set status = 'ended' where segment_trajectory_id = "
                "(select min(segment_trajectory_id) from $this where status = 'closed')",
            )
        },
    ),
    Saboteur(
        check="segment_trajectories_allocation_span",
        asset="marts/fct_segment_trajectories",
        guards="no break of the gap months inside a segment trajectory; start, end and count as "
        "its allocations give them (§4)",
        plant={
            "fct_segment_trajectories": (
                "update $this set start_date = start_date - 1, "
                "duration_days = duration_days + 1 where segment_trajectory_id = (select "
                "min(segment_trajectory_id) from $this where not is_reentry "
                "and end_date is not null)",
            )
        },
    ),
    # ------------------------------------------------------------------ dbt data tests on marts
    Saboteur(
        check="unique_fct_trajectories_trajectory_id",
        asset="marts/fct_trajectories",
        guards="trajectory_id is unique",
        plant={"fct_trajectories": (_copy_row(FIRST_TRAJECTORY),)},
    ),
    Saboteur(
        check="not_null_fct_trajectories_trajectory_id",
        asset="marts/fct_trajectories",
        guards="trajectory_id is present",
        plant={"fct_trajectories": (_copy_row(FIRST_TRAJECTORY, trajectory_id="null"),)},
    ),
    Saboteur(
        check="not_null_fct_trajectories_client_key",
        asset="marts/fct_trajectories",
        guards="client_key is present",
        plant={
            "fct_trajectories": (
                _copy_row(FIRST_TRAJECTORY, trajectory_id=NEW_ID, client_key="null"),
            )
        },
    ),
    Saboteur(
        check="not_null_fct_trajectories_start_date",
        asset="marts/fct_trajectories",
        guards="start_date is present",
        plant={
            "fct_trajectories": (
                _copy_row(FIRST_TRAJECTORY, trajectory_id=NEW_ID, start_date="null"),
            )
        },
    ),
    Saboteur(
        check="not_null_fct_trajectories_status",
        asset="marts/fct_trajectories",
        guards="status is present",
        plant={
            "fct_trajectories": (_copy_row(FIRST_TRAJECTORY, trajectory_id=NEW_ID, status="null"),)
        },
    ),
    Saboteur(
        check="accepted_values_fct_trajectories_status__ongoing__ended__closed",
        asset="marts/fct_trajectories",
        guards="status is ongoing, ended or closed",
        plant={
            "fct_trajectories": (
                _copy_row(FIRST_TRAJECTORY, trajectory_id=NEW_ID, status="'open'"),
            )
        },
    ),
    Saboteur(
        check=(
            "relationships_fct_trajectories_previous_trajectory_id__trajectory_id__ref_"
            "fct_trajectories_"
        ),
        asset="marts/fct_trajectories",
        guards="previous_trajectory_id names a published trajectory",
        plant={
            "fct_trajectories": (
                _copy_row(
                    FIRST_TRAJECTORY, trajectory_id=NEW_ID, previous_trajectory_id="'no-such-id'"
                ),
            )
        },
    ),
    Saboteur(
        check="unique_fct_segment_trajectories_segment_trajectory_id",
        asset="marts/fct_segment_trajectories",
        guards="segment_trajectory_id is unique",
        plant={"fct_segment_trajectories": (_copy_row(FIRST_SEGMENT_TRAJECTORY),)},
    ),
    Saboteur(
        check="not_null_fct_segment_trajectories_segment_trajectory_id",
        asset="marts/fct_segment_trajectories",
        guards="segment_trajectory_id is present",
        plant={
            "fct_segment_trajectories": (
                _copy_row(FIRST_SEGMENT_TRAJECTORY, segment_trajectory_id="null"),
            )
        },
    ),
    Saboteur(
        check="accepted_values_fct_segment_trajectories_dimension__hulpvorm__segment",
        asset="marts/fct_segment_trajectories",
        guards="dimension is hulpvorm or segment",
        plant={
            "fct_segment_trajectories": (
                _copy_row(
                    FIRST_SEGMENT_TRAJECTORY, segment_trajectory_id=NEW_ID, dimension="'regio'"
                ),
            )
        },
    ),
    Saboteur(
        check="unique_fct_allocations_allocation_key",
        asset="marts/fct_allocations",
        guards="allocation_key is unique",
        plant={"fct_allocations": (_copy_row(FIRST_ALLOCATION),)},
    ),
    Saboteur(
        check="not_null_fct_allocations_allocation_key",
        asset="marts/fct_allocations",
        guards="allocation_key is present",
        plant={"fct_allocations": (_copy_row(FIRST_ALLOCATION, allocation_key="null"),)},
    ),
    Saboteur(
        check=("relationships_fct_allocations_trajectory_id__trajectory_id__ref_fct_trajectories_"),
        asset="marts/fct_allocations",
        guards="an allocation's trajectory_id names a published trajectory",
        plant={
            "fct_allocations": (
                _copy_row(FIRST_ALLOCATION, allocation_key=NEW_ID, trajectory_id="'no-such-id'"),
            )
        },
    ),
    Saboteur(
        check="monthly_fact_reconciles_with_its_lines",
        asset="marts/fct_declarations_monthly",
        guards="the monthly fact adds up to the netted declaration lines (§2, §5)",
        plant={
            "fct_declarations_monthly": (
                "update $this set net_amount_cents = net_amount_cents + 1 where rowid = "
                "(select min(rowid) from $this)",
            )
        },
    ),
    Saboteur(
        check=(
            "unique_fct_indicator_values_indicator_code_cast_period_year_as_string_regio_"
            "gemeentecode_segment_aanbieder_agb"
        ),
        asset="marts/fct_indicator_values",
        guards="one value per indicator, year, regio, gemeente, segment and aanbieder",
        plant={
            "fct_indicator_values": (
                "insert into $this select * from $this where rowid = (select min(rowid) from $this)",
            )
        },
    ),
    Saboteur(
        check=(
            "relationships_fct_indicator_values_indicator_code__indicator_code__ref_dim_indicators_"
        ),
        asset="marts/fct_indicator_values",
        guards="every indicator value names a catalogued indicator",
        plant={
            "fct_indicator_values": (
                "update $this set indicator_code = 'no_such_indicator' where rowid = "
                "(select min(rowid) from $this)",
            )
        },
    ),
    Saboteur(
        check="unique_dim_indicators_indicator_code",
        asset="marts/dim_indicators",
        guards="indicator_code is unique in the catalogue",
        plant={
            "dim_indicators": (
                "insert into $this select * from $this where rowid = (select min(rowid) from $this)",
            )
        },
    ),
)
