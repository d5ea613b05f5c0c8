"""Allocations (toewijzingen, DEFINITIONS §2) for a block of clients.

Each client has one or more care episodes. An episode is a chain of up to five allocations
(the next one adjacent - often the same care re-issued -, after a short gap, overlapping or
nested, possibly with another provider), with transport beside day treatment. The next episode
follows the previous one's coverage after a gap drawn around the six-month rule of
DEFINITIONS §4 (a good share within two weeks of exactly six months). A few clients also get
a justice allocation (47/48), which is not jeugdhulp and never bridges a gap.

Every allocation has one to three versions (same toewijzingnummer, later dagtekening):
extensions, shortenings, an open allocation that is later closed, and withdrawals (a version
whose einddatum is before the ingangsdatum). The effective version is the latest one dated on
or before the last generated day.

All work is vectorised over clients; the only Python loops run over episode number and position
in the chain (both small constants).
"""

from __future__ import annotations

import numpy as np

from orchestration.generator import catalogue as cat
from orchestration.generator.clients import DAYS_PER_YEAR, MAX_EPISODES, Clients
from orchestration.generator.context import SLOTS, Context
from orchestration.generator.dates import OPEN_END, add_months, year_of
from orchestration.generator.frames import Frame, concat, take
from orchestration.generator.randomness import cumulative

# ---------------------------------------------------------------- product attribute arrays
_P = cat.PRODUCTS
_DAYS_LOW = np.array([p.days[0] for p in _P], dtype=np.int64)
_DAYS_HIGH = np.array([p.days[1] for p in _P], dtype=np.int64)
_SKEW = np.array([p.duration_skew for p in _P])
_P_OPEN = np.array([p.p_open for p in _P])
_VOLUME_LOW = np.array([p.volume[0] for p in _P], dtype=np.int64)
_VOLUME_HIGH = np.array([p.volume[1] for p in _P], dtype=np.int64)
_IS_TIME = np.array([p.unit == cat.TIME for p in _P])
_IS_JUSTICE = np.array([p.trend_group == "justitie" for p in _P])
_IS_DAY_CARE = np.array([p.category == "41" for p in _P])
_SCREENING = cat.PRODUCT_INDEX["45S01"]
_CRISIS = cat.PRODUCT_INDEX["46A01"]
_TRANSPORT = cat.PRODUCT_INDEX["42A01"]
_REPARATION = cat.PRODUCT_INDEX["47A01"]
_PROTECTION = cat.PRODUCT_INDEX["48A01"]

UNIT_CODES = (
    cat.MINUTE,
    cat.HOUR,
    cat.ETMAAL,
    cat.DAGDEEL,
    cat.STUKS_OUTPUT,
    cat.EURO,
    cat.STUKS_INSPANNING,
)
UNIT_MINUTE, UNIT_HOUR, UNIT_ETMAAL = 0, 1, 2
UNIT_EURO = UNIT_CODES.index(cat.EURO)
_PRODUCT_UNIT = np.array(
    [UNIT_HOUR if p.unit == cat.TIME else UNIT_CODES.index(p.unit) for p in _P], dtype=np.int64
)
FREQUENCY_CODES = (cat.PER_DAY, cat.PER_WEEK, cat.PER_MONTH, cat.TOTAL)
PRODUCT_FREQUENCY = np.array([FREQUENCY_CODES.index(p.frequency) for p in _P], dtype=np.int64)

REASON_CODES = (cat.END_ACCORDING_TO_PLAN, *cat.END_OTHER_CODES)  # index 0 = 31
REFERRER_CODES = cat.REFERRER_CODES
_REFERRER_CARE = cumulative(np.array(cat.REFERRER_WEIGHTS_CARE))
_REFERRER_JUSTICE = cumulative(np.array(cat.REFERRER_WEIGHTS_JUSTICE))
_OTHER_REASON = cumulative(np.array(cat.END_OTHER_WEIGHTS))

