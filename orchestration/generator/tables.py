"""Turn numeric row frames into Arrow tables of text in the exact landing column order.

Every column is text (codes keep their leading zeros, dates are ISO `YYYY-MM-DD`, missing
values are null and written as empty CSV fields), so CSV and Parquet files hold the same values
and a deliberately impossible date can be represented in both.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.generator import catalogue as cat
from orchestration.generator.allocations import (
    CHANGE_CODES,
    FREQUENCY_CODES,
    REASON_CODES,
    REFERRER_CODES,
    UNIT_CODES,
)
from orchestration.generator.context import Context
from orchestration.generator.cycle import ACCEPTED_CODE, GOALS, REJECTION_CODES, message_dates
from orchestration.generator.dates import OPEN_END, split_ymd
from orchestration.generator.frames import Frame

# The columns of each landing sub-folder (DEFINITIONS §2 and §2.1), in the order written.
ALLOCATION_NAMES = (
    "toewijzingnummer",
    "gemeentecode",
    "aanbieder_agb",
    "bsn",
    "geboortedatum",
    "productcategorie",
    "productcode",
    "ingangsdatum",
    "einddatum",
    "toewijzingsdatum",
    "volume",
    "eenheid",
    "frequentie",
    "reden_wijziging",
    "verwijzer_type",
    "reden_beeindiging",
    "dagtekening",
    "referentie_aanbieder",
)
DECLARATION_NAMES = (
    "declaratienummer",
    "vorig_declaratienummer",
    "debet_credit",
    "toewijzingnummer",
    "gemeentecode",
    "aanbieder_agb",
    "bsn",
    "productcategorie",
    "productcode",
    "begindatum",
    "einddatum",
    "geleverd_volume",
    "eenheid",
    "bedrag",
)
_MESSAGE_IDS = ("toewijzingnummer", "gemeentecode", "aanbieder_agb", "bsn")
_PRODUCT = ("productcategorie", "productcode")
CARE_START_NAMES = (*_MESSAGE_IDS, *_PRODUCT, "begindatum", "dagtekening", "status_aanlevering")
CARE_STOP_NAMES = (
    *_MESSAGE_IDS,
    *_PRODUCT,
    "begindatum",
    "einddatum",
    "reden_beeindiging",
    "dagtekening",
    "status_aanlevering",
)
REQUEST_NAMES = (
    "referentie_aanbieder",
    "gemeentecode",
    "aanbieder_agb",
    "bsn",
    *_PRODUCT,
    "ingangsdatum",
    "verwijzer_type",
    "dagtekening",
)
RESPONSE_NAMES = ("declaratienummer", "gemeentecode", "aanbieder_agb", "retourcodes", "dagtekening")
OUTCOME_NAMES = (*_MESSAGE_IDS, "einddatum", "doelen_behaald", "rapportagedatum")
COLUMNS = {
    "allocations": ALLOCATION_NAMES,
    "declarations": DECLARATION_NAMES,
    "care_starts": CARE_START_NAMES,
    "care_stops": CARE_STOP_NAMES,
    "allocation_requests": REQUEST_NAMES,
    "declaration_responses": RESPONSE_NAMES,
    "outcome_reports": OUTCOME_NAMES,
}
# Columns only the iJw XML writer reads start with "_"; they are never written to CSV/Parquet.
HELPER_PREFIX = "_"


def allocation_table(ctx: Context, rows: Frame, helpers: bool = False) -> pa.Table:
    product = rows["product"]
    columns = {
        "toewijzingnummer": _numbered("T", rows["tw"], 10),
        "gemeentecode": _lookup(cat.GEMEENTE_CODES, rows["gemeente"]),
        "aanbieder_agb": _lookup(ctx.providers.agb, rows["provider"]),
        "bsn": _numbered("", rows["bsn"], 9),
        "geboortedatum": _dates(rows["birth"], rows["birth_missing"]),
        "productcategorie": _lookup(ctx.product_category, product),
        "productcode": _lookup(ctx.product_code, np.where(rows["code_missing"], -1, product)),
        "ingangsdatum": _dates(rows["start"], impossible=rows["impossible"]),
        "einddatum": _dates(rows["end"], rows["end"] >= OPEN_END),
        "toewijzingsdatum": _dates(rows["toewijzingsdatum"], rows["toewijzing_missing"]),
        "volume": _integers(rows["volume"]),
        "eenheid": _lookup(UNIT_CODES, rows["unit"]),
        "frequentie": _lookup(FREQUENCY_CODES, rows["frequency"]),
        "reden_wijziging": _lookup(CHANGE_CODES[1:], rows["change"] - 1),
        "verwijzer_type": _lookup(REFERRER_CODES, rows["referrer"]),
        "reden_beeindiging": _lookup(REASON_CODES, rows["reason"]),
        "dagtekening": _dates(rows["dagtekening"]),
        "referentie_aanbieder": _referentie(rows["referentie"]),
    }
    if helpers:
        columns["_geboortedatum"] = _dates(rows["birth"])
    return _table(columns, ALLOCATION_NAMES)


def declaration_table(ctx: Context, rows: Frame, helpers: bool = False) -> pa.Table:
    product = rows["product"]
    vorig = rows["vorig"]
    columns = {
        "declaratienummer": _numbered("D", rows["key"], 14),
        "vorig_declaratienummer": _numbered("D", vorig, 14, null=vorig < 0),
        "debet_credit": _lookup(("D", "C"), rows["credit"].astype(np.int64)),
        "toewijzingnummer": _numbered("T", rows["tw"], 10),
        "gemeentecode": _lookup(cat.GEMEENTE_CODES, rows["gemeente"]),
        "aanbieder_agb": _lookup(ctx.providers.agb, rows["provider"]),
        "bsn": _numbered("", rows["bsn"], 9),
        "productcategorie": _lookup(ctx.product_category, product),
        "productcode": _lookup(ctx.product_code, np.where(rows["code_missing"], -1, product)),
        "begindatum": _dates(rows["begin"], impossible=rows["impossible"]),
        "einddatum": _dates(rows["end"]),
        "geleverd_volume": pa.array(rows["volume"], type=pa.float64()).cast(pa.string()),
        "eenheid": _lookup(UNIT_CODES, rows["unit"]),
        "bedrag": _integers(rows["bedrag"]),
    }
    if helpers:
        columns["_message_date"] = _dates(message_dates(rows))
    return _table(columns, DECLARATION_NAMES)


def message_table(
    ctx: Context,
    entity: str,
    allocations: Frame,
    birth: np.ndarray,
    bsn: np.ndarray,
    rows: Frame,
    helpers: bool = False,
) -> pa.Table:
    """care_starts, care_stops, allocation_requests or outcome_reports rows of cycle.py."""
    alloc = rows["alloc"]
    client = allocations["client"][alloc]
    product = allocations["product"][alloc]
    code = np.where(allocations["code_missing"][alloc], -1, product)
    names = COLUMNS[entity]
    values = {
        "toewijzingnummer": lambda: _numbered("T", allocations["key"][alloc], 10),
        "referentie_aanbieder": lambda: _referentie(allocations["key"][alloc]),
        "gemeentecode": lambda: _lookup(cat.GEMEENTE_CODES, allocations["gemeente"][alloc]),
        "aanbieder_agb": lambda: _lookup(ctx.providers.agb, allocations["provider"][alloc]),
        "bsn": lambda: _numbered("", bsn[client], 9),
        "productcategorie": lambda: _lookup(ctx.product_category, product),
        "productcode": lambda: _lookup(ctx.product_code, code),
        "dagtekening": lambda: _dates(rows["dagtekening"]),
        "rapportagedatum": lambda: _dates(rows["dagtekening"]),
        "status_aanlevering": lambda: _integers(rows["status"]),
        "begindatum": lambda: _dates(rows["begin"]),
        "einddatum": lambda: _dates(rows["end"]),
        "ingangsdatum": lambda: _dates(rows["start"]),
        "reden_beeindiging": lambda: _lookup(REASON_CODES, rows["reason"]),
        "doelen_behaald": lambda: _lookup(GOALS, rows["goals"]),
        "verwijzer_type": lambda: _lookup(REFERRER_CODES, allocations["referrer"][alloc]),
    }
    columns = {name: values[name]() for name in names}
    if helpers:
        columns["_geboortedatum"] = _dates(birth[client])
        columns["_ingangsdatum"] = _dates(allocations["start"][alloc])
    return _table(columns, names)


def response_table(ctx: Context, lines: Frame, rows: Frame) -> pa.Table:
    """declaration_responses rows of cycle.py: retourcodes space-separated, 0200 = accepted."""
    line = rows["line"]
    first = _lookup((ACCEPTED_CODE, *REJECTION_CODES), rows["code1"] + 1)
    second = _lookup(REJECTION_CODES, rows["code2"])  # null where there is no second code
    columns = {
        "declaratienummer": _numbered("D", rows["key"], 14),
        "gemeentecode": _lookup(cat.GEMEENTE_CODES, lines["gemeente"][line]),
        "aanbieder_agb": _lookup(ctx.providers.agb, lines["provider"][line]),
        "retourcodes": pc.binary_join_element_wise(first, second, " ", null_handling="skip"),
        "dagtekening": _dates(rows["dagtekening"]),
    }
    return _table(columns, RESPONSE_NAMES)


def _table(columns: dict[str, pa.Array], names: tuple[str, ...]) -> pa.Table:
    landing = tuple(name for name in columns if not name.startswith(HELPER_PREFIX))
    if landing != names:
        raise AssertionError("generated columns differ from the landing columns")
    return pa.table(columns)


def _referentie(keys: np.ndarray) -> pa.Array:
    """A request's referentie_aanbieder: "R" + the allocation key; null where the key is < 0."""
    keys = np.asarray(keys, dtype=np.int64)
    return _numbered("R", np.maximum(keys, 0), 9, null=keys < 0)


