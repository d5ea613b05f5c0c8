"""Dagster asset checks that run the mart suites as blocking checks (DEFINITIONS §7).

One `@asset_check(blocking=True)` per suite in `suites.MART_SUITES`, on the mart it guards.
A failing check has severity ERROR, which stops everything downstream of the mart in the same
run; its metadata names the failed expectations with their unexpected counts and a sample.
A passing check says so beside the publication it read (orchestration/check_passes.py), and
validates only what changed since the published marts passed it, where that is safe
(checks/scope.py; every row in a full rebuild).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)
from dagster._core.errors import DagsterInvalidPropertyError  # not exported at the top level

from orchestration.check_passes import checks_version, file_identity, record_pass
from orchestration.checks import scope as check_scope
from orchestration.checks.frames import MARTS_SCHEMA
from orchestration.checks.gx_runner import SuiteResult
from orchestration.checks.suites import (
    MART_SUITES,
    SUITE_NAMES,
    MartSuite,
    run_all_suites,
    run_mart_suite,
)
from orchestration.config import Settings, full_rebuild_requested, load_settings
from orchestration.publish import attach_publication

__all__ = [
    "SUITE_NAMES",
    "build_mart_checks",
    "check_result",
    "run_all_suites",
    "run_mart_check",
]


def mart_asset_key(table: str) -> AssetKey:
    return AssetKey([MARTS_SCHEMA, table])


def build_mart_checks(
    suites: Sequence[MartSuite] = MART_SUITES,
    *,
    available: Collection[AssetKey] | None = None,
) -> list[AssetChecksDefinition]:
    """One blocking asset check per suite.

    With `available` (the asset keys of the code location), suites whose marts are not all
    among them are left out, so a mart not yet modelled does not break the definitions.
    """
    checks = []
    for suite in suites:
        keys = [mart_asset_key(t) for t in suite.tables]
        if available is not None and not all(k in available for k in keys):
            continue
        checks.append(_build_check(suite))
    return checks


def _build_check(suite: MartSuite) -> AssetChecksDefinition:
    @asset_check(
        asset=mart_asset_key(suite.table),
        name=suite.name,
        description=suite.description,
        blocking=True,
        # No additional_deps on the other marts a suite reads: every mart comes out of the one dbt
        # step, and blocking checks that depend on each other's assets would form a cycle.
        metadata={
            "suite": suite.suite,
            "spec": _spec_of(suite.description),
            "reads": ", ".join(suite.reads),
        },
    )
    def _check(context) -> AssetCheckResult:  # an AssetCheckExecutionContext
        settings = load_settings()
        full = full_rebuild_requested(settings, _run_tags(context))
        result = run_mart_check(suite, settings, full=full)
        context.log.info(f"{suite.name}: checked {result.metadata['scope'].value}")
        return result

    return _check


def _run_tags(context) -> dict[str, str]:  # an AssetCheckExecutionContext
    """The run's tags; none when the check is invoked directly (no run, as in tests)."""
    try:
        return dict(context.run.tags)
    except DagsterInvalidPropertyError:
        return {}


def run_mart_check(suite: MartSuite, settings: Settings, *, full: bool = False) -> AssetCheckResult:
    """Open the working database read-only with the next publication attached (its marts are
    what the suite checks), run the suite on every row (`full`, or where the scope cannot be
    limited) or on the rows changed since the published marts passed it, and turn it into a
    check result. A pass is recorded beside the publication."""
    path = Path(settings.working_db_path)
    if not path.is_file():
        raise FileNotFoundError(f"Working database {path} does not exist; run the pipeline first")
    publication = settings.publication_db_path
    identity = file_identity(publication) if publication.is_file() else None
    con = duckdb.connect(str(path), read_only=True, config=settings.duckdb_config())
    try:
        attach_publication(con, publication)  # the marts dbt just built
        scope, said = None, "every row: this check reads every mart in full"
        if suite.scoped:
            scope, said = check_scope.decide(con, settings, suite.name, suite.suite, full=full)
        result = run_mart_suite(suite, con, settings, scope=scope)
    finally:
        con.close()
    if result.success and identity is not None:
        record_pass(
            publication,
            suite.name,
            peildatum=settings.peildatum,
            gap_months=settings.gap_months,
            version=checks_version(),
            identity=identity,  # the file as the check found it: changed since, it counts not
        )
    return check_result(result, scope=said)


def check_result(result: SuiteResult, *, scope: str = "every row") -> AssetCheckResult:
    """An ERROR-severity check result whose metadata names what failed and what was checked."""
    unexpected = {f.label: f.unexpected_count for f in result.failures}
    metadata: dict[str, object] = {
        "suite": result.suite_name,
        "expectations_evaluated": MetadataValue.int(result.evaluated_expectations),
        "failed_expectations": MetadataValue.json(result.failed_expectations),
        "unexpected_counts": MetadataValue.json(unexpected),
        "rows_validated": MetadataValue.int(result.rows_validated),
        "batches": MetadataValue.int(result.batches),
        "duration_seconds": MetadataValue.float(float(result.duration_seconds)),
        "scope": MetadataValue.text(scope),
    }
    if result.failures:
        metadata["sample"] = MetadataValue.md(_failures_markdown(result))
        metadata["failures"] = MetadataValue.json([f.as_dict() for f in result.failures])
    if result.error is not None:
        metadata["error"] = MetadataValue.text(result.error)
    return AssetCheckResult(
        passed=result.success,
        severity=AssetCheckSeverity.ERROR,
        description=result.summary(),
        metadata=metadata,
    )


def _failures_markdown(result: SuiteResult) -> str:
    lines = [
        "| expectation | unexpected | rule | sample |",
        "|---|---|---|---|",
    ]
    for failure in result.failures:
        sample = json.dumps(list(failure.sample), ensure_ascii=False)
        if failure.exception:
            sample = f"error: {failure.exception}"
        cells = [failure.label, str(failure.unexpected_count), failure.rule or "", sample]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def _spec_of(description: str) -> str:
    return description.split(":", 1)[0]
