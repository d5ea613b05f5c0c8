"""Generate every output row for one block of consecutive clients."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from orchestration.generator.allocations import simulate_allocations, version_rows
from orchestration.generator.clients import draw_clients
from orchestration.generator.context import Context
from orchestration.generator.declarations import declaration_lines
from orchestration.generator.defects import allocation_defects, declaration_defects
from orchestration.generator.frames import Frame
from orchestration.generator.rows import allocation_rows, declaration_rows
from orchestration.generator.tables import allocation_table, declaration_table


@dataclass(frozen=True)
class Block:
    allocations: pa.Table  # sorted by file year; rows of one file are contiguous
    allocation_years: np.ndarray  # file year per row, ascending
    declarations: pa.Table
    declaration_years: np.ndarray
    allocation_count: int  # distinct clean allocations (toewijzingnummers)
    credit_rows: int
    allocation_defects: dict[str, int]
    declaration_defects: dict[str, int]


def generate_block(ctx: Context, first_client: int, stop_client: int) -> Block:
    clients = draw_clients(ctx, np.arange(first_client, stop_client, dtype=np.int64))
    allocations = simulate_allocations(ctx, clients)
    alloc_rows = allocation_rows(clients, allocations, version_rows(ctx, allocations))
    decl_rows = declaration_rows(clients, allocations, declaration_lines(ctx, allocations))
    bad_allocs, alloc_counts = allocation_defects(ctx, alloc_rows)
    bad_decls, decl_counts = declaration_defects(ctx, decl_rows)
    alloc_table, alloc_years = _ordered(
        [allocation_table(ctx, alloc_rows), allocation_table(ctx, bad_allocs)],
        [alloc_rows, bad_allocs],
    )
    decl_table, decl_years = _ordered(
        [declaration_table(ctx, decl_rows), declaration_table(ctx, bad_decls)],
        [decl_rows, bad_decls],
    )
    return Block(
        allocations=alloc_table,
        allocation_years=alloc_years,
        declarations=decl_table,
        declaration_years=decl_years,
        allocation_count=int(allocations["key"].size),
        credit_rows=int(decl_rows["credit"].sum()),
        allocation_defects=alloc_counts,
        declaration_defects=decl_counts,
    )


def _ordered(tables: list[pa.Table], frames: list[Frame]) -> tuple[pa.Table, np.ndarray]:
    """Concatenate and sort by (file year, order): defective copies follow their original."""
    years = np.concatenate([f["file_year"] for f in frames])
    order = np.concatenate([f["order"] for f in frames])
    permutation = np.lexsort((order, years))
    table = pa.concat_tables(tables).take(pa.array(permutation))
    return table, years[permutation]
