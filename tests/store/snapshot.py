"""Whole-database snapshots, to prove what an operation did or did not change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from tipwire.store.schema import Base

MOVING = frozenset({"last_seen", "updated_at"})


def snapshot(
    engine: Engine, ignore: frozenset[str] = frozenset()
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every TipWire table, sorted, without the columns named in ``ignore``."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in ignore]
            rows = connection.execute(select(*columns)).all()
            tables[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return tables