# ---------------------------------------------------------------- versions
(
    VERSION_NONE,
    VERSION_EXTEND,
    VERSION_EXTEND_TWICE,
    VERSION_SHORTEN,
    VERSION_OPEN_THEN_CLOSED,
    VERSION_WITHDRAW,
) = range(6)
_VERSION_CUM = cumulative(np.array([0.74, 0.09, 0.03, 0.06, 0.05, 0.03]))
MAX_VERSIONS = 3
CHANGE_CODES = (None, cat.CHANGE_EXTENDED, cat.CHANGE_SHORTENED, cat.CHANGE_WITHDRAWN)
CHANGE_NONE, CHANGE_EXTENDED, CHANGE_SHORTENED, CHANGE_WITHDRAWN = range(4)
_NEVER = np.int64(10**8)  # dagtekening of a version that does not exist

# ---------------------------------------------------------------- episode structure
CHAIN_LINKS = 5  # allocations in a row within one episode
SLOTS_PER_EPISODE = 2 * CHAIN_LINKS  # each link may get a transport companion
JUSTICE_SLOT = MAX_EPISODES * SLOTS_PER_EPISODE
PATTERN_NONE, PATTERN_ADJACENT, PATTERN_SHORT_GAP, PATTERN_OVERLAP, PATTERN_NESTED = range(5)
# rows: second allocation, third, fourth and later, after screening, after crisis
_PATTERNS = cumulative(
    np.array(
        [
            [0.30, 0.24, 0.12, 0.19, 0.15],
            [0.50, 0.20, 0.08, 0.12, 0.10],
            [0.62, 0.18, 0.06, 0.08, 0.06],
            [0.10, 0.45, 0.32, 0.13, 0.00],
            [0.15, 0.55, 0.15, 0.15, 0.00],
        ]
    )
)
_PATTERN_AFTER_SCREENING, _PATTERN_AFTER_CRISIS = 3, 4
# an adjacent follow-up is often the same care re-issued (herindicatie) by the same provider
REISSUE_SHARE = 0.6
# next episode: around six months (±14 days), clearly shorter, clearly longer
GAP_AROUND_SIX_MONTHS, GAP_SHORTER, GAP_LONGER = range(3)
_GAP_CUM = cumulative(np.array([0.40, 0.25, 0.35]))
MOVE_SHARE = 0.06  # chance a client lives in another gemeente of the region at a re-entry
JUSTICE_SHARE = 0.05

_REGION_GEMEENTE = cumulative(
    np.where(
        cat.GEMEENTE_REGION[None, :] == np.arange(len(cat.REGIONS))[:, None],
        cat.GEMEENTE_WEIGHTS[None, :],
        0.0,
    )
)


def simulate_allocations(ctx: Context, clients: Clients) -> Frame:
    """One row per allocation (not per version), ordered by client, ingangsdatum and key."""
    n = len(clients)
    batches: list[Frame] = []
    start = clients.first_start.copy()
    gemeente = clients.gemeente.copy()
    adult = add_months(clients.birth, 18 * 12)
    alive = np.ones(n, dtype=bool)
    for episode in range(MAX_EPISODES):
        alive &= (episode < clients.episodes) & (start <= ctx.last_day) & (start < adult)
        pos = np.flatnonzero(alive)
        if pos.size == 0:
            break
        if episode > 0:
            gemeente[pos] = _maybe_move(ctx, clients.index[pos], episode, gemeente[pos])
        frames = _episode(ctx, clients, pos, episode, start[pos], gemeente[pos])
        batches.extend(frames)
        covered = _covered_until(ctx, pos, start[pos], frames)
        alive[pos[covered >= OPEN_END]] = False
        start[pos] = _next_episode_start(ctx, clients.index[pos], episode, covered)
    batches.append(_justice(ctx, clients))
    frame = concat(batches)
    frame = take(frame, np.flatnonzero(frame["start"] <= ctx.last_day))
    order = np.lexsort((frame["key"], frame["start"], frame["client"]))
    return take(frame, order)


