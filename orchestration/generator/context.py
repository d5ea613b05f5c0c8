"""Run-wide settings and lookup tables shared by every block of generated clients."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from orchestration.generator import catalogue as cat
from orchestration.generator.dates import day_number
from orchestration.generator.randomness import KeyedRandom, cumulative

# Allocation keys are client_index * SLOTS + slot; a slot numbers a client's allocations.
SLOTS = 64
N_AGE_BANDS = 3


@dataclass(frozen=True)
class Context:
    rng: KeyedRandom
    start_year: int
    end_year: int
    first_day: int  # start_year-01-01
    last_day: int  # end_year-12-31: nothing is generated after it
    defect_rate: float
    providers: cat.Providers
    # cumulative product choice per (region, year offset, age band); primary and follow-up
    primary_products: np.ndarray
    follow_products: np.ndarray
    # per-product attribute arrays
    product_category: tuple[str, ...]
    product_code: tuple[str, ...]
    declared: np.ndarray
    jeugdhulp: np.ndarray
    norm_days: np.ndarray

    @property
    def n_years(self) -> int:
        return self.end_year - self.start_year + 1

    def year_offset(self, year: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(year) - self.start_year, 0, self.n_years - 1)

    def product_row(
        self, region: np.ndarray, year_offset: np.ndarray, band: np.ndarray
    ) -> np.ndarray:
        return (region * self.n_years + year_offset) * N_AGE_BANDS + band


def build_context(seed: int, start_year: int, end_year: int, defect_rate: float) -> Context:
    primary, follow = _product_tables(start_year, end_year)
    return Context(
        rng=KeyedRandom(seed),
        start_year=start_year,
        end_year=end_year,
        first_day=day_number(dt.date(start_year, 1, 1)),
        last_day=day_number(dt.date(end_year, 12, 31)),
        defect_rate=defect_rate,
        providers=cat.build_providers(),
        primary_products=primary,
        follow_products=follow,
        product_category=tuple(p.category for p in cat.PRODUCTS),
        product_code=tuple(p.code for p in cat.PRODUCTS),
        declared=np.array([p.declared for p in cat.PRODUCTS]),
        jeugdhulp=np.array([p.jeugdhulp for p in cat.PRODUCTS]),
        norm_days=np.array([cat.START_NORM_DAYS[p.hulpvorm] for p in cat.PRODUCTS]),
    )


def _product_tables(start_year: int, end_year: int) -> tuple[np.ndarray, np.ndarray]:
    """Product mix per region, year and age band, with the regional trends applied."""
    n_years = end_year - start_year + 1
    base = np.array([p.weight for p in cat.PRODUCTS])
    weights = np.empty((len(cat.REGIONS), n_years, N_AGE_BANDS, cat.N_PRODUCTS))
    age = np.ones((N_AGE_BANDS, cat.N_PRODUCTS))
    for code, multipliers in cat.AGE_MULTIPLIERS.items():
        age[:, cat.PRODUCT_INDEX[code]] = multipliers
    for r, region in enumerate(cat.REGIONS):
        growth = np.array([cat.TRENDS[region].get(p.trend_group, 0.0) for p in cat.PRODUCTS])
        for y in range(n_years):
            weights[r, y] = base * (1.0 + growth) ** y * age
    follow = weights.copy()
    for code in ("45S01", "46A01"):  # screening and crisis open a trajectory, they rarely follow
        follow[..., cat.PRODUCT_INDEX[code]] *= 0.1
    shape = (-1, cat.N_PRODUCTS)
    return cumulative(weights).reshape(shape), cumulative(follow).reshape(shape)
