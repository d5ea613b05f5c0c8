"""Counter-based random numbers: every draw is a pure function of (seed, purpose, keys).

A draw for a client, allocation or declaration line depends only on the seed, a named purpose
("stream") and the entity's own keys, never on how many clients were generated before it. So the
generated rows are the same whatever block size the generator works in, and any block can be
produced on its own (bounded memory, identical union of rows for any `chunk_rows`).

The mixing function is SplitMix64's finaliser, applied to unsigned 64-bit numpy arrays.
"""

from __future__ import annotations

import hashlib

import numpy as np

_MASK64 = (1 << 64) - 1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / float(1 << 53)


def _mix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * _MUL1
    x = x ^ (x >> np.uint64(27))
    x = x * _MUL2
    return x ^ (x >> np.uint64(31))


def _stream_constant(stream: str) -> int:
    digest = hashlib.blake2b(stream.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class KeyedRandom:
    """Reproducible random draws addressed by (stream, *keys) instead of by call order."""

    def __init__(self, seed: int) -> None:
        self._base = int(_mix(np.array([seed & _MASK64], dtype=np.uint64))[0])

    def bits(self, stream: str, *keys: np.ndarray | int) -> np.ndarray:
        """64 random bits per element of the broadcast keys."""
        if not keys:
            raise ValueError("at least one key is needed")
        h = np.atleast_1d(np.asarray(self._base ^ _stream_constant(stream), dtype=np.uint64))
        for key in keys:
            k = np.atleast_1d(np.asarray(key)).astype(np.uint64)
            h = _mix(h ^ (k * _GOLDEN))
        return h

    def uniform(self, stream: str, *keys: np.ndarray | int) -> np.ndarray:
        """Floats in [0, 1)."""
        return (self.bits(stream, *keys) >> np.uint64(11)).astype(np.float64) * _TO_UNIT

    def integers(
        self,
        stream: str,
        low: np.ndarray | int,
        high: np.ndarray | int,
        *keys: np.ndarray | int,
    ) -> np.ndarray:
        """Integers in [low, high) (high > low), elementwise."""
        u = self.uniform(stream, *keys)
        low_a = np.asarray(low, dtype=np.int64)
        span = np.asarray(high, dtype=np.int64) - low_a
        return low_a + np.minimum((u * span).astype(np.int64), np.maximum(span - 1, 0))

    def choice(self, stream: str, cumulative: np.ndarray, *keys: np.ndarray | int) -> np.ndarray:
        """Index drawn from one cumulative distribution (last element 1.0)."""
        u = self.uniform(stream, *keys)
        idx = np.searchsorted(cumulative, u, side="right")
        return np.minimum(idx, len(cumulative) - 1).astype(np.int64)

    def choice_rows(
        self,
        stream: str,
        cumulative_table: np.ndarray,
        rows: np.ndarray,
        *keys: np.ndarray | int,
    ) -> np.ndarray:
        """Index drawn, per element, from the cumulative distribution in `cumulative_table[row]`."""
        u = self.uniform(stream, *keys)
        table = cumulative_table[rows]
        idx = (table <= u[:, None]).sum(axis=1)
        return np.minimum(idx, cumulative_table.shape[1] - 1).astype(np.int64)


def cumulative(weights: np.ndarray) -> np.ndarray:
    """Normalised cumulative distribution along the last axis (rows of zeros stay zero)."""
    w = np.asarray(weights, dtype=np.float64)
    total = w.sum(axis=-1, keepdims=True)
    cum = np.cumsum(w, axis=-1) / np.where(total > 0, total, 1.0)
    cum[..., -1] = np.where(total[..., 0] > 0, 1.0, 0.0)
    return cum
