"""The raw input contract (DEFINITIONS §2) as data: columns, types and which are required.

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

ENTITIES: dict[str, tuple[Column, ...]] = {
    "allocations": ALLOCATION_COLUMNS,
    "declarations": DECLARATION_COLUMNS,
}

# Lineage columns added to every raw row.
LINEAGE_COLUMNS = ("_source_file", "_source_row", "_file_seq", "_extra")


def required_columns(entity: str) -> list[str]:
    return [c.name for c in ENTITIES[entity] if c.required]


def column_names(entity: str) -> list[str]:
    return [c.name for c in ENTITIES[entity]]