def _lookup(values: tuple[str | None, ...], index: np.ndarray) -> pa.Array:
    """values[index], null where index < 0."""
    index = np.asarray(index, dtype=np.int64)
    indices = pa.array(index, mask=index < 0)
    return pc.take(pa.array(values, type=pa.string()), indices)


def _integers(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def _numbered(
    prefix: str, values: np.ndarray, width: int, null: np.ndarray | None = None
) -> pa.Array:
    text = pa.array(np.asarray(values, dtype=np.int64), mask=null).cast(pa.string())
    padded = pc.utf8_lpad(text, width=width, padding="0")
    if not prefix:
        return padded
    return pc.binary_join_element_wise(prefix, padded, "")


def _dates(
    days: np.ndarray, null: np.ndarray | None = None, impossible: np.ndarray | None = None
) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    safe = np.where(days >= OPEN_END, 0, days).astype(np.int32)
    text = pa.array(safe, mask=null).cast(pa.date32()).cast(pa.string())
    if impossible is None or not impossible.any():
        return text
    return pc.if_else(pa.array(impossible), _impossible_dates(days), text)


def _impossible_dates(days: np.ndarray) -> pa.Array:
    """A non-existent date near each day: YYYY-02-30, YYYY-MM-32 or YYYY-13-DD."""
    year, month, day = split_ymd(np.minimum(days, OPEN_END - 1))
    pattern = days % 3
    month = np.select([pattern == 0, pattern == 2], [2, 13], month)
    day = np.select([pattern == 0, pattern == 1], [30, 32], day)
    parts = [
        _integers(year),
        pc.utf8_lpad(_integers(month), width=2, padding="0"),
        pc.utf8_lpad(_integers(day), width=2, padding="0"),
    ]
    return pc.binary_join_element_wise(*parts, "-")
