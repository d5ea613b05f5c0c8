"""Deliberately defective rows, so the quarantine path (DEFINITIONS §2 "Bad input") always runs.

A defective row is an extra copy of a clean row that breaks exactly one rule; the clean data
stay complete and consistent. Copies other than verbatim duplicates get their own identifier
(a toewijzingnummer tagged 9, or a declaratienummer with its own kind digit), so quarantining
them never affects a clean row:

- invalid_bsn: the check digit is changed, so the BSN fails the eleven-test;
- end_before_begin (declarations): einddatum 1-21 days before begindatum;
- unknown_allocation (declarations): a toewijzingnummer that no allocation has (tag 8);
- duplicate: the row repeated verbatim (loaded once, not quarantined);
- impossible_date: the ingangsdatum / begindatum becomes a non-existent date (e.g. 2023-02-30);
- negative_amount (declarations): the bedrag is negated.
"""

from __future__ import annotations

import numpy as np

from orchestration.generator.bsn import corrupt_bsns
from orchestration.generator.context import Context
from orchestration.generator.declarations import KIND_DEBIT
from orchestration.generator.frames import Frame, take
from orchestration.generator.randomness import cumulative
from orchestration.generator.rows import TAG_DEFECTIVE_COPY, TAG_SPAN, TAG_UNKNOWN

ALLOCATION_DEFECTS = ("invalid_bsn", "duplicate", "impossible_date")
DECLARATION_DEFECTS = (
    "invalid_bsn",
    "end_before_begin",
    "unknown_allocation",
    "duplicate",
    "impossible_date",
    "negative_amount",
)
_ALLOCATION_MIX = cumulative(np.array([0.4, 0.4, 0.2]))
_DECLARATION_MIX = cumulative(np.array([0.2, 0.15, 0.2, 0.25, 0.1, 0.1]))
# kind digit of a defective declaration copy's number (0-2: debit, credit, correction)
_KIND_DIGIT = np.array([3, 4, 5, -1, 6, 7])


def allocation_defects(ctx: Context, rows: Frame) -> tuple[Frame, dict[str, int]]:
    """Defective copies of first versions of allocations, and their count per kind."""
    rng = ctx.rng
    chance = rng.uniform("allocation-defect", rows["tw"], rows["version"])
    base = np.flatnonzero((rows["version"] == 0) & (chance < ctx.defect_rate))
    copy = take(rows, base)
    kind = rng.choice("allocation-defect-kind", _ALLOCATION_MIX, copy["tw"])
    duplicate = kind == ALLOCATION_DEFECTS.index("duplicate")
    copy["tw"] = np.where(duplicate, copy["tw"], copy["tw"] + TAG_DEFECTIVE_COPY * TAG_SPAN)
    invalid = kind == ALLOCATION_DEFECTS.index("invalid_bsn")
    shift = rng.integers("allocation-defect-bsn", 1, 10, copy["tw"])
    copy["bsn"] = np.where(invalid, corrupt_bsns(copy["bsn"], shift), copy["bsn"])
    copy["impossible"] = kind == ALLOCATION_DEFECTS.index("impossible_date")
    copy["order"] = copy["order"] + 4
    return copy, _counts(ALLOCATION_DEFECTS, kind)


def declaration_defects(ctx: Context, rows: Frame) -> tuple[Frame, dict[str, int]]:
    """Defective copies of debit lines, and their count per kind."""
    rng = ctx.rng
    chance = rng.uniform("declaration-defect", rows["key"])
    is_debit = rows["key"] % 10 == KIND_DEBIT
    copy = take(rows, np.flatnonzero(is_debit & (chance < ctx.defect_rate)))
    kind = rng.choice("declaration-defect-kind", _DECLARATION_MIX, copy["key"])
    digit = _KIND_DIGIT[kind]
    copy["key"] = np.where(digit >= 0, copy["key"] - KIND_DEBIT + digit, copy["key"])
    invalid = kind == DECLARATION_DEFECTS.index("invalid_bsn")
    shift = rng.integers("declaration-defect-bsn", 1, 10, copy["key"])
    copy["bsn"] = np.where(invalid, corrupt_bsns(copy["bsn"], shift), copy["bsn"])
    reversed_period = kind == DECLARATION_DEFECTS.index("end_before_begin")
    days_before = rng.integers("declaration-defect-days", 1, 22, copy["key"])
    copy["end"] = np.where(reversed_period, copy["begin"] - days_before, copy["end"])
    unknown = kind == DECLARATION_DEFECTS.index("unknown_allocation")
    copy["tw"] = np.where(unknown, TAG_UNKNOWN * TAG_SPAN + copy["tw"] % TAG_SPAN, copy["tw"])
    copy["impossible"] = kind == DECLARATION_DEFECTS.index("impossible_date")
    negative = kind == DECLARATION_DEFECTS.index("negative_amount")
    copy["bedrag"] = np.where(negative, -copy["bedrag"], copy["bedrag"])
    copy["order"] = copy["order"] + 1
    return copy, _counts(DECLARATION_DEFECTS, kind)


def _counts(kinds: tuple[str, ...], drawn: np.ndarray) -> dict[str, int]:
    tally = np.bincount(drawn, minlength=len(kinds))
    return {name: int(tally[i]) for i, name in enumerate(kinds)}