def version_rows(ctx: Context, allocations: Frame) -> Frame:
    """Expand allocations into their versions dated up to the last generated day."""
    kept = allocations["n_kept"]
    row = np.repeat(np.arange(kept.size), kept)
    version = np.arange(row.size) - np.repeat(np.cumsum(kept) - kept, kept)
    end = allocations["v_end"][row, version]
    dag = allocations["v_dag"][row, version]
    change = allocations["v_change"][row, version]
    final = version == allocations["n_versions"][row] - 1
    reason = np.where(final, allocations["reason"][row], 0)
    reason = np.where((end >= OPEN_END) | (change == CHANGE_WITHDRAWN), -1, reason)
    return {
        "alloc": row,
        "version": version,
        "end": end,
        "dagtekening": dag,
        "change": change,
        "reason": reason,
        "file_year": np.clip(year_of(dag), ctx.start_year, ctx.end_year),
        "order": row * 8 + version,
    }


# ---------------------------------------------------------------- episodes
def _episode(
    ctx: Context,
    clients: Clients,
    pos: np.ndarray,
    episode: int,
    start: np.ndarray,
    gemeente: np.ndarray,
) -> list[Frame]:
    rng = ctx.rng
    base_slot = episode * SLOTS_PER_EPISODE
    row = _product_row(ctx, clients, pos, start, gemeente)
    product = rng.choice_rows("primary-product", ctx.primary_products, row, clients.index[pos])
    stock = clients.in_stock[pos] & (episode == 0)
    first = _new_allocations(ctx, clients, pos, base_slot, product, start, gemeente, longer=stock)
    chain = [first]
    previous = first
    for link in range(1, CHAIN_LINKS):
        previous = _follow_up(ctx, clients, previous, base_slot + link, link)
        if previous["key"].size == 0:
            break
        chain.append(previous)
    companions = [_transport(ctx, clients, frame) for frame in chain]
    return chain + [c for c in companions if c["key"].size]


def _product_row(
    ctx: Context, clients: Clients, pos: np.ndarray, start: np.ndarray, gemeente: np.ndarray
) -> np.ndarray:
    region = cat.GEMEENTE_REGION[gemeente]
    age = np.floor((start - clients.birth[pos]) / DAYS_PER_YEAR).astype(np.int64)
    return ctx.product_row(region, ctx.year_offset(year_of(start)), cat.age_band(age))


def _follow_up(ctx: Context, clients: Clients, previous: Frame, slot: int, link: int) -> Frame:
    rng = ctx.rng
    pattern_row = np.where(
        previous["product"] == _SCREENING,
        _PATTERN_AFTER_SCREENING,
        np.where(previous["product"] == _CRISIS, _PATTERN_AFTER_CRISIS, min(link, 3) - 1),
    )
    pattern = rng.choice_rows("chain-pattern", _PATTERNS, pattern_row, previous["key"])
    is_open = previous["end"] >= OPEN_END
    pattern[is_open & np.isin(pattern, (PATTERN_ADJACENT, PATTERN_SHORT_GAP))] = PATTERN_NONE
    prev = take(previous, np.flatnonzero(pattern != PATTERN_NONE))
    pattern = pattern[pattern != PATTERN_NONE]
    duration = prev["nominal_end"] - prev["start"] + 1
    u = rng.uniform("chain-offset", prev["key"])
    short_gap = rng.integers("chain-gap", 7, 121, prev["key"])
    start = np.select(
        [pattern == PATTERN_ADJACENT, pattern == PATTERN_SHORT_GAP, pattern == PATTERN_OVERLAP],
        [
            prev["end"] + 1,
            prev["end"] + 1 + short_gap,
            prev["start"] + np.floor((0.3 + 0.6 * u) * duration).astype(np.int64),
        ],
        prev["start"] + np.floor((0.1 + 0.3 * u) * duration).astype(np.int64),
    )
    nested = pattern == PATTERN_NESTED
    nested_days = np.maximum(
        14, np.floor((0.2 + 0.3 * rng.uniform("nested-days", prev["key"])) * duration)
    )
    nested_end = np.minimum(start + nested_days.astype(np.int64) - 1, prev["nominal_end"])
    pos = prev["client"]
    row = _product_row(ctx, clients, pos, start, prev["gemeente"])
    key = clients.index[pos] * SLOTS + slot
    product = rng.choice_rows("follow-product", ctx.follow_products, row, key)
    reissue = (pattern == PATTERN_ADJACENT) & (rng.uniform("reissue", key) < REISSUE_SHARE)
    return _new_allocations(
        ctx,
        clients,
        pos,
        slot,
        np.where(reissue, prev["product"], product),
        start,
        prev["gemeente"],
        provider=np.where(reissue, prev["provider"], -1),
        nominal_end=np.where(nested, nested_end, -1),
        force_closed=nested,
    )


