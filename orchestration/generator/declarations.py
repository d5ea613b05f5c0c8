"""Declaration lines (declaraties, DEFINITIONS §2) for a block of allocations.

Per effective, not withdrawn allocation of a declared product: one debit line per month of
delivery (per week for weekly declarers, see below), from the start of care (the toewijzingsdatum plus a waiting time that sometimes
exceeds the hulpvorm's norm, never before the ingangsdatum) to the allocation's end or the last
generated day. Volumes follow the granted volume and frequency; amounts are volume times a
per-unit tariff (provider factor, yearly indexation) in euro cents. About 3% of the lines are
later credited (same period, volume and amount, naming the debit) and half of those are
followed by a corrected debit. Every line gets a submission date; its year names the file the
line is delivered in, so a credit can arrive in a later year's file than its debit. Providers
that declare per week send one line per week instead, cut at month ends, so every line's period
still lies within one month and within the allocation.
"""

from __future__ import annotations

import numpy as np

from orchestration.generator import catalogue as cat
from orchestration.generator.allocations import (
    PRODUCT_FREQUENCY,
    UNIT_ETMAAL,
    UNIT_EURO,
    UNIT_HOUR,
    UNIT_MINUTE,
)
from orchestration.generator.context import Context
from orchestration.generator.dates import month_index, month_start, year_of
from orchestration.generator.frames import Frame, concat

# Declaration numbers: (((allocation key * 1000 + month number) * 10 + week piece) * 10 + kind);
# the kind digit keeps debit, credit, correction and deliberately defective copies apart.
MONTH_SLOTS = 1000
PIECE_SLOTS = 10
KIND_DEBIT, KIND_CREDIT, KIND_CORRECTION = 0, 1, 2

CREDIT_SHARE = 0.03
CORRECTED_SHARE = 0.5
UNUSED_SHARE = 0.02  # allocations that are never used (no declarations at all)
SKIPPED_MONTH_SHARE = 0.02

_TARIFF = np.array([p.tariff_cents for p in cat.PRODUCTS], dtype=np.float64)
_FREQ_DAY, _FREQ_WEEK, _FREQ_MONTH, _FREQ_TOTAL = range(4)


