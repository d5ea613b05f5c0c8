"""Benchmark scales and their generated landing folders, made once and kept in a cache folder.

regional ≈ one purchasing region (50 000 clients, ≈ 3 M declaration lines); national ≈ the
Netherlands (1 M clients, ≈ 60 M declaration lines). Both cover six years as Parquet.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestration.config import GENERATED_MARKER, PROJECT_ROOT

DEFAULT_CACHE = PROJECT_ROOT / "data" / "bench"
# A fixed reference date, so results do not move with the calendar (data runs 2020-2025).
PEILDATUM = dt.date(2026, 1, 1)


@dataclass(frozen=True)
class Scale:
    name: str
    clients: int
    start_year: int = 2020
    end_year: int = 2025
    seed: int = 42
    fmt: str = "parquet"

    def folder(self, cache: Path) -> Path:
        return cache / self.name

    def landing(self, cache: Path) -> Path:
        return self.folder(cache) / "landing"


SCALES: dict[str, Scale] = {
    "regional": Scale("regional", clients=50_000),
    "national": Scale("national", clients=1_000_000),
}


def _generated_with(landing: Path) -> dict[str, object] | None:
    marker = landing / GENERATED_MARKER
    stamp = landing.parent / "landing.json"
    if not marker.is_file() or not stamp.is_file():
        return None
    return json.loads(stamp.read_text(encoding="utf-8"))


def ensure_landing(
    scale: Scale, cache: Path = DEFAULT_CACHE, progress: Callable[[str], None] = print
) -> tuple[Path, dict[str, object]]:
    """The scale's landing folder, generated unless an earlier run made it with the same
    arguments. Returns the folder and the generator's summary."""
    from orchestration.generate import generate_landing

    landing = scale.landing(cache)
    wanted = {
        "clients": scale.clients,
        "start_year": scale.start_year,
        "end_year": scale.end_year,
        "seed": scale.seed,
        "format": scale.fmt,
    }
    found = _generated_with(landing)
    if found is not None and found.get("arguments") == wanted:
        progress(f"Using cached {scale.name} data in {landing}")
        return landing, found
    progress(f"Generating {scale.name} data ({scale.clients:,} clients) into {landing}")
    summary = generate_landing(
        landing,
        clients=scale.clients,
        start_year=scale.start_year,
        end_year=scale.end_year,
        seed=scale.seed,
        fmt=scale.fmt,
        overwrite=True,
    )
    record = {
        "arguments": wanted,
        "allocation_rows": summary.allocation_rows,
        "declaration_rows": summary.declaration_rows,
        "files_written": summary.files_written,
    }
    (landing.parent / "landing.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    return landing, record
