"""Landing folder → raw tables in the working database (DEFINITIONS §2, §2.1), as one Dagster
step.

Reports rows read / loaded / quarantined / duplicate per file and per rule as metadata, and a
blocking check per entity: every delivered row is accounted for, and no file is mostly broken.
"""

from collections.abc import Iterator
from typing import Any

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from orchestration.config import (
    ConfigError,
    full_rebuild_requested,
    load_settings,
    resolve_hmac_key,
)

OWNER = "team:jeugdhulp-data"
RAW_ALLOCATIONS = AssetKey(["raw", "allocations"])
RAW_DECLARATIONS = AssetKey(["raw", "declarations"])
RAW_QUARANTINE = AssetKey(["raw", "quarantine"])
RAW_INGEST_FILES = AssetKey(["raw", "ingest_files"])
RAW_CLIENTS = AssetKey(["raw", "clients"])
RAW_CARE_STARTS = AssetKey(["raw", "care_starts"])
RAW_CARE_STOPS = AssetKey(["raw", "care_stops"])
RAW_ALLOCATION_REQUESTS = AssetKey(["raw", "allocation_requests"])
RAW_DECLARATION_RESPONSES = AssetKey(["raw", "declaration_responses"])
RAW_OUTCOME_REPORTS = AssetKey(["raw", "outcome_reports"])
# The raw table of each delivered entity, each with the blocking accounting check.
ENTITY_ASSETS = {
    "allocations": RAW_ALLOCATIONS,
    "declarations": RAW_DECLARATIONS,
    "care_starts": RAW_CARE_STARTS,
    "care_stops": RAW_CARE_STOPS,
    "allocation_requests": RAW_ALLOCATION_REQUESTS,
    "declaration_responses": RAW_DECLARATION_RESPONSES,
    "outcome_reports": RAW_OUTCOME_REPORTS,
}
ACCOUNTING_CHECK = "delivery_accounted_for"

_SPECS = [
    AssetSpec(
        RAW_ALLOCATIONS,
        description="Allocation versions (toewijzingen, iJw JW301) from landing/allocations/ that "
        "pass the row rules of DEFINITIONS §2. BSN kept only here, beside its keyed client_key.",
    ),
    AssetSpec(
        RAW_DECLARATIONS,
        description="Declaration lines (declaraties, iJw JW323) from landing/declarations/ that "
        "pass the row rules of DEFINITIONS §2.",
    ),
    AssetSpec(
        RAW_CARE_STARTS,
        description="Care starts (start zorg, iJw JW305) from landing/care_starts/ that pass the "
        "row rules of DEFINITIONS §2.1, with status_aanlevering (3 withdraws). Empty without that "
        "sub-folder. BSN kept only here, beside client_id.",
    ),
    AssetSpec(
        RAW_CARE_STOPS,
        description="Care stops (stop zorg, iJw JW307) from landing/care_stops/ with their JZ588 "
        "reden_beeindiging and status_aanlevering (DEFINITIONS §2.1). Empty without that "
        "sub-folder.",
    ),
    AssetSpec(
        RAW_ALLOCATION_REQUESTS,
        description="Allocation requests (verzoek om toewijzing, iJw JW315) from "
        "landing/allocation_requests/ with their COD327 verwijzer_type (DEFINITIONS §2.1). Empty "
        "without that sub-folder.",
    ),
    AssetSpec(
        RAW_DECLARATION_RESPONSES,
        description="Declaration answers (declaratie-antwoord, iJw JW325) from "
        "landing/declaration_responses/: one row per answered declaration line with its "
        "retourcodes (DEFINITIONS §2.1). No BSN. Empty without that sub-folder.",
    ),
    AssetSpec(
        RAW_OUTCOME_REPORTS,
        description="Provider outcome reports per ended allocation (doelen_behaald ja/deels/nee) "
        "from landing/outcome_reports/, CSV or Parquet (DEFINITIONS §2.1). Empty without that "
        "sub-folder.",
    ),
    AssetSpec(
        RAW_CLIENTS,
        description="One row per client of the loaded rows: client_id (an integer stand-in used "
        "inside the working database) and client_key (DEFINITIONS §7). No BSN.",
    ),
    AssetSpec(
        RAW_QUARANTINE,
        description="Every rejected row: file, row number, rule broken and the original values "
        "(DEFINITIONS §2 'Bad input never disappears silently'). Never published.",
    ),
    AssetSpec(
        RAW_INGEST_FILES,
        description="One row per delivered file: rows read = loaded + quarantined + duplicate.",
    ),
]
SPECS = [
    s.replace_attributes(
        group_name="landing", owners=[OWNER], kinds={"python", "duckdb"}, tags={"layer": "landing"}
    )
    for s in _SPECS
]


def files_over_threshold(files: list[dict[str, Any]], threshold: float) -> list[str]:
    """Files whose share of quarantined rows exceeds the threshold (a mostly-broken delivery
    blocks the run). A rejected iJw message is a whole-file rejection by design (§2: it does not
    block the other files), so it does not count here."""
    return [
        f["path"]
        for f in files
        if f["rows_read"]
        and set(f["quarantined_by_rule"]) != {"rejected_message"}
        and f["rows_quarantined"] / f["rows_read"] > threshold
    ]


