"""Temporary staging tables loaded in bulk: executemany on SQLite, COPY on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection

# Kind -> (SQLite type, PostgreSQL type, PostgreSQL binary COPY type). SQLite's types are
# affinities only.
_TYPES = {
    "int": ("INTEGER", "BIGINT", "int8"),
    "text": ("TEXT", "TEXT", "text"),
    "bytes": ("BLOB", "BYTEA", "bytea"),
    "bool": ("INTEGER", "BOOLEAN", "bool"),
    "time": ("TEXT", "TIMESTAMPTZ", "timestamptz"),
    "pk": ("INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY", "int8"),
}


class StagingTable:
    """A temporary table that lives for one transaction and is filled in one bulk load."""

    def __init__(
        self, connection: Connection, name: str, columns: Sequence[tuple[str, str]]
    ) -> None:
        self.connection = connection
        self.name = name
        self.columns = [column for column, _ in columns]
        self.copy_types = [_TYPES[type_][2] for _, type_ in columns]
        self.postgres = connection.dialect.name == "postgresql"
        kind = 1 if self.postgres else 0
        ddl = ", ".join(f"{column} {_TYPES[type_][kind]}" for column, type_ in columns)
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        suffix = " ON COMMIT DROP" if self.postgres else ""
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} ({ddl}){suffix}")

    def load(self, rows: Iterable[Sequence[Any]]) -> None:
        """Append rows, in column order, as fast as the driver allows."""
        columns = ", ".join(self.columns)
        if self.postgres:
            raw: Any = self.connection.connection.dbapi_connection
            # Binary COPY skips rendering every value as text and parsing it back.
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {self.name} ({columns}) FROM STDIN (FORMAT BINARY)") as copy,
            ):
                copy.set_types(self.copy_types)
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" for _ in self.columns)
        sqlite: Any = self.connection.connection.dbapi_connection
        insert = f"INSERT INTO {self.name} ({columns}) VALUES ({marks})"  # noqa: S608 - own names
        sqlite.cursor().executemany(insert, rows)

    def analyze(self) -> None:
        """Give the planner statistics about the staged rows."""
        if self.postgres:
            # Autovacuum never sees temporary tables: without statistics the planner
            # guesses a handful of rows and picks nested loops over a million.
            self.connection.exec_driver_sql(f"ANALYZE {self.name}")

    def drop(self) -> None:
        """Drop the table before the transaction ends (SQLite keeps temp tables per connection)."""
        self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS {self.name}")
