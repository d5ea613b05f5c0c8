"""Vectorised calendar helpers on dates held as int64 days since 1970-01-01."""

from __future__ import annotations

import datetime as dt

import numpy as np

EPOCH = dt.date(1970, 1, 1)
# Stand-in for "no einddatum" (open-ended) in day arithmetic: far beyond any generated date.
OPEN_END = np.int64(10**7)


def day_number(value: dt.date) -> int:
    return (value - EPOCH).days


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of each day."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_start(months: np.ndarray) -> np.ndarray:
    """First day (day number) of each month index."""
    return np.asarray(months).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def year_of(days: np.ndarray) -> np.ndarray:
    return month_index(days) // 12 + 1970


def split_ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month 1-12, day 1-31) of each day number."""
    months = month_index(days)
    return months // 12 + 1970, months % 12 + 1, np.asarray(days) - month_start(months) + 1


def add_months(days: np.ndarray, months: int | np.ndarray) -> np.ndarray:
    """Calendar-month arithmetic that clamps to the month's last day (DEFINITIONS §4)."""
    start_month = month_index(days)
    day_in_month = np.asarray(days) - month_start(start_month)
    target = start_month + months
    first = month_start(target)
    length = month_start(target + 1) - first
    return first + np.minimum(day_in_month, length - 1)
