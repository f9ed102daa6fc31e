"""Read side for sharing: indicators and events with their sources, TLPs and attributes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from tipwire.errors import NotFoundError
from tipwire.model import IndicatorType, Status
from tipwire.store.schema import (
    EventAttributeRow,
    EventIndicatorRow,
    EventRow,
    EventSourceRow,
    IndicatorAttributeRow,
    IndicatorRelationRow,
    IndicatorRow,
    IndicatorSourceRow,
    SourceRow,
    table,
)

CHUNK = 500

_ind = table(IndicatorRow)
_ev = table(EventRow)
_src = table(SourceRow)
_ind_src = table(IndicatorSourceRow)
_ev_src = table(EventSourceRow)
_ind_attr = table(IndicatorAttributeRow)
_ev_attr = table(EventAttributeRow)
_ev_ind = table(EventIndicatorRow)
_ind_rel = table(IndicatorRelationRow)


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A source's name, TLP label and when TipWire first heard of it."""

    name: str
    tlp: str
    created_at: datetime


@dataclass(slots=True)
class IndicatorRecord:
    """An indicator with everything an export needs."""

    id: int
    type: str
    value: str
    status: str
    score: int | None
    first_seen: datetime
    last_seen: datetime
    created_at: datetime
    updated_at: datetime
    sources: list[SourceRecord] = field(default_factory=list)
    attributes: list[tuple[str, str]] = field(default_factory=list)

    def attribute_values(self, name: str) -> list[str]:
        """The distinct values of the attribute ``name``."""
        return [value for key, value in self.attributes if key == name]


@dataclass(slots=True)
class EventRecord:
    """An event with its stable key, sources, attributes and related indicator ids."""

    id: int
    key: str
    title: str
    type: str
    happened_at: datetime
    description: str
    created_at: datetime
    updated_at: datetime
    sources: list[SourceRecord] = field(default_factory=list)
    attributes: list[tuple[str, str]] = field(default_factory=list)
    indicator_ids: list[int] = field(default_factory=list)

    def attribute_values(self, name: str) -> list[str]:
        """The distinct values of the attribute ``name``."""
        return [value for key, value in self.attributes if key == name]


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def indicator_ids(
    connection: Connection,
    *,
    status: Status | None = None,
    exclude: Status | None = None,
    seen_since: datetime | None = None,
    event_id: int | None = None,
) -> list[int]:
    """Ids of the indicators an export selects, in id order."""
    query = select(_ind.c.id).order_by(_ind.c.id)
    if status is not None:
        query = query.where(_ind.c.status == status.value)
    if exclude is not None:
        query = query.where(_ind.c.status != exclude.value)
    if seen_since is not None:
        query = query.where(_ind.c.last_seen >= seen_since)
    if event_id is not None:
        query = query.where(
            _ind.c.id.in_(select(_ev_ind.c.indicator_id).where(_ev_ind.c.event_id == event_id))
        )
    return list(connection.execute(query).scalars())


def load_indicators(connection: Connection, ids: Sequence[int]) -> Iterator[IndicatorRecord]:
    """The indicators with these ids, a chunk at a time, in id order."""
    for chunk in _chunks(ids):
        rows = connection.execute(select(_ind).where(_ind.c.id.in_(chunk)).order_by(_ind.c.id))
        records = {
            r.id: IndicatorRecord(
                r.id,
                r.type,
                r.value,
                r.status,
                r.manual_score if r.manual_score is not None else r.score,
                r.first_seen,
                r.last_seen,
                r.created_at,
                r.updated_at,
            )
            for r in rows
        }
        for owner, source in _sources(connection, _ind_src.c.indicator_id, chunk):
            records[owner].sources.append(source)
        attributes = connection.execute(
            select(_ind_attr.c.indicator_id, _ind_attr.c.name, _ind_attr.c.value)
            .where(_ind_attr.c.indicator_id.in_(chunk))
            .order_by(_ind_attr.c.indicator_id, _ind_attr.c.name, _ind_attr.c.value)
        )
        for owner, name, value in attributes:
            pairs = records[owner].attributes
            if (name, value) not in pairs:
                pairs.append((name, value))
        yield from records.values()