def _markdown_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "_no files_"
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "\n".join(
        "| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows
    )


@multi_asset(
    name="landing_ingest",
    specs=SPECS,
    check_specs=[
        AssetCheckSpec(
            ACCOUNTING_CHECK,
            asset=key,
            blocking=True,
            description="Every row of every file is loaded, quarantined or an exact duplicate, "
            "and no file has more quarantined rows than the configured threshold.",
        )
        for key in ENTITY_ASSETS.values()
    ],
)
def landing_ingest(context: AssetExecutionContext) -> Iterator[Any]:
    """Read every file under allocations/ and declarations/ and the optional §2.1 sub-folders,
    validate, quarantine, load."""
    from orchestration.ingest.load import ingest_landing
    from orchestration.ingest.readers import LandingFileError

    settings = load_settings()
    try:
        key, is_demo = resolve_hmac_key(settings.landing_dir)
    except ConfigError as exc:
        raise Failure(description=str(exc)) from exc
    if is_demo:
        context.log.warning(
            "Using the built-in demo HMAC key: allowed only for generated demo data. "
            "Set JEUGDHULP_HMAC_KEY for real deliveries."
        )
    settings.working_db_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.working_db_path), config=settings.duckdb_config())
    # The working database holds BSNs (raw layer): readable by its owner only.
    settings.working_db_path.chmod(0o600)
    try:
        report = ingest_landing(
            settings.landing_dir,
            con,
            hmac_key=key,
            peildatum=settings.peildatum,
            progress=context.log.info,
            full_refresh=full_rebuild_requested(settings, context.run.tags),
        )
        counts = {
            name: con.execute(f"select count(*) from raw.{name}").fetchall()[0][0]
            for name in (*ENTITY_ASSETS, "clients", "quarantine", "ingest_files")
        }
    except LandingFileError as exc:
        raise Failure(
            description=f"Delivery rejected, nothing published: {exc}",
            metadata={"file": MetadataValue.path(str(getattr(exc, "path", "")))},
        ) from exc
    finally:
        con.close()

    # The bookkeeping tables first: they are complete even when a blocking check below fails.
    yield MaterializeResult(
        asset_key=RAW_CLIENTS,
        metadata={"dagster/row_count": counts["clients"]},
    )
    yield MaterializeResult(
        asset_key=RAW_QUARANTINE,
        metadata={"dagster/row_count": counts["quarantine"]},
    )
    yield MaterializeResult(
        asset_key=RAW_INGEST_FILES,
        metadata={
            "dagster/row_count": counts["ingest_files"],
            "report": MetadataValue.json(report.to_dict()),
        },
    )
    files = report.to_dict()["files"]
    by_entity: dict[str, list[dict[str, Any]]] = {entity: [] for entity in ENTITY_ASSETS}
    for f in files:
        by_entity.setdefault(f["entity"], []).append(f)
    columns = ["path", "rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate"]
    for entity, asset_key in ENTITY_ASSETS.items():
        entity_files = by_entity.get(entity, [])
        by_rule: dict[str, int] = {}
        for f in entity_files:
            for rule, n in f["quarantined_by_rule"].items():
                by_rule[rule] = by_rule.get(rule, 0) + n
        yield MaterializeResult(
            asset_key=asset_key,
            metadata={
                "dagster/row_count": counts[entity],
                "files": len(entity_files),
                "rows_read": sum(f["rows_read"] for f in entity_files),
                "rows_loaded": sum(f["rows_loaded"] for f in entity_files),
                "rows_quarantined": sum(f["rows_quarantined"] for f in entity_files),
                "rows_duplicate": sum(f["rows_duplicate"] for f in entity_files),
                "quarantined_by_rule": MetadataValue.json(by_rule),
                "per_file": MetadataValue.md(_markdown_table(entity_files, columns)),
                **(
                    {"written": report.raw_declarations.describe()}
                    if entity == "declarations" and report.raw_declarations
                    else {}
                ),
            },
        )
        unbalanced = [
            f["path"]
            for f in entity_files
            if f["rows_read"] != f["rows_loaded"] + f["rows_quarantined"] + f["rows_duplicate"]
        ]
        over = files_over_threshold(entity_files, settings.quarantine_threshold)
        yield AssetCheckResult(
            asset_key=asset_key,
            check_name=ACCOUNTING_CHECK,
            passed=not unbalanced and not over,
            severity=AssetCheckSeverity.ERROR,
            description=(
                "All rows accounted for."
                if not unbalanced and not over
                else (f"Rows unaccounted for in {unbalanced}. " if unbalanced else "")
                + (
                    f"Quarantine above {settings.quarantine_threshold:.0%} of the file in {over}: "
                    "fix the delivery (see raw.quarantine) or raise JEUGDHULP_QUARANTINE_THRESHOLD."
                    if over
                    else ""
                )
            ),
            metadata={
                "unbalanced_files": MetadataValue.json(unbalanced),
                "files_over_threshold": MetadataValue.json(over),
                "quarantine_threshold": settings.quarantine_threshold,
            },
        )
