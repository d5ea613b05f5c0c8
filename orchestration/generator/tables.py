"""Turn numeric row frames into Arrow tables of text in the exact §2 column order.

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
from orchestration.generator.dates import OPEN_END, split_ymd
from orchestration.generator.frames import Frame
from orchestration.ingest.contract import column_names

ALLOCATION_NAMES = tuple(column_names("allocations"))
DECLARATION_NAMES = tuple(column_names("declarations"))


def allocation_table(ctx: Context, rows: Frame) -> pa.Table:
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
    }
    return _table(columns, ALLOCATION_NAMES)


def declaration_table(ctx: Context, rows: Frame) -> pa.Table:
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
    return _table(columns, DECLARATION_NAMES)


def _table(columns: dict[str, pa.Array], names: tuple[str, ...]) -> pa.Table:
    if tuple(columns) != names:
        raise AssertionError("generated columns differ from the input contract")
    return pa.table(columns)


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