def declaration_lines(ctx: Context, allocations: Frame) -> Frame:
    """Debits, credits and corrections; `alloc` points into `allocations`."""
    rng = ctx.rng
    key = allocations["key"]
    product = allocations["product"]
    care_start, care_end = care_period(ctx, allocations)
    used = (
        ctx.declared[product]
        & ~allocations["withdrawn"]
        & (rng.uniform("unused", key) >= UNUSED_SHARE)
        & (care_start <= care_end)
    )
    first_month = month_index(care_start)
    months = np.where(used, month_index(np.maximum(care_end, care_start)) - first_month + 1, 0)

    alloc = _repeat_index(months)
    month = first_month[alloc] + _rank_within(months)
    month_key = key[alloc] * MONTH_SLOTS + (month - month_index(np.int64(ctx.first_day)))
    skipped = (rng.uniform("skip-month", month_key) < SKIPPED_MONTH_SHARE) & (
        month != first_month[alloc]
    )
    keep = np.flatnonzero(~skipped)
    alloc, month, month_key = alloc[keep], month[keep], month_key[keep]
    month_first = month_start(month)
    month_days = month_start(month + 1) - month_first
    month_begin = np.maximum(month_first, care_start[alloc])
    month_end = np.minimum(month_first + month_days - 1, care_end[alloc])

    # weekly declarers: one line per (Monday-based) week, cut at the month's edges
    monday = month_begin - (month_begin + 3) % 7  # 1970-01-01 was a Thursday
    weekly = ctx.providers.declares_weekly[allocations["provider"][alloc]]
    pieces = np.where(weekly, (month_end - monday) // 7 + 1, 1)
    line = _repeat_index(pieces)
    piece = _rank_within(pieces)
    alloc, month_days, weekly = alloc[line], month_days[line], weekly[line]
    week_start = monday[line] + 7 * piece
    begin = np.where(weekly, np.maximum(month_begin[line], week_start), month_begin[line])
    end = np.where(weekly, np.minimum(month_end[line], week_start + 6), month_end[line])
    line_key = month_key[line] * PIECE_SLOTS + piece
    days = end - begin + 1
    unit = allocations["unit"][alloc]
    granted = allocations["volume"][alloc].astype(np.float64)
    frequency = PRODUCT_FREQUENCY[product[alloc]]
    delivery_days = (care_end - care_start + 1)[alloc]
    per_period = np.select(
        [frequency == _FREQ_DAY, frequency == _FREQ_WEEK, frequency == _FREQ_MONTH],
        [granted * days, granted * days / 7.0, granted * days / month_days],
        granted * days / delivery_days,
    )
    used_share = 0.65 + 0.35 * rng.uniform("utilisation", line_key)
    absent = np.where(
        rng.uniform("absence", line_key) < 0.04, rng.integers("absent-days", 1, 4, line_key), 0
    )
    etmalen = np.maximum(days - absent, 1).astype(np.float64)
    volume = np.where(unit == UNIT_ETMAAL, etmalen, _round_to_unit(per_period * used_share, unit))

    provider = allocations["provider"][alloc]
    rate = (
        _TARIFF[product[alloc]]
        * ctx.providers.tariff_factor[provider]
        * cat.tariff_index(year_of(begin))
    )
    rate = np.where(unit == UNIT_MINUTE, rate / 60.0, rate)
    rate = np.where(unit == UNIT_EURO, 100.0, rate)
    submitted = end + rng.integers("submitted", 5, 41, line_key)

    debit: Frame = {
        "key": line_key * 10 + KIND_DEBIT,
        "vorig": np.full(alloc.size, -1, dtype=np.int64),
        "credit": np.zeros(alloc.size, dtype=bool),
        "alloc": alloc,
        "begin": begin,
        "end": end,
        "volume": volume,
        "bedrag": np.rint(volume * rate).astype(np.int64),
        "submitted": submitted,
        "file_year": _file_year(ctx, submitted),
        "order": np.arange(alloc.size, dtype=np.int64) * 8,
    }
    credited = np.flatnonzero(rng.uniform("credit", line_key) < CREDIT_SHARE)
    credit_submitted = submitted[credited] + rng.integers(
        "credit-submitted", 14, 421, line_key[credited]
    )
    credit = {
        **{name: values[credited] for name, values in debit.items()},
        "key": line_key[credited] * 10 + KIND_CREDIT,
        "vorig": debit["key"][credited],
        "credit": np.ones(credited.size, dtype=bool),
        "submitted": credit_submitted,
        "file_year": _file_year(ctx, credit_submitted),
        "order": debit["order"][credited] + 2,
    }
    corrected = credited[rng.uniform("corrected", line_key[credited]) < CORRECTED_SHARE]
    factor = 0.5 + 0.45 * rng.uniform("correction-factor", line_key[corrected])
    new_volume = np.where(
        unit[corrected] == UNIT_ETMAAL,
        np.maximum(np.floor(volume[corrected] * factor), 1.0),
        _round_to_unit(volume[corrected] * factor, unit[corrected]),
    )
    correction_submitted = (
        submitted[corrected]
        + rng.integers("credit-submitted", 14, 421, line_key[corrected])
        + rng.integers("correction-submitted", 0, 11, line_key[corrected])
    )
    correction = {
        **{name: values[corrected] for name, values in debit.items()},
        "key": line_key[corrected] * 10 + KIND_CORRECTION,
        "volume": new_volume,
        "bedrag": np.rint(new_volume * rate[corrected]).astype(np.int64),
        "submitted": correction_submitted,
        "file_year": _file_year(ctx, correction_submitted),
        "order": debit["order"][corrected] + 3,
    }
    return concat([debit, credit, correction])


def care_period(ctx: Context, allocations: Frame) -> tuple[np.ndarray, np.ndarray]:
    """First and last day care is delivered on each allocation (the end capped at the last day).

    The start is the toewijzingsdatum plus a waiting time (sometimes beyond the hulpvorm's norm),
    never before the ingangsdatum. The declarations begin on it and the start-zorg messages
    (JW305, cycle.py) report it, so the observed and the proxy start of care agree (§5).
    """
    rng = ctx.rng
    key = allocations["key"]
    product = allocations["product"]
    region = cat.GEMEENTE_REGION[allocations["gemeente"]]
    toewijzing = allocations["toewijzingsdatum"]
    norm = ctx.norm_days[product]
    late_chance = cat.late_start_probability(region, ctx.year_offset(year_of(toewijzing)))
    late = (rng.uniform("late", key) < late_chance) & (norm > 0)
    quick = np.floor(rng.uniform("wait", key) ** 2 * (norm + 1)).astype(np.int64)
    wait = np.where(late, norm + 1 + rng.integers("wait-late", 0, 76, key), quick)
    care_start = np.maximum(allocations["start"], toewijzing + wait)
    care_end = np.minimum(allocations["eff_end"], ctx.last_day)
    return care_start, care_end


def _repeat_index(counts: np.ndarray) -> np.ndarray:
    """[0]*counts[0] + [1]*counts[1] + ..."""
    return np.repeat(np.arange(counts.size), counts)


def _rank_within(counts: np.ndarray) -> np.ndarray:
    """0..counts[i]-1 for each i, concatenated."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


def _round_to_unit(raw: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Minutes in fives, hours in quarters, other units whole; at least one step."""
    step = np.select([unit == UNIT_MINUTE, unit == UNIT_HOUR], [5.0, 0.25], 1.0)
    return np.maximum(np.rint(raw / step), 1.0) * step


def _file_year(ctx: Context, submitted: np.ndarray) -> np.ndarray:
    return np.clip(year_of(submitted), ctx.start_year, ctx.end_year)
