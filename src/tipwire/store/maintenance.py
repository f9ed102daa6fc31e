"""Routine upkeep: fresh planner statistics and, on PostgreSQL, a vacuumed visibility map."""

from __future__ import annotations

from sqlalchemy import Engine

from tipwire.store.schema import Base


def maintain(engine: Engine) -> list[str]:
    """Vacuum and analyze TipWire's tables (PostgreSQL) or analyze them (SQLite).

    PostgreSQL's autovacuum does this on its own where it is on. Where it is off, or right
    after a bulk load, the planner works from missing statistics and every count or
    index-only scan visits the table itself. Returns the tables it went over.
    """
    tables = [table.name for table in Base.metadata.sorted_tables]
    if engine.dialect.name == "postgresql":
        quote = engine.dialect.identifier_preparer.quote
        # VACUUM refuses to run inside a transaction block.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(map(quote, tables))}")
        return tables
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    return tables
