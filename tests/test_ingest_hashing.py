"""The client key (DEFINITIONS §7) and the eleven-test (§2), in Python and in DuckDB SQL."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.hashing import client_key, client_key_params, client_key_sql
from orchestration.ingest.validate import bsn_ok_sql, is_valid_bsn
from tests.test_ingest_support import (
    KEY,
    OTHER_VALID_BSN,
    VALID_BSN,
    alloc,
    decl,
    ingest_rows,
)

KEYS = [
    b"sixteen-byte-key",  # shorter than the 64-byte block
    b"k" * 64,  # exactly one block
    b"k" * 65,  # one byte over: hashed first (RFC 2104)
    bytes(range(100)),  # 100 bytes, including 0x00 and bytes above 0x7f
]
BSNS = [VALID_BSN, OTHER_VALID_BSN, "000000012"]


def sql_client_keys(key: bytes, bsns: list[str]) -> list[str]:
    con = duckdb.connect()
    con.execute("CREATE TABLE b (bsn VARCHAR, i INTEGER)")
    con.executemany("INSERT INTO b VALUES (?, ?)", [(b, i) for i, b in enumerate(bsns)])
    rows = con.execute(
        f"SELECT {client_key_sql('bsn')} FROM b ORDER BY i", client_key_params(key)
    ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize("key", KEYS, ids=lambda k: f"{len(k)}-byte-key")
def test_sql_client_key_equals_python_hmac(key: bytes) -> None:
    expected = [hmac.new(key, b.encode("ascii"), hashlib.sha256).hexdigest() for b in BSNS]
    assert sql_client_keys(key, BSNS) == expected
    assert [client_key(b, key) for b in BSNS] == expected


def test_client_key_is_lowercase_hex_of_sha256() -> None:
    key = client_key(VALID_BSN, KEYS[0])
    assert len(key) == 64 and key == key.lower()
    int(key, 16)


def test_loaded_rows_carry_the_client_key_of_their_bsn(tmp_path: Path) -> None:
    _, con = ingest_rows(
        tmp_path,
        allocations=[alloc(), alloc(toewijzingnummer="T2", bsn=OTHER_VALID_BSN)],
        declarations=[decl()],
    )
    rows = con.execute(
        "SELECT bsn, client_key FROM raw.allocations UNION ALL "
        "SELECT d.bsn, c.client_key FROM raw.declarations AS d "
        "JOIN raw.clients AS c USING (client_id)"
    ).fetchall()
    assert sorted(rows) == sorted(
        [
            (VALID_BSN, hmac.new(KEY, VALID_BSN.encode(), hashlib.sha256).hexdigest()),
            (OTHER_VALID_BSN, hmac.new(KEY, OTHER_VALID_BSN.encode(), hashlib.sha256).hexdigest()),
            (VALID_BSN, hmac.new(KEY, VALID_BSN.encode(), hashlib.sha256).hexdigest()),
        ]
    )


# ----------------------------------------------------------------------------- elfproef


@pytest.mark.parametrize(
    ("bsn", "valid"),
    [
        ("123456782", True),  # 154 = 14 * 11
        ("111222333", True),  # 66 = 6 * 11
        ("000000012", True),  # 2*1 - 2 = 0
        ("123456789", False),  # 147 = 13 * 11 + 4
        ("000000000", False),  # sum 0, but all zeros is excluded
        ("12345678", False),  # 8 digits
        ("1234567820", False),  # 10 digits
        ("12345678a", False),
        ("", False),
    ],
)
def test_elfproef(bsn: str, valid: bool) -> None:
    assert is_valid_bsn(bsn) is valid
    con = duckdb.connect()
    assert con.execute(f"SELECT {bsn_ok_sql('$b')}", {"b": bsn}).fetchall() == [(valid,)]


def test_sql_elfproef_agrees_with_python_on_a_range_of_numbers() -> None:
    # 000000000 … 000099999 and 123400000 … 123499999: about one in eleven passes.
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT b, {bsn_ok_sql('b')} FROM (SELECT lpad(CAST(i AS VARCHAR), 9, '0') AS b "
        "FROM (SELECT range AS i FROM range(0, 100000) "
        "UNION ALL SELECT range FROM range(123400000, 123500000)))"
    ).fetchall()
    assert len(rows) == 200_000
    assert [b for b, ok in rows if ok != is_valid_bsn(b)] == []
    assert 17_000 < sum(ok for _, ok in rows) < 19_500
