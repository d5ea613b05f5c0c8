"""Quoting for SQL the pipeline composes for DuckDB: one definition of each rule.

Values that can be bound as parameters are bound; these are for the places DuckDB takes no
parameter (identifiers, ATTACH and COPY paths, SET values, names inside generated SQL).
Spark SQL escapes string literals differently (orchestration/spark.py keeps its own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


def quote_ident(name: str) -> str:
    """A double-quoted identifier; a double quote inside is doubled."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A single-quoted string literal; a single quote inside is doubled."""
    return "'" + value.replace("'", "''") + "'"


def table_exists(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, catalog: str | None = None
) -> bool:
    """Whether the database `con` is on (or the attached database `catalog`) has table
    `schema.table`."""
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
            "AND table_name = ? AND table_catalog = coalesce(?, current_database())",
            [schema, table, catalog],
        ).fetchall()[0][0]
    )


def user_relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(schema, name, 'TABLE' or 'VIEW') of every table and view of the database `con` is on."""
    return con.execute(
        "SELECT schema_name, table_name, 'TABLE' FROM duckdb_tables() "
        "WHERE database_name = current_database() "
        "UNION ALL SELECT schema_name, view_name, 'VIEW' FROM duckdb_views() "
        "WHERE database_name = current_database() AND NOT internal"
    ).fetchall()
