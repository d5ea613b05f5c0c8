"""Generate every output row for one block of consecutive clients."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from orchestration.generator import cycle
from orchestration.generator.allocations import simulate_allocations, version_rows
from orchestration.generator.clients import draw_clients
from orchestration.generator.context import Context
from orchestration.generator.declarations import care_period, declaration_lines
from orchestration.generator.defects import allocation_defects, declaration_defects
from orchestration.generator.frames import Frame
from orchestration.generator.rows import allocation_rows, declaration_rows
from orchestration.generator.tables import (
    allocation_table,
    declaration_table,
    message_table,
    response_table,
)

# The message-cycle entities (DEFINITIONS §2.1), in the order they are written.
CYCLE_ENTITIES = (
    "care_starts",
    "care_stops",
    "allocation_requests",
    "declaration_responses",
    "outcome_reports",
)


@dataclass(frozen=True)
class Block:
    # entity -> (table sorted by file year, file year per row ascending)
    tables: dict[str, tuple[pa.Table, np.ndarray]]
    allocation_count: int  # distinct clean allocations (toewijzingnummers)
    credit_rows: int
    rejected_lines: int  # declaration lines answered with a retourcode other than 0200
    allocation_defects: dict[str, int]
    declaration_defects: dict[str, int]

    @property
    def allocations(self) -> pa.Table:
        return self.tables["allocations"][0]

    @property
    def declarations(self) -> pa.Table:
        return self.tables["declarations"][0]


def generate_block(
    ctx: Context, first_client: int, stop_client: int, helpers: bool = False
) -> Block:
    """All rows of clients first_client..stop_client-1; `helpers` adds the XML writer's columns."""
    clients = draw_clients(ctx, np.arange(first_client, stop_client, dtype=np.int64))
    allocations = simulate_allocations(ctx, clients)
    cycle.mark_requests(ctx, allocations)
    alloc_rows = allocation_rows(clients, allocations, version_rows(ctx, allocations))
    lines = declaration_lines(ctx, allocations)
    decl_rows = declaration_rows(clients, allocations, lines)
    bad_allocs, alloc_counts = allocation_defects(ctx, alloc_rows)
    bad_decls, decl_counts = declaration_defects(ctx, decl_rows)
    tables = {
        "allocations": _ordered(
            [
                allocation_table(ctx, alloc_rows, helpers),
                allocation_table(ctx, bad_allocs, helpers),
            ],
            [alloc_rows, bad_allocs],
        ),
        "declarations": _ordered(
            [
                declaration_table(ctx, decl_rows, helpers),
                declaration_table(ctx, bad_decls, helpers),
            ],
            [decl_rows, bad_decls],
        ),
    }
    care_start, _ = care_period(ctx, allocations)
    frames = {
        "care_starts": cycle.care_start_rows(ctx, allocations, care_start),
        "care_stops": cycle.care_stop_rows(ctx, allocations, care_start),
        "allocation_requests": cycle.request_rows(ctx, allocations),
        "outcome_reports": cycle.outcome_rows(ctx, allocations, care_start),
    }
    for entity, rows in frames.items():
        table = message_table(
            ctx, entity, allocations, clients.birth, clients.bsn, rows, helpers=helpers
        )
        tables[entity] = _ordered([table], [rows])
    responses = cycle.response_rows(ctx, decl_rows)
    tables["declaration_responses"] = _ordered(
        [response_table(ctx, decl_rows, responses)], [responses]
    )
    return Block(
        tables=tables,
        allocation_count=int(allocations["key"].size),
        credit_rows=int(decl_rows["credit"].sum()),
        rejected_lines=int(responses["rejected"].sum()),
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
