"""Event upserts by stable key, with their sources and attributes."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, case, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tipwire.model import Event
from tipwire.store import summaries
from tipwire.store.dialect import upsert
from tipwire.store.keys import attribute_key
from tipwire.store.results import Counts
from tipwire.store.schema import (
    EventAttributeRow,
    EventCounterRow,
    EventRelationRow,
    EventRow,
    EventSourceRow,
    table,
)

_events = table(EventRow)
_event_sources = table(EventSourceRow)
_event_attributes = table(EventAttributeRow)
_event_relations = table(EventRelationRow)
_counter_rows = table(EventCounterRow)


def upsert_events(
    connection: Connection, events: list[Event], src: int, now: datetime, part: str
) -> tuple[dict[str, int], Counts]:
    """Create or update events by key; return their ids by key and the counts.

    ``part`` names the batch, so its counter contributions replace an earlier copy of it.
    """
    counts = Counts()
    merged: dict[str, Event] = {}
    for event in events:
        first = merged.get(event.key)
        if first is not None and first.happened_at < event.happened_at:
            event.happened_at = first.happened_at
        if first is not None:
            event.attributes = [*first.attributes, *event.attributes]
            for name, amount in first.counters.items():
                event.counters[name] = event.counters.get(name, 0) + amount
        merged[event.key] = event
    ids: dict[str, int] = {}
    keys = list(merged)
    existing: dict[str, Any] = {}
    for start in range(0, len(keys), 500):
        for found in connection.execute(
            select(_events).where(_events.c.key.in_(keys[start : start + 500]))
        ):
            existing[found.key] = found
    new_rows = [
        {"key": key, "happened_at": event.happened_at, "created_at": now, "updated_at": now}
        | _stored_values(event)
        for key, event in merged.items()
        if key not in existing
    ]
    if new_rows:
        # One statement for all new events: per-event inserts cost milliseconds each.
        inserted = connection.execute(
            _events.insert().returning(_events.c.key, _events.c.id), new_rows
        )
        ids.update((row.key, row.id) for row in inserted)
        counts.created += len(new_rows)
    stored_counters = _stored_counters(
        connection, [row.id for key, row in existing.items() if merged[key].counters], part
    )
    changes: list[dict[str, Any]] = []
    for key, event in merged.items():
        row = existing.get(key)
        if row is None:
            continue
        ids[key] = row.id
        values = _stored_values(event)
        happened = min(row.happened_at, event.happened_at)
        if values["title_template"] is not None:
            values["title"] = row.title  # rendered from the template afterwards
        if values["description_template"] is not None:
            values["description"] = row.description
        changed = any(getattr(row, k) != v for k, v in values.items())
        changed |= happened != row.happened_at
        changed |= bool(event.counters) and stored_counters.get(row.id, {}) != event.counters
        if changed:
            changes.append({"event_id": row.id, "happened_at": happened, **values})
            counts.updated += 1
        else:
            counts.unchanged += 1
    if changes:
        # One statement for every changed event: an UPDATE each cost a round trip apiece.
        connection.execute(_EVENT_UPDATE, [change | {"updated_at": now} for change in changes])
    if not ids:
        return ids, counts
    summaries.record_counters_many(
        connection, [(ids[key], part, event.counters) for key, event in merged.items()]
    )
    connection.execute(
        upsert(connection, _event_sources).on_conflict_do_nothing(),
        [{"event_id": ids[key], "source_id": src, "created_at": now} for key in merged],
    )
    attribute_rows = [
        row for key, event in merged.items() for row in _attribute_rows(ids[key], event, src, now)
    ]
    if attribute_rows:
        connection.execute(_attribute_upsert(connection.dialect.name), attribute_rows)
    return ids, counts


_STORED = ("title", "type", "description", "title_template", "description_template")


def _stored_values(event: Event) -> dict[str, str | None]:
    """Column values for an event; a title naming counters is kept as its template."""
    title_template = event.title if summaries.is_template(event.title) else None
    description_template = event.description if summaries.is_template(event.description) else None
    return {
        "title": event.title,
        "type": event.type.value,
        "description": event.description,
        "title_template": title_template,
        "description_template": description_template,
    }


def _stored_counters(
    connection: Connection, event_ids: list[int], part: str
) -> dict[int, dict[str, int]]:
    """The counters each event holds for batch ``part``, by event id."""
    stored: dict[int, dict[str, int]] = {}
    for start in range(0, len(event_ids), 500):
        rows = connection.execute(
            select(_counter_rows.c.event_id, _counter_rows.c.name, _counter_rows.c.value).where(
                _counter_rows.c.part == part,
                _counter_rows.c.event_id.in_(event_ids[start : start + 500]),
            )
        )
        for event_id, name, value in rows:
            stored.setdefault(event_id, {})[name] = value
    return stored


_UPDATED = ("happened_at", "updated_at", *_STORED)
_EVENT_UPDATE = (
    update(_events)
    .where(_events.c.id == bindparam("event_id"))
    .values({name: bindparam(name) for name in _UPDATED})
)


def _attribute_rows(event_id: int, event: Event, src: int, now: datetime) -> list[dict[str, Any]]:
    """An event's attributes as rows, one per (name, value) with its first and last seen."""
    rows: dict[bytes, dict[str, Any]] = {}
    for attr in event.attributes:
        seen = attr.seen_at or now
        key = attribute_key(attr.name, attr.value)
        row = rows.get(key)
        if row is None:
            rows[key] = {
                "event_id": event_id,
                "source_id": src,
                "key_hash": key,
                "name": attr.name,
                "value": attr.value,
                "first_seen": seen,
                "last_seen": seen,
            }
        else:
            row["first_seen"] = min(row["first_seen"], seen)
            row["last_seen"] = max(row["last_seen"], seen)
    return list(rows.values())


@cache
def _attribute_upsert(dialect: str) -> Any:
    """One upsert for event attributes, built once: building it per row cost seconds a run."""
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_event_attributes)
    current = _event_attributes.c
    return stmt.on_conflict_do_update(
        index_elements=[current.event_id, current.source_id, current.key_hash],
        set_={
            "first_seen": _earlier(current.first_seen, stmt.excluded.first_seen),
            "last_seen": _later(current.last_seen, stmt.excluded.last_seen),
        },
    )


def _earlier(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((b < a, b), else_=a)


def _later(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((b > a, b), else_=a)


def relate_events(connection: Connection, pairs: set[tuple[int, int]], now: datetime) -> int:
    """Link pairs of event ids (``a < b``); return how many links are new."""
    created = 0
    for a, b in pairs:
        # RETURNING, because psycopg reports rowcount -1 for this statement built by Core.
        inserted = connection.execute(
            upsert(connection, _event_relations)
            .values(a_id=a, b_id=b, created_at=now)
            .on_conflict_do_nothing()
            .returning(_event_relations.c.a_id)
        ).first()
        created += inserted is not None
    return created
