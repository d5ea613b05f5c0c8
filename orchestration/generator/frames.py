"""Column-wise numpy "frames": dicts of equally long arrays, the generator's working form."""

from __future__ import annotations

import numpy as np

Frame = dict[str, np.ndarray]


def length(frame: Frame) -> int:
    return int(next(iter(frame.values())).shape[0]) if frame else 0


def take(frame: Frame, rows: np.ndarray) -> Frame:
    return {name: values[rows] for name, values in frame.items()}


def concat(frames: list[Frame]) -> Frame:
    frames = [f for f in frames if f]
    if not frames:
        return {}
    names = list(frames[0])
    return {name: np.concatenate([f[name] for f in frames]) for name in names}