def _transport(ctx: Context, clients: Clients, frame: Frame) -> Frame:
    """Transport (42, not jeugdhulp) for the same period as half the day-care allocations."""
    chosen = _IS_DAY_CARE[frame["product"]] & (ctx.rng.uniform("transport", frame["key"]) < 0.5)
    parent = take(frame, np.flatnonzero(chosen))
    return _new_allocations(
        ctx,
        clients,
        parent["client"],
        parent["slot"] + CHAIN_LINKS,
        np.full(parent["key"].size, _TRANSPORT),
        parent["start"],
        parent["gemeente"],
        nominal_end=parent["nominal_end"],
        force_open=parent["end"] >= OPEN_END,
    )


def _justice(ctx: Context, clients: Clients) -> Frame:
    rng = ctx.rng
    pos = np.flatnonzero(rng.uniform("justice", clients.index) < JUSTICE_SHARE)
    index = clients.index[pos]
    product = np.where(rng.uniform("justice-kind", index) < 0.4, _REPARATION, _PROTECTION)
    offset = rng.integers("justice-start", -120, 600, index)
    start = np.clip(clients.first_start[pos] + offset, ctx.first_day, ctx.last_day)
    return _new_allocations(ctx, clients, pos, JUSTICE_SLOT, product, start, clients.gemeente[pos])


def _covered_until(
    ctx: Context, pos: np.ndarray, start: np.ndarray, frames: list[Frame]
) -> np.ndarray:
    """Latest effective einddatum of the episode's jeugdhulp allocations (DEFINITIONS §4)."""
    covered = start - 1
    for frame in frames:
        counts = ctx.jeugdhulp[frame["product"]] & ~frame["withdrawn"]
        local = np.searchsorted(pos, frame["client"][counts])
        np.maximum.at(covered, local, frame["eff_end"][counts])
    return covered


def _next_episode_start(
    ctx: Context, index: np.ndarray, episode: int, covered: np.ndarray
) -> np.ndarray:
    rng = ctx.rng
    kind = rng.choice("gap-kind", _GAP_CUM, index, episode)
    base = np.minimum(covered, ctx.last_day + 1)
    six_months = add_months(base + 1, 6)  # first day that starts a new trajectory
    return np.select(
        [kind == GAP_AROUND_SIX_MONTHS, kind == GAP_SHORTER],
        [
            six_months + rng.integers("gap-near", -14, 15, index, episode),
            base + 1 + rng.integers("gap-short", 20, 151, index, episode),
        ],
        six_months + rng.integers("gap-long", 15, 1001, index, episode),
    )


def _maybe_move(ctx: Context, index: np.ndarray, episode: int, gemeente: np.ndarray) -> np.ndarray:
    rng = ctx.rng
    moves = rng.uniform("move", index, episode) < MOVE_SHARE
    region = cat.GEMEENTE_REGION[gemeente]
    new = rng.choice_rows("move-to", _REGION_GEMEENTE, region, index, episode)
    return np.where(moves, new, gemeente)


