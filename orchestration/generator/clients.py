"""Clients: municipality, BSN, birth date, first care start and number of care episodes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.generator import catalogue as cat
from orchestration.generator.bsn import client_bsns
from orchestration.generator.context import Context
from orchestration.generator.randomness import cumulative

DAYS_PER_YEAR = 365.2425
MAX_EPISODES = 4
# Share of clients already in care when the period starts (their first allocation in the
# period is the one issued in its first quarter).
# Their care has lasted a while already, so it tends to last longer (length-biased sampling).
STOCK_SHARE = 0.45
_EPISODES_CUM = cumulative(np.array([0.65, 0.23, 0.09, 0.03]))


@dataclass(frozen=True)
class Clients:
    index: np.ndarray  # global client number, the key of every draw for the client
    gemeente: np.ndarray  # index into catalogue.MUNICIPALITIES
    bsn: np.ndarray
    birth: np.ndarray  # day number
    birth_missing: np.ndarray  # bool: geboortedatum left empty (it is optional)
    first_start: np.ndarray  # day number of the first allocation
    in_stock: np.ndarray  # bool: already in care when the period starts
    episodes: np.ndarray  # planned number of care episodes (re-entries after gaps)

    def __len__(self) -> int:
        return int(self.index.size)


def draw_clients(ctx: Context, index: np.ndarray) -> Clients:
    rng = ctx.rng
    index = np.asarray(index, dtype=np.int64)
    span = ctx.last_day - ctx.first_day + 1
    in_stock = rng.uniform("stock", index) < STOCK_SHARE
    first_start = ctx.first_day + np.where(
        in_stock,
        rng.integers("first-start-stock", 0, 90, index),
        rng.integers("first-start", 0, span, index),
    )
    age_years = rng.choice("age", cumulative(cat.AGE_WEIGHTS), index)
    age_fraction = rng.uniform("age-fraction", index) * 0.998
    birth = first_start - np.floor((age_years + age_fraction) * DAYS_PER_YEAR).astype(np.int64)
    return Clients(
        index=index,
        gemeente=rng.choice("gemeente", cumulative(cat.GEMEENTE_WEIGHTS), index),
        bsn=client_bsns(rng, index),
        birth=birth,
        birth_missing=rng.uniform("birth-missing", index) < 0.005,
        first_start=first_start,
        in_stock=in_stock,
        episodes=1 + rng.choice("episodes", _EPISODES_CUM, index),
    )
