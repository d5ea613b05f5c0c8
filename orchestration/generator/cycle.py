"""The rest of the iJw message cycle and the outcome reports (DEFINITIONS §2.1) for a block.

Everything here derives from the block's allocations and clean declaration lines, with draws
keyed by the allocation or line (or, for a declaration message, by its grouping key), so the
rows do not depend on how clients are split into blocks or parts:

- allocation_requests (JW315): allocations referred by a huisarts, jeugdarts or medisch
  specialist are usually requested by the provider; the allocation then names the request's
  `referentie_aanbieder` and often leaves its own `verwijzer_type` empty.
- care_starts (JW305): most started allocations, on the day the declarations begin (the
  toewijzingsdatum plus a waiting time, never before the ingangsdatum); a few are sent with a
  wrong begindatum, withdrawn (status 3) and mostly sent again correctly.
- care_stops (JW307): most ended allocations, with the allocation's reden beëindiging; a few
  are sent with a wrong reason, withdrawn and mostly sent again.
- declaration_responses (JW325): the answer to most declaration messages; a few percent of the
  lines are rejected with a retourcode other than 0200.
- outcome_reports: for most ended segment-4 (ambulant) allocations, doelen behaald ja/deels/nee.
Shares and delays are recorded in docs/DECISIONS.md.
"""

from __future__ import annotations

import numpy as np

from orchestration.generator import catalogue as cat
from orchestration.generator.allocations import _IS_JUSTICE, REFERRER_CODES
from orchestration.generator.context import Context
from orchestration.generator.dates import OPEN_END, month_index, month_start, year_of
from orchestration.generator.declarations import (
    CREDIT_SHARE,
    KIND_CORRECTION,
    KIND_DEBIT,
)
from orchestration.generator.frames import Frame, concat, take
from orchestration.generator.randomness import cumulative

# ---------------------------------------------------------------- shares and delays
REQUESTING_REFERRERS = ("02", "03", "05")  # huisarts, jeugdarts, medisch specialist
REQUEST_SHARE = 0.9
REFERRER_ONLY_IN_REQUEST = 0.7
START_REPORTED = 0.9
START_WRONG = 0.03
STOP_REPORTED = 0.88
STOP_WRONG = 0.02
RESENT_SHARE = 0.67
ANSWERED_SHARE = 0.97
REJECTED_SHARE = 0.035
OUTCOME_REPORTED = 0.95

STATUS_DELIVERED, STATUS_WITHDRAWN = 1, 3
# Retourcodes of the iJw list (basisschema LDT_RetourCode) as used in the national JW325
# example; 0200 = no remark (accepted).
ACCEPTED_CODE = "0200"
REJECTION_CODES = ("0611", "9307", "9339", "9340", "9341")
_REJECTION_CUM = cumulative(np.array([0.35, 0.25, 0.15, 0.15, 0.10]))
GOALS = ("ja", "deels", "nee")
_GOALS_PLANNED = cumulative(np.array([0.84, 0.13, 0.03]))
_GOALS_OTHER = cumulative(np.array([0.30, 0.35, 0.35]))

_REQUESTING = np.isin(np.array(REFERRER_CODES), REQUESTING_REFERRERS)
_SEGMENT_4 = np.array([p.code in cat.SEGMENT_4_CODES for p in cat.PRODUCTS])


def mark_requests(ctx: Context, allocations: Frame) -> None:
    """Add `requested` (answers a JW315) and `referrer_hidden` (verwijzer_type left empty)."""
    rng = ctx.rng
    key = allocations["key"]
    requested = (
        _REQUESTING[allocations["referrer"]]
        & ~_IS_JUSTICE[allocations["product"]]
        & (rng.uniform("request", key) < REQUEST_SHARE)
    )
    allocations["requested"] = requested
    allocations["referrer_hidden"] = requested & (
        rng.uniform("request-referrer-hidden", key) < REFERRER_ONLY_IN_REQUEST
    )


def request_rows(ctx: Context, allocations: Frame) -> Frame:
    rows = np.flatnonzero(allocations["requested"])
    key = allocations["key"][rows]
    dag = allocations["toewijzingsdatum"][rows] - ctx.rng.integers("request-lead", 2, 29, key)
    return _rows(ctx, rows, dag, version=0, start=allocations["start"][rows])


def care_start_rows(ctx: Context, allocations: Frame, care_start: np.ndarray) -> Frame:
    rng = ctx.rng
    key = allocations["key"]
    care_end = np.minimum(allocations["eff_end"], ctx.last_day)
    started = ~allocations["withdrawn"] & (care_start <= care_end)
    rows = np.flatnonzero(started & (rng.uniform("start-reported", key) < START_REPORTED))
    key, begin = key[rows], care_start[rows]
    wrong = rng.uniform("start-wrong", key) < START_WRONG
    resent = wrong & (rng.uniform("start-resent", key) < RESENT_SHARE)
    dag0 = begin + rng.integers("start-report-delay", 1, 15, key)
    dag1 = dag0 + rng.integers("start-withdraw-delay", 3, 46, key)
    dag2 = dag1 + rng.integers("start-resend-delay", 1, 8, key)
    wrong_begin = begin + rng.integers("start-wrong-days", 1, 11, key)
    first = _rows(ctx, rows, dag0, 0, begin=np.where(wrong, wrong_begin, begin))
    withdrawal = _rows(ctx, rows[wrong], dag1[wrong], 1, begin=wrong_begin[wrong])
    withdrawal["status"][:] = STATUS_WITHDRAWN
    again = _rows(ctx, rows[resent], dag2[resent], 2, begin=begin[resent])
    return _dated(ctx, concat([first, withdrawal, again]))


