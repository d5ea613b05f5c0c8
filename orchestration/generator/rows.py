"""Resolve allocations and declaration lines into output rows (still numeric).

Each row frame holds, per output row, every value its table needs: client, gemeente, provider
and product attributes are looked up here, so defective copies can be made by copying rows.
"""

from __future__ import annotations

import numpy as np

from orchestration.generator.allocations import PRODUCT_FREQUENCY
from orchestration.generator.clients import Clients
from orchestration.generator.frames import Frame

# toewijzingnummer = "T" + ten digits: a tag digit, then the nine-digit allocation key.
TAG_SPAN = 10**9
TAG_REAL, TAG_UNKNOWN, TAG_DEFECTIVE_COPY = 0, 8, 9


def allocation_rows(clients: Clients, allocations: Frame, versions: Frame) -> Frame:
    row = versions["alloc"]
    client = allocations["client"][row]
    product = allocations["product"][row]
    return {
        "tw": TAG_REAL * TAG_SPAN + allocations["key"][row],
        "version": versions["version"],
        "gemeente": allocations["gemeente"][row],
        "provider": allocations["provider"][row],
        "bsn": clients.bsn[client],
        "birth": clients.birth[client],
        "birth_missing": clients.birth_missing[client],
        "product": product,
        "code_missing": allocations["code_missing"][row],
        "start": allocations["start"][row],
        "end": versions["end"],
        "toewijzingsdatum": allocations["toewijzingsdatum"][row],
        "toewijzing_missing": allocations["toewijzing_missing"][row],
        "volume": allocations["volume"][row],
        "unit": allocations["unit"][row],
        "frequency": PRODUCT_FREQUENCY[product],
        "change": versions["change"],
        "referrer": np.where(allocations["referrer_hidden"][row], -1, allocations["referrer"][row]),
        "referentie": np.where(allocations["requested"][row], allocations["key"][row], -1),
        "reason": versions["reason"],
        "dagtekening": versions["dagtekening"],
        "impossible": np.zeros(row.size, dtype=bool),
        "file_year": versions["file_year"],
        "order": versions["order"],
    }


def declaration_rows(clients: Clients, allocations: Frame, lines: Frame) -> Frame:
    row = lines["alloc"]
    return {
        "key": lines["key"],
        "vorig": lines["vorig"],
        "credit": lines["credit"],
        "tw": TAG_REAL * TAG_SPAN + allocations["key"][row],
        "gemeente": allocations["gemeente"][row],
        "provider": allocations["provider"][row],
        "bsn": clients.bsn[allocations["client"][row]],
        "product": allocations["product"][row],
        "code_missing": allocations["code_missing"][row],
        "begin": lines["begin"],
        "end": lines["end"],
        "volume": lines["volume"],
        "unit": allocations["unit"][row],
        "bedrag": lines["bedrag"],
        "submitted": lines["submitted"],
        "impossible": np.zeros(row.size, dtype=bool),
        "file_year": lines["file_year"],
        "order": lines["order"],
    }
