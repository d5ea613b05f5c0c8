"""`generate_landing`: write a synthetic landing folder (DEFINITIONS §2) for demos and tests.

Clients are generated in blocks; each block's allocations and declaration lines are written
before the next block is made, so memory stays bounded whatever the number of clients. A part
file holds a range of clients sized so it gets about `chunk_rows` declaration lines. Because
every random draw is keyed by the client (see randomness.py), the rows do not depend on how the
clients are split into blocks or parts: the same arguments give byte-identical files, and a
different `chunk_rows` gives the same rows in other files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.config import GENERATED_MARKER
from orchestration.generator.block import CYCLE_ENTITIES, Block, generate_block
from orchestration.generator.bsn import MAX_CLIENTS
from orchestration.generator.context import build_context
from orchestration.generator.declarations import MONTH_SLOTS
from orchestration.generator.defects import ALLOCATION_DEFECTS, DECLARATION_DEFECTS
from orchestration.generator.ijw import IjwWriter
from orchestration.generator.writer import FORMATS, PartWriter

ENTITIES = ("allocations", "declarations", *CYCLE_ENTITIES)
DATA_SUFFIXES = (".csv", ".parquet", ".xml")
DEFAULT_DEFECT_RATE = 0.004
MAX_DEFECT_RATE = 0.02
# Used only to size part files: declaration lines per client and generated year.
LINES_PER_CLIENT_YEAR = 10
MAX_BLOCK_CLIENTS = 8192


@dataclass
class GenerateSummary:
    """What `generate_landing` wrote. Defect counts are rows per kind (DEFINITIONS §2)."""

    out: Path
    format: str
    seed: int
    start_year: int
    end_year: int
    clients: int
    allocations: int = 0  # distinct clean allocations
    allocation_rows: int = 0  # all rows written, versions and defective rows included
    declaration_rows: int = 0  # all rows written, credits and defective rows included
    credit_rows: int = 0
    # rows per message-cycle entity (DEFINITIONS §2.1), and answered lines that were rejected
    cycle_rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CYCLE_ENTITIES, 0))
    rejected_lines: int = 0
    allocation_defects: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(ALLOCATION_DEFECTS, 0)
    )
    declaration_defects: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(DECLARATION_DEFECTS, 0)
    )
    files_written: int = 0

    @property
    def defective_rows(self) -> int:
        return sum(self.allocation_defects.values()) + sum(self.declaration_defects.values())


def generate_landing(
    out: Path,
    clients: int = 3000,
    start_year: int = 2020,
    end_year: int = 2025,
    seed: int = 42,
    fmt: str = "csv",
    chunk_rows: int = 2_000_000,
    progress: Callable[[str], None] | None = None,
    *,
    overwrite: bool = False,
    defect_rate: float = DEFAULT_DEFECT_RATE,
) -> GenerateSummary:
    """Write one sub-folder per entity (`ENTITIES`) plus the generated-data marker.

    csv and parquet write every entity as part files; xml writes one iJw 3.2 message per file
    for the entities that have a message (ijw.py) and CSV for outcome_reports.

    Refuses (ValueError) when `out` already holds data files, unless `overwrite` is set; then
    the data files in the entity folders and the marker are replaced.
    `defect_rate` is the share of clean rows that get a deliberately defective copy.
    """
    out = Path(out)
    _check_arguments(clients, start_year, end_year, fmt, chunk_rows, defect_rate)
    _prepare_folder(out, overwrite)
    say = progress or (lambda _message: None)
    ctx = build_context(seed, start_year, end_year, defect_rate)
    summary = GenerateSummary(
        out=out, format=fmt, seed=seed, start_year=start_year, end_year=end_year, clients=clients
    )
    per_part = max(1, chunk_rows // (LINES_PER_CLIENT_YEAR * ctx.n_years))
    parts = math.ceil(clients / per_part)
    xml = IjwWriter(out, progress=say) if fmt == "xml" else None
    for part in range(parts):
        first, stop = part * per_part, min(clients, (part + 1) * per_part)
        per_block = math.ceil((stop - first) / math.ceil((stop - first) / MAX_BLOCK_CLIENTS))
        writers = {} if xml else {e: PartWriter(out / e, part, fmt) for e in ENTITIES}
        try:
            for block_first in range(first, stop, per_block):
                block_stop = min(stop, block_first + per_block)
                block = generate_block(ctx, block_first, block_stop, helpers=xml is not None)
                if xml is not None:
                    # defective copies no valid iJw message can carry are left out
                    dropped = xml.write_block(block)
                    for kind, count in dropped["allocations"].items():
                        block.allocation_defects[kind] -= count
                        summary.allocation_rows -= count
                    for kind, count in dropped["declarations"].items():
                        block.declaration_defects[kind] -= count
                        summary.declaration_rows -= count
                else:
                    for entity, (table, years) in block.tables.items():
                        writers[entity].write(table, years)
                _add(summary, block)
                say(
                    f"part {part + 1}/{parts}: clients {block_first + 1}-{block_stop} of "
                    f"{clients}: {block.allocations.num_rows} allocation rows, "
                    f"{block.declarations.num_rows} declaration lines"
                )
        finally:
            for writer in writers.values():
                summary.files_written += len(writer.close())
    if xml is not None:
        summary.files_written += xml.close()
    _write_marker(out, summary, chunk_rows, defect_rate)
    return summary


def _add(summary: GenerateSummary, block: Block) -> None:
    summary.allocations += block.allocation_count
    summary.allocation_rows += block.allocations.num_rows
    summary.declaration_rows += block.declarations.num_rows
    summary.credit_rows += block.credit_rows
    summary.rejected_lines += block.rejected_lines
    for entity in CYCLE_ENTITIES:
        summary.cycle_rows[entity] += block.tables[entity][0].num_rows
    for kind, count in block.allocation_defects.items():
        summary.allocation_defects[kind] += count
    for kind, count in block.declaration_defects.items():
        summary.declaration_defects[kind] += count


def _check_arguments(
    clients: int, start_year: int, end_year: int, fmt: str, chunk_rows: int, defect_rate: float
) -> None:
    if not 1 <= clients <= MAX_CLIENTS:
        raise ValueError(f"clients must be between 1 and {MAX_CLIENTS}, not {clients}")
    if end_year < start_year:
        raise ValueError(f"end_year {end_year} is before start_year {start_year}")
    if not 1900 <= start_year <= 2200 or not 1900 <= end_year <= 2200:
        raise ValueError("years must lie between 1900 and 2200")
    if (end_year - start_year + 1) * 12 >= MONTH_SLOTS:
        raise ValueError(f"at most {MONTH_SLOTS // 12 - 1} years can be generated")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    if not 0.0 <= defect_rate <= MAX_DEFECT_RATE:
        raise ValueError(f"defect_rate must be between 0 and {MAX_DEFECT_RATE}")


def data_files(folder: Path) -> list[Path]:
    """Data files (CSV, Parquet, iJw XML) anywhere under `folder`."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in DATA_SUFFIXES)


def _prepare_folder(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder")
    existing = data_files(out)
    if existing and not overwrite:
        raise ValueError(
            f"{out} already contains {len(existing)} data file(s), e.g. {existing[0]}; "
            "choose an empty folder or pass overwrite=True (--overwrite) to replace them"
        )
    for entity in ENTITIES:
        for path in data_files(out / entity):
            path.unlink()
    (out / GENERATED_MARKER).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def _write_marker(out: Path, summary: GenerateSummary, chunk_rows: int, rate: float) -> None:
    content = {
        "generator": "jeugdhulp generate",
        "seed": summary.seed,
        "clients": summary.clients,
        "start_year": summary.start_year,
        "end_year": summary.end_year,
        "format": summary.format,
        "chunk_rows": chunk_rows,
        "defect_rate": rate,
        "allocation_rows": summary.allocation_rows,
        "declaration_rows": summary.declaration_rows,
        "allocation_defects": summary.allocation_defects,
        "declaration_defects": summary.declaration_defects,
        "cycle_rows": summary.cycle_rows,
        "rejected_lines": summary.rejected_lines,
    }
    text = json.dumps(content, indent=2, sort_keys=True) + "\n"
    (out / GENERATED_MARKER).write_text(text, encoding="utf-8")