def event_ids_for(connection: Connection, ids: Sequence[int]) -> list[int]:
    """Ids of the events related to any of these indicators, in id order."""
    found: set[int] = set()
    for chunk in _chunks(ids):
        query = select(_ev_ind.c.event_id).where(_ev_ind.c.indicator_id.in_(chunk)).distinct()
        found.update(connection.execute(query).scalars())
    return sorted(found)


def load_events(connection: Connection, ids: Sequence[int]) -> list[EventRecord]:
    """The events with these ids, with their sources, attributes and indicator ids."""
    records: dict[int, EventRecord] = {}
    for chunk in _chunks(ids):
        for r in connection.execute(select(_ev).where(_ev.c.id.in_(chunk)).order_by(_ev.c.id)):
            records[r.id] = EventRecord(
                r.id,
                r.key,
                r.title,
                r.type,
                r.happened_at,
                r.description,
                r.created_at,
                r.updated_at,
            )
        for owner, source in _sources(connection, _ev_src.c.event_id, chunk):
            records[owner].sources.append(source)
        attributes = connection.execute(
            select(_ev_attr.c.event_id, _ev_attr.c.name, _ev_attr.c.value)
            .where(_ev_attr.c.event_id.in_(chunk))
            .order_by(_ev_attr.c.event_id, _ev_attr.c.name, _ev_attr.c.value)
        )
        for owner, name, value in attributes:
            pairs = records[owner].attributes
            if (name, value) not in pairs:
                pairs.append((name, value))
        links = connection.execute(
            select(_ev_ind.c.event_id, _ev_ind.c.indicator_id)
            .where(_ev_ind.c.event_id.in_(chunk))
            .order_by(_ev_ind.c.event_id, _ev_ind.c.indicator_id)
        )
        for owner, indicator_id in links:
            records[owner].indicator_ids.append(indicator_id)
    return list(records.values())


def load_event(connection: Connection, event_id: int) -> EventRecord:
    """One event by id, or NotFoundError."""
    found = load_events(connection, [event_id])
    if not found:
        raise NotFoundError(f"event {event_id} does not exist")
    return found[0]


def relations_among(connection: Connection, ids: Iterable[int]) -> list[tuple[int, int]]:
    """Indicator-to-indicator relations whose two ends are both among ``ids``."""
    wanted = sorted(set(ids))
    pairs: list[tuple[int, int]] = []
    members = set(wanted)
    for chunk in _chunks(wanted):
        query = select(_ind_rel.c.a_id, _ind_rel.c.b_id).where(_ind_rel.c.a_id.in_(chunk))
        pairs.extend((a, b) for a, b in connection.execute(query) if b in members)
    return sorted(pairs)


def active_values(
    connection: Connection, type_: IndicatorType, chunk: int = 5000
) -> Iterator[tuple[int, str]]:
    """(id, value) of the Active indicators of one type, in id order, read in chunks."""
    last = 0
    while True:
        rows = connection.execute(
            select(_ind.c.id, _ind.c.value)
            .where(
                _ind.c.type == type_.value,
                _ind.c.status == Status.ACTIVE.value,
                _ind.c.id > last,
            )
            .order_by(_ind.c.id)
            .limit(chunk)
        ).all()
        if not rows:
            return
        for row in rows:
            yield row.id, row.value
        last = rows[-1].id


def _sources(
    connection: Connection, owner: Any, ids: list[int]
) -> Iterator[tuple[int, SourceRecord]]:
    """(owner id, source) for the owners in ``ids``; ``owner`` is a link table's owner column."""
    query = (
        select(owner, _src.c.name, _src.c.tlp, _src.c.created_at)
        .join(_src, _src.c.id == owner.table.c.source_id)
        .where(owner.in_(ids))
        .order_by(_src.c.name)
    )
    for owner_id, name, tlp, created_at in connection.execute(query):
        yield owner_id, SourceRecord(name, tlp, created_at)
