"""The client key: the one definition of how a BSN becomes a pseudonymous identifier.

DEFINITIONS §7: no BSN reaches a published table; clients are identified by a keyed hash of
the BSN. client_key = lowercase hex HMAC-SHA256(key, the BSN as its 9 ASCII digits).

`client_key` is the reference in plain Python. `client_key_sql` is the same function as a
DuckDB expression, so millions of rows are hashed set-based: HMAC(K, m) =
H((K' xor opad) || H((K' xor ipad) || m)) with K' the key padded to the 64-byte block (keys
longer than a block are hashed first, RFC 2104). The padded keys are passed as query
parameters, never written into SQL text or the database.
"""

from __future__ import annotations

import hashlib
import hmac

_BLOCK_SIZE = 64  # SHA-256 block size in bytes
IPAD_PARAM = "client_key_ipad"
OPAD_PARAM = "client_key_opad"


def client_key(bsn: str, key: bytes) -> str:
    """HMAC-SHA256 of the BSN (its ASCII digits) under `key`, as lowercase hex (§7)."""
    return hmac.new(key, bsn.encode("ascii"), hashlib.sha256).hexdigest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC-SHA256 (RFC 2104 section 2)."""
    if len(key) > _BLOCK_SIZE:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK_SIZE, b"\x00")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def client_key_sql(bsn_expr: str) -> str:
    """A DuckDB expression computing `client_key` of the VARCHAR expression `bsn_expr`.

    Bind the parameters from `client_key_params` when executing it.
    """
    inner = f"unhex(sha256(${IPAD_PARAM} || encode({bsn_expr})))"
    return f"sha256(${OPAD_PARAM} || {inner})"


def client_key_params(key: bytes) -> dict[str, bytes]:
    """Named parameters for `client_key_sql`."""
    ipad, opad = hmac_pads(key)
    return {IPAD_PARAM: ipad, OPAD_PARAM: opad}
