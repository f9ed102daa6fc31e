"""Sources: looked up by name, created on first use."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, select, update

from tipwire.model import Source
from tipwire.store.dialect import upsert
from tipwire.store.schema import SourceRow, table

_sources = table(SourceRow)


def source_id(connection: Connection, source: Source) -> int:
    """Return the id of ``source``, creating it (or updating its TLP) as needed."""
    row = connection.execute(
        select(_sources.c.id, _sources.c.tlp).where(_sources.c.name == source.name)
    ).first()
    if row is not None:
        if row.tlp != source.tlp.value:
            connection.execute(
                update(_sources).where(_sources.c.id == row.id).values(tlp=source.tlp.value)
            )
        return int(row.id)
    connection.execute(
        upsert(connection, _sources)
        .values(name=source.name, tlp=source.tlp.value, created_at=datetime.now(UTC))
        .on_conflict_do_nothing()
    )
    return int(
        connection.execute(select(_sources.c.id).where(_sources.c.name == source.name)).scalar_one()
    )