# ---------------------------------------------------------------- one allocation
def _new_allocations(
    ctx: Context,
    clients: Clients,
    pos: np.ndarray,
    slot: int | np.ndarray,
    product: np.ndarray,
    start: np.ndarray,
    gemeente: np.ndarray,
    *,
    provider: np.ndarray | None = None,
    nominal_end: np.ndarray | None = None,
    force_closed: np.ndarray | None = None,
    force_open: np.ndarray | None = None,
    longer: np.ndarray | None = None,
) -> Frame:
    """Draw provider, period, volume and versions for allocations starting on `start`.

    `provider` and `nominal_end` (the planned last day) may be given, -1 meaning "draw it";
    `force_closed`/`force_open` override the open-ended draw. `longer` marks care already
    running when the period starts: it lasts 2.5 times as long and is three times as often
    open-ended.
    """
    rng = ctx.rng
    n = pos.size
    slot_arr = np.broadcast_to(np.asarray(slot, dtype=np.int64), (n,)).copy()
    key = clients.index[pos] * SLOTS + slot_arr
    region = cat.GEMEENTE_REGION[gemeente]
    drawn_provider = rng.choice_rows(
        "provider", ctx.providers.cumulative, region * cat.N_PRODUCTS + product, key
    )
    provider = (
        drawn_provider if provider is None else np.where(provider >= 0, provider, drawn_provider)
    )
    low, high = _DAYS_LOW[product], _DAYS_HIGH[product]
    drawn_days = low + np.floor(
        (high - low + 1) * rng.uniform("duration", key) ** _SKEW[product]
    ).astype(np.int64)
    p_open = _P_OPEN[product]
    if longer is not None:
        drawn_days = np.where(longer, drawn_days * 5 // 2, drawn_days)
        p_open = np.where(longer, np.minimum(p_open * 3, 0.6), p_open)
    drawn_end = start + drawn_days - 1
    if nominal_end is not None:
        drawn_end = np.where(nominal_end >= 0, nominal_end, drawn_end)
    is_open = rng.uniform("open", key) < p_open
    if force_closed is not None:
        is_open &= ~force_closed
    if force_open is not None:
        is_open = np.where(force_open, True, is_open)
    end = np.where(is_open, OPEN_END, drawn_end)

    retroactive = product == _CRISIS
    # issued on the start day, days to weeks before it, or now and then months before it
    lead_kind = rng.uniform("lead-kind", key)
    lead = np.select(
        [lead_kind < 0.15, lead_kind < 0.93],
        [0, rng.integers("lead", 1, 36, key)],
        rng.integers("lead-long", 36, 121, key),
    )
    toewijzing = np.where(retroactive, start + rng.integers("retro", 0, 7, key), start - lead)
    toewijzing = np.minimum(toewijzing, ctx.last_day)

    minutes = _IS_TIME[product] & ctx.providers.bills_minutes[provider]
    unit = np.where(minutes, UNIT_MINUTE, _PRODUCT_UNIT[product])
    volume = rng.integers("volume", _VOLUME_LOW[product], _VOLUME_HIGH[product] + 1, key)
    volume = np.where(product == _CRISIS, drawn_end - start + 1, volume)
    volume = np.where(minutes, volume * 60, volume)

    referrer = np.where(
        _IS_JUSTICE[product],
        rng.choice("referrer-justice", _REFERRER_JUSTICE, key),
        rng.choice("referrer", _REFERRER_CARE, key),
    )
    versions = _versions(ctx, key, start, end, toewijzing)
    end_year = ctx.year_offset(year_of(np.minimum(drawn_end, ctx.last_day)))
    planned = rng.uniform("plan", key) < cat.according_to_plan_probability(region, end_year)
    other_reason = 1 + rng.choice("end-reason", _OTHER_REASON, key)
    shortened = versions.pop("type") == VERSION_SHORTEN
    reason = np.where(planned & ~shortened, 0, other_reason)
    return {
        "client": pos,
        "slot": slot_arr,
        "key": key,
        "gemeente": gemeente,
        "product": product,
        "provider": provider,
        "start": start,
        "nominal_end": drawn_end,
        "end": end,
        "toewijzingsdatum": toewijzing,
        "toewijzing_missing": rng.uniform("toewijzing-missing", key) < 0.01,
        "code_missing": rng.uniform("code-missing", key) < 0.003,
        "referrer": referrer,
        "volume": volume,
        "unit": unit,
        "reason": reason,
        **versions,
    }


def _versions(
    ctx: Context, key: np.ndarray, start: np.ndarray, end: np.ndarray, toewijzing: np.ndarray
) -> Frame:
    """Version history per allocation; see the module docstring."""
    rng = ctx.rng
    n = key.size
    kind = rng.choice("version-type", _VERSION_CUM, key)
    is_open = end >= OPEN_END
    duration = np.where(is_open, 10**6, end - start + 1)
    a = rng.integers("version-a", 30, 181, key)
    b = rng.integers("version-b", 30, 121, key)
    changes_end = np.isin(kind, (VERSION_EXTEND, VERSION_SHORTEN, VERSION_OPEN_THEN_CLOSED))
    kind[is_open & (changes_end | (kind == VERSION_EXTEND_TWICE))] = VERSION_NONE
    kind[(kind == VERSION_EXTEND) & (duration <= a + 14)] = VERSION_NONE
    kind[(kind == VERSION_EXTEND_TWICE) & (duration <= a + b + 14)] = VERSION_NONE

    v_end = np.full((n, MAX_VERSIONS), OPEN_END, dtype=np.int64)
    v_dag = np.full((n, MAX_VERSIONS), _NEVER, dtype=np.int64)
    v_change = np.zeros((n, MAX_VERSIONS), dtype=np.int64)
    n_versions = np.where(kind == VERSION_NONE, 1, np.where(kind == VERSION_EXTEND_TWICE, 3, 2))
    v_dag[:, 0] = toewijzing
    lead1 = rng.integers("version-lead1", 0, 29, key)
    lead2 = rng.integers("version-lead2", 0, 29, key)
    after_end = rng.integers("version-after-end", 0, 15, key)
    around_end = rng.integers("version-around-end", -60, 15, key)
    withdraw_after = rng.integers("version-withdraw", 1, 46, key)

    ext = kind == VERSION_EXTEND
    ext2 = kind == VERSION_EXTEND_TWICE
    shorten = kind == VERSION_SHORTEN
    closed_later = kind == VERSION_OPEN_THEN_CLOSED
    withdraw = kind == VERSION_WITHDRAW

    first_end = np.select(
        [ext, ext2, shorten, closed_later], [end - a, end - a - b, end + a, OPEN_END], end
    )
    v_end[:, 0] = first_end
    second_end = np.select([ext2, withdraw], [end - b, start - 1], end)
    v_end[:, 1] = np.where(n_versions >= 2, second_end, OPEN_END)
    v_end[:, 2] = np.where(ext2, end, OPEN_END)
    second_dag = np.select(
        [ext | ext2, shorten, closed_later, withdraw],
        [first_end - lead1, end + after_end, end + around_end, toewijzing + withdraw_after],
        _NEVER,
    )
    v_dag[:, 1] = np.where(n_versions >= 2, np.maximum(second_dag, toewijzing + 1), _NEVER)
    third_dag = np.maximum(end - b - lead2, v_dag[:, 1] + 1)
    v_dag[:, 2] = np.where(ext2, third_dag, _NEVER)
    v_change[:, 1] = np.select(
        [ext | ext2, shorten | closed_later, withdraw],
        [CHANGE_EXTENDED, CHANGE_SHORTENED, CHANGE_WITHDRAWN],
        CHANGE_NONE,
    )
    v_change[:, 2] = np.where(ext2, CHANGE_EXTENDED, CHANGE_NONE)

    n_kept = np.maximum((v_dag <= ctx.last_day).sum(axis=1), 1)
    eff_end = v_end[np.arange(n), n_kept - 1]
    return {
        "type": kind,
        "n_versions": n_versions,
        "n_kept": n_kept,
        "v_end": v_end,
        "v_dag": v_dag,
        "v_change": v_change,
        "eff_end": eff_end,
        "withdrawn": eff_end < start,
    }
