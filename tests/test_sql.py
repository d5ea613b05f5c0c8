"""orchestration/sql.py: quoted names and values survive DuckDB unchanged."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.sql import quote_ident, quote_literal


@pytest.mark.parametrize(
    "text", ["plain", "it's", "o''clock", 'say "hi"', "; drop table t; --", ""]
)
def test_literal_round_trips(text: str) -> None:
    assert duckdb.connect().execute(f"select {quote_literal(text)}").fetchall() == [(text,)]


@pytest.mark.parametrize("name", ["plain", 'a"b', 'x"" y', "select", "it's"])
def test_identifier_round_trips(name: str) -> None:
    con = duckdb.connect()
    con.execute(f"create table {quote_ident(name)} ({quote_ident(name)} integer)")
    con.execute(f"insert into {quote_ident(name)} values (1)")
    assert con.execute(
        "select table_name, column_name from information_schema.columns"
    ).fetchall() == [(name, name)]
