"""The raw input contract (DEFINITIONS §2, §2.1) as data: columns, types and which are required.

The generator writes these columns, the readers check them, the validators enforce them and
the raw tables in the working database have exactly these columns plus the lineage columns.
"""

from __future__ import annotations

from dataclasses import dataclass

# Logical types: "string" (kept as text, codes keep their leading zeros), "date" (ISO
# YYYY-MM-DD), "int" (whole number), "number" (decimal number).


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool
    # Fixed width for codes (gemeentecode 4 digits, aanbieder_agb 8 digits, bsn 9 digits).
    digits: int | None = None
    # The value an empty optional column takes in the raw table (status_aanlevering: '1').
    default: str | None = None


ALLOCATION_COLUMNS: tuple[Column, ...] = (
    Column("toewijzingnummer", "string", True),
    Column("gemeentecode", "string", True, digits=4),
    Column("aanbieder_agb", "string", True, digits=8),
    Column("bsn", "string", True, digits=9),
    Column("geboortedatum", "date", False),
    Column("productcategorie", "string", True, digits=2),
    Column("productcode", "string", False),
    Column("ingangsdatum", "date", True),
    Column("einddatum", "date", False),
    Column("toewijzingsdatum", "date", False),
    Column("volume", "int", False),
    Column("eenheid", "string", False),
    Column("frequentie", "string", False),
    Column("reden_wijziging", "string", False),
    Column("verwijzer_type", "string", False),
    Column("reden_beeindiging", "string", False),
    Column("dagtekening", "date", False),
    # §2.1: JW301 ToegewezenProduct/ReferentieAanbieder, the provider's reference of the JW315
    # request this allocation answers.
    Column("referentie_aanbieder", "string", False),
)

DECLARATION_COLUMNS: tuple[Column, ...] = (
    Column("declaratienummer", "string", True),
    Column("vorig_declaratienummer", "string", False),
    Column("debet_credit", "string", True),
    Column("toewijzingnummer", "string", True),
    Column("gemeentecode", "string", True, digits=4),
    Column("aanbieder_agb", "string", True, digits=8),
    Column("bsn", "string", True, digits=9),
    Column("productcategorie", "string", True, digits=2),
    Column("productcode", "string", False),
    Column("begindatum", "date", True),
    Column("einddatum", "date", True),
    Column("geleverd_volume", "number", True),
    Column("eenheid", "string", True),
    Column("bedrag", "int", True),
)

# §2.1: the rest of the iJw message cycle and the providers' outcome reports. Each is read from
# its own sub-folder of the landing folder; all are optional.
CARE_START_COLUMNS: tuple[Column, ...] = (  # JW305 start zorg
    Column("toewijzingnummer", "string", True),
    Column("gemeentecode", "string", True, digits=4),
    Column("aanbieder_agb", "string", True, digits=8),
    Column("bsn", "string", True, digits=9),
    Column("productcategorie", "string", False, digits=2),
    Column("productcode", "string", False),
    Column("begindatum", "date", True),
    Column("dagtekening", "date", False),
    Column("status_aanlevering", "string", False, default="1"),
)

CARE_STOP_COLUMNS: tuple[Column, ...] = (  # JW307 stop zorg
    Column("toewijzingnummer", "string", True),
    Column("gemeentecode", "string", True, digits=4),
    Column("aanbieder_agb", "string", True, digits=8),
    Column("bsn", "string", True, digits=9),
    Column("productcategorie", "string", False, digits=2),
    Column("productcode", "string", False),
    Column("begindatum", "date", False),
    Column("einddatum", "date", True),
    Column("reden_beeindiging", "string", True),
    Column("dagtekening", "date", False),
    Column("status_aanlevering", "string", False, default="1"),
)

ALLOCATION_REQUEST_COLUMNS: tuple[Column, ...] = (  # JW315 verzoek om toewijzing
    Column("referentie_aanbieder", "string", True),
    Column("gemeentecode", "string", True, digits=4),
    Column("aanbieder_agb", "string", True, digits=8),
    Column("bsn", "string", True, digits=9),
    Column("productcategorie", "string", False, digits=2),
    Column("productcode", "string", False),
    Column("ingangsdatum", "date", False),
    Column("verwijzer_type", "string", True),
    Column("dagtekening", "date", False),
)

DECLARATION_RESPONSE_COLUMNS: tuple[Column, ...] = (  # JW325 declaratie-antwoord
    Column("declaratienummer", "string", True),
    Column("gemeentecode", "string", True, digits=4),
    Column("aanbieder_agb", "string", True, digits=8),
    Column("retourcodes", "string", True),
    Column("dagtekening", "date", False),
)

OUTCOME_REPORT_COLUMNS: tuple[Column, ...] = (  # no iJw message: CSV or Parquet only
    Column("toewijzingnummer", "string", True),
    Column("gemeentecode", "string", True, digits=4),
    Column("aanbieder_agb", "string", True, digits=8),
    Column("bsn", "string", True, digits=9),
    Column("einddatum", "date", True),
    Column("doelen_behaald", "string", True),
    Column("rapportagedatum", "date", False),
)

ENTITIES: dict[str, tuple[Column, ...]] = {
    "allocations": ALLOCATION_COLUMNS,
    "declarations": DECLARATION_COLUMNS,
    "care_starts": CARE_START_COLUMNS,
    "care_stops": CARE_STOP_COLUMNS,
    "allocation_requests": ALLOCATION_REQUEST_COLUMNS,
    "declaration_responses": DECLARATION_RESPONSE_COLUMNS,
    "outcome_reports": OUTCOME_REPORT_COLUMNS,
}
"""Entity → contract columns, in the order validation needs them: allocations first (the others
name them), declarations before their answers."""

CORE_ENTITIES = ("allocations", "declarations")
"""A landing folder needs at least one of these; the §2.1 entities are optional extras."""

# §2.1 code lists (REFERENCE_DATA). The JZ588 and COD327 codes are read from the reference seeds
# (validate.py), so that ingestion and dbt share one list.
STATUS_AANLEVERING_CODES = ("1", "3")  # 1 delivers or corrects, 3 withdraws
DOELEN_BEHAALD_VALUES = ("ja", "deels", "nee")

# Lineage columns added to every raw row.
LINEAGE_COLUMNS = ("_source_file", "_source_row", "_file_seq", "_extra")


def required_columns(entity: str) -> list[str]:
    return [c.name for c in ENTITIES[entity] if c.required]


def column_names(entity: str) -> list[str]:
    return [c.name for c in ENTITIES[entity]]
