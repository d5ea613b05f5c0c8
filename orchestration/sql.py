"""Quoting for SQL the pipeline composes for DuckDB: one definition of each rule.

Values that can be bound as parameters are bound; these are for the places DuckDB takes no
parameter (identifiers, ATTACH and COPY paths, SET values, names inside generated SQL).
Spark SQL escapes string literals differently (orchestration/spark.py keeps its own).
"""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """A double-quoted identifier; a double quote inside is doubled."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A single-quoted string literal; a single quote inside is doubled."""
    return "'" + value.replace("'", "''") + "'"
