"""How much of each fact that can be unknown was known: non-blocking (WARN) checks for the data
engineer (DEFINITIONS §5, §7).

An indicator resting on a fact that can be unknown publishes no value where too little was known
(§7, `data_quality = insufficient`); these checks say *why* before an analyst asks: per region
and year, the share of a fact's population for which the fact is known, e.g. "reason for ending
known for 12% of ended allocations in Twente 2025". A check warns (it never blocks: the cells
already say what they rest on) when some region and year is below the minimum coverage
(`JEUGDHULP_MIN_COVERAGE`), and its metadata holds the threshold and the whole table.
The facts are read from the next publication's `marts.fct_allocations`, where §5 defines each
once (`int_allocations__derived_facts`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from orchestration.config import load_settings
from orchestration.publish import PUBLISHED_SCHEMA

ALLOCATIONS = AssetKey([PUBLISHED_SCHEMA, "fct_allocations"])


@dataclass(frozen=True)
class CoverageFact:
    check: str  # the check's name
    fact: str  # what is known or not, in words
    population: str  # of which members, in words
    members: str  # SQL: the row is a member of the population
    known: str  # SQL: the fact is known for the member
    year: str  # SQL: the member's year
    spec: str


FACTS: tuple[CoverageFact, ...] = (
    CoverageFact(
        check="reason_for_ending_coverage",
        fact="reason for ending known",
        population="ended allocations",
        members="is_ended",
        known="reason_source <> 'unknown'",
        year="year(care_end_date)",
        spec="DEFINITIONS §5 (reason for ending), §7",
    ),
    CoverageFact(
        check="start_of_care_observed_coverage",
        fact="start of care observed (JW305, not a proxy from declarations)",
        population="allocations with a start of care",
        members="start_of_care is not null",
        known="start_of_care_basis = 'observed'",
        year="year(start_of_care)",
        spec="DEFINITIONS §5 (start of care), §7",
    ),
    CoverageFact(
        check="referrer_coverage",
        fact="referrer known",
        population="allocations",
        members="true",
        known="referrer_source <> 'unknown'",
        year="year(ingangsdatum)",
        spec="DEFINITIONS §5 (referrer), §7",
    ),
)


def coverage_table(con: duckdb.DuckDBPyConnection, fact: CoverageFact) -> pd.DataFrame:
    """Per region and year: members, known, coverage (0–1), lowest coverage first."""
    return con.execute(
        f"""
        select regio, {fact.year} as jaar, count(*) as members,
               count(*) filter (where {fact.known}) as known,
               round(count(*) filter (where {fact.known}) / count(*), 4) as coverage
        from {PUBLISHED_SCHEMA}.fct_allocations
        where {fact.members}
        group by all
        order by coverage, regio, jaar
        """
    ).df()


def evaluate(table: pd.DataFrame, fact: CoverageFact, threshold: float) -> AssetCheckResult:
    """A WARN result naming the region-years below `threshold` (the worst one in words)."""
    below = table[table["coverage"] < threshold]
    if table.empty:
        description = f"{fact.fact}: no {fact.population}"
    elif below.empty:
        description = f"{fact.fact} for at least {threshold:.0%} of {fact.population} everywhere"
    else:
        worst = below.iloc[0]
        description = (
            f"{fact.fact} for {worst['coverage']:.0%} of {fact.population} in {worst['regio']} "
            f"{int(worst['jaar'])} ({int(worst['known'])} of {int(worst['members'])}); "
            f"{len(below)} region-year(s) below {threshold:.0%}"
        )
    return AssetCheckResult(
        passed=below.empty,
        severity=AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "threshold": MetadataValue.float(threshold),
            "spec": fact.spec,
            "region_years_below": MetadataValue.int(len(below)),
            "coverage": MetadataValue.md(table.to_markdown(index=False) if len(table) else "-"),
        },
    )


def run_coverage_check(fact: CoverageFact, publication: Path, threshold: float) -> AssetCheckResult:
    with contextlib.closing(duckdb.connect(str(publication), read_only=True)) as con:
        return evaluate(coverage_table(con, fact), fact, threshold)


def build_coverage_checks() -> list[AssetChecksDefinition]:
    return [_build(fact) for fact in FACTS]


def _build(fact: CoverageFact) -> AssetChecksDefinition:
    @asset_check(
        asset=ALLOCATIONS,
        name=fact.check,
        description=(
            f"{fact.spec}: per region and year, the share of {fact.population} with the "
            f"{fact.fact.removesuffix(' known')} known; warns below JEUGDHULP_MIN_COVERAGE "
            "(never blocks: indicator cells say themselves what they rest on)."
        ),
        blocking=False,
    )
    def _check(context) -> AssetCheckResult:  # an AssetCheckExecutionContext
        settings = load_settings()
        # Not blocking, so the publish step may have run first: then the same marts are in the
        # warehouse (the publication is renamed, not copied).
        source = settings.publication_db_path
        if not source.is_file():
            source = settings.warehouse
        result = run_coverage_check(fact, source, settings.min_coverage)
        context.log.info(result.description)
        return result

    return _check
