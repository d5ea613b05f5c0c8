"""Burgerservicenummers that pass (or deliberately fail) the eleven-test (DEFINITIONS §2).

Elfproef: 9*d1 + 8*d2 + 7*d3 + 6*d4 + 5*d5 + 4*d6 + 3*d7 + 2*d8 - 1*d9 is divisible by 11.
"""

from __future__ import annotations

import math

import numpy as np

from orchestration.generator.randomness import KeyedRandom

_WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2, -1], dtype=np.int64)
_PREFIX_LOW = 1_000_000  # seven-digit prefixes 1000000..9999999: never all zeros
_PREFIX_SPAN = 9_000_000
MAX_CLIENTS = _PREFIX_SPAN


def digits(bsn: np.ndarray) -> np.ndarray:
    """The nine digits of each number, most significant first (shape n x 9)."""
    powers = 10 ** np.arange(8, -1, -1, dtype=np.int64)
    return (np.asarray(bsn, dtype=np.int64)[:, None] // powers) % 10


def passes_elfproef(bsn: np.ndarray) -> np.ndarray:
    """True where a nine-digit number passes the eleven-test and is not zero."""
    values = np.asarray(bsn, dtype=np.int64)
    return ((digits(values) @ _WEIGHTS) % 11 == 0) & (values > 0)


def client_bsns(rng: KeyedRandom, client_index: np.ndarray) -> np.ndarray:
    """A valid, unique BSN per client index (0 <= index < MAX_CLIENTS).

    A seed-dependent affine permutation of the index gives a unique seven-digit prefix; the last
    two digits are then chosen so the number passes the eleven-test. For any prefix at most one
    of the ten possible eighth digits has no valid check digit, so a valid pair always exists.
    """
    index = np.asarray(client_index, dtype=np.int64)
    if index.size and (index.min() < 0 or index.max() >= MAX_CLIENTS):
        raise ValueError(f"client index out of range 0..{MAX_CLIENTS - 1}")
    multiplier, offset = _permutation(rng)
    prefix = _PREFIX_LOW + (index * multiplier + offset) % _PREFIX_SPAN
    prefix_digits = (prefix[:, None] // 10 ** np.arange(6, -1, -1, dtype=np.int64)) % 10
    partial = prefix_digits @ _WEIGHTS[:7]
    first_try = rng.integers("bsn-d8", 0, 10, index)
    d8_options = (first_try[:, None] + np.arange(10)) % 10  # n x 10 candidates in order
    d9_options = (partial[:, None] + 2 * d8_options) % 11
    pick = np.argmax(d9_options <= 9, axis=1)
    rows = np.arange(index.size)
    d8 = d8_options[rows, pick]
    d9 = d9_options[rows, pick]
    return prefix * 100 + d8 * 10 + d9


def corrupt_bsns(bsn: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Change the check digit by `shift` (1..9, modulo 10) so the number fails the test.

    The weighted sum changes by a non-zero amount smaller than 11, so it can no longer be a
    multiple of 11.
    """
    values = np.asarray(bsn, dtype=np.int64)
    last = values % 10
    return values - last + (last + np.asarray(shift, dtype=np.int64)) % 10


def _permutation(rng: KeyedRandom) -> tuple[int, int]:
    bits = rng.bits("bsn-permutation", np.array([0, 1], dtype=np.int64))
    multiplier = int(bits[0] % np.uint64(_PREFIX_SPAN)) | 1
    while math.gcd(multiplier, _PREFIX_SPAN) != 1:
        multiplier += 2
    return multiplier, int(bits[1] % np.uint64(_PREFIX_SPAN))