def care_stop_rows(ctx: Context, allocations: Frame, care_start: np.ndarray) -> Frame:
    rng = ctx.rng
    rows = np.flatnonzero(_ended(ctx, allocations, care_start))
    key = allocations["key"][rows]
    rows = rows[rng.uniform("stop-reported", key) < STOP_REPORTED]
    key, end = allocations["key"][rows], allocations["eff_end"][rows]
    reason = allocations["reason"][rows]
    wrong = rng.uniform("stop-wrong", key) < STOP_WRONG
    resent = wrong & (rng.uniform("stop-resent", key) < RESENT_SHARE)
    wrong_reason = (reason + rng.integers("stop-wrong-reason", 1, 9, key)) % 9
    dag0 = end + rng.integers("stop-report-delay", 1, 22, key)
    dag1 = dag0 + rng.integers("stop-withdraw-delay", 3, 46, key)
    dag2 = dag1 + rng.integers("stop-resend-delay", 1, 8, key)
    common = {"begin": care_start[rows], "end": end}
    first = _rows(ctx, rows, dag0, 0, **common, reason=np.where(wrong, wrong_reason, reason))
    sub = {name: values[wrong] for name, values in common.items()}
    withdrawal = _rows(ctx, rows[wrong], dag1[wrong], 1, **sub, reason=wrong_reason[wrong])
    withdrawal["status"][:] = STATUS_WITHDRAWN
    sub = {name: values[resent] for name, values in common.items()}
    again = _rows(ctx, rows[resent], dag2[resent], 2, **sub, reason=reason[resent])
    return _dated(ctx, concat([first, withdrawal, again]))


def outcome_rows(ctx: Context, allocations: Frame, care_start: np.ndarray) -> Frame:
    rng = ctx.rng
    ended = _ended(ctx, allocations, care_start) & _SEGMENT_4[allocations["product"]]
    rows = np.flatnonzero(
        ended & (rng.uniform("outcome-reported", allocations["key"]) < OUTCOME_REPORTED)
    )
    key = allocations["key"][rows]
    planned = allocations["reason"][rows] == 0
    goals = np.where(
        planned,
        rng.choice("outcome-planned", _GOALS_PLANNED, key),
        rng.choice("outcome-other", _GOALS_OTHER, key),
    )
    end = allocations["eff_end"][rows]
    dag = end + rng.integers("outcome-report-delay", 1, 43, key)
    return _dated(ctx, _rows(ctx, rows, dag, 0, end=end, goals=goals))


def response_rows(ctx: Context, lines: Frame) -> Frame:
    """One answer per clean declaration line of an answered declaration message.

    A declaration message (JW323) holds the lines of one aanbieder to one gemeente for one
    delivery month submitted in one month; it is dated the last day of that month and answered
    (or not) as a whole, some days later.
    """
    rng = ctx.rng
    group = declaration_groups(lines)
    answered = rng.uniform("declaration-answered", *group) < ANSWERED_SHARE
    dag = message_dates(lines) + rng.integers("declaration-answer-delay", 3, 26, *group)
    rows = np.flatnonzero(answered & (dag <= ctx.last_day))
    key = lines["key"][rows]
    kind = key % 10
    credited = (kind == KIND_DEBIT) & (rng.uniform("credit", key // 10) < CREDIT_SHARE)
    rejectable = ((kind == KIND_DEBIT) & ~credited) | (kind == KIND_CORRECTION)
    rejected = rejectable & (rng.uniform("declaration-rejected", key) < REJECTED_SHARE)
    first = rng.choice("rejection-code", _REJECTION_CUM, key)
    second = np.where(
        rng.uniform("rejection-second", key) < 0.15,
        (first + rng.integers("rejection-code-2", 1, len(REJECTION_CODES), key))
        % len(REJECTION_CODES),
        -1,
    )
    return {
        "line": rows,
        "key": key,
        "rejected": rejected,
        "code1": np.where(rejected, first, -1),
        "code2": np.where(rejected, second, -1),
        "dagtekening": dag[rows],
        "file_year": np.clip(year_of(dag[rows]), ctx.start_year, ctx.end_year),
        "order": lines["order"][rows],
    }


def declaration_groups(lines: Frame) -> tuple[np.ndarray, ...]:
    """(aanbieder, gemeente, delivery month, submission month) of each line's message."""
    return (
        lines["provider"],
        lines["gemeente"],
        month_index(lines["begin"]),
        month_index(lines["submitted"]),
    )


def message_dates(lines: Frame) -> np.ndarray:
    """Dagtekening of each line's declaration message: the last day of its submission month."""
    return month_start(month_index(lines["submitted"]) + 1) - 1


# ---------------------------------------------------------------- helpers
def _ended(ctx: Context, allocations: Frame, care_start: np.ndarray) -> np.ndarray:
    end = allocations["eff_end"]
    return (
        ~allocations["withdrawn"] & (end < OPEN_END) & (end <= ctx.last_day) & (care_start <= end)
    )


def _rows(ctx: Context, rows: np.ndarray, dag: np.ndarray, version: int, **values) -> Frame:
    n = rows.size
    return {
        "alloc": rows,
        "dagtekening": dag,
        "status": np.full(n, STATUS_DELIVERED, dtype=np.int64),
        "file_year": np.clip(year_of(dag), ctx.start_year, ctx.end_year),
        "order": rows * 8 + version,
        **values,
    }


def _dated(ctx: Context, frame: Frame) -> Frame:
    """Only messages sent on or before the last generated day."""
    if not frame:
        return frame
    return take(frame, np.flatnonzero(frame["dagtekening"] <= ctx.last_day))
