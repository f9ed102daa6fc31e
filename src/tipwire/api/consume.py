"""Turning consume bodies into ingest batches: one per source, all stored or none."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from tipwire.api.schemas import AttributeIn, EventIn, IndicatorIn, SourceIn
from tipwire.errors import InvalidValueError
from tipwire.identity import Principal
from tipwire.model import (
    Attribute,
    Event,
    EventType,
    Indicator,
    IndicatorType,
    IngestBatch,
    Relation,
    Source,
    Status,
    Tlp,
)
from tipwire.store.ingest import ingest
from tipwire.store.queries import event_ids_by_key, indicator_ids_by_value
from tipwire.store.results import IngestResult


def _at(position: str, exc: InvalidValueError) -> InvalidValueError:
    """The same error, its field prefixed with where in the body it is."""
    return InvalidValueError(f"{position}.{exc.field}", exc.value, exc.reason)


def _source(chosen: SourceIn | None, principal: Principal) -> Source:
    if chosen is None:
        return Source(principal.name, Tlp.AMBER)
    return Source(chosen.name, Tlp.parse(chosen.tlp))


def _attributes(items: Sequence[AttributeIn]) -> list[Attribute]:
    return [Attribute(a.name, a.value, a.seen_at) for a in items]


def indicator(body: IndicatorIn) -> tuple[Indicator, list[Indicator], list[Relation]]:
    """The indicator a body describes, the indicators it names as related, and the relations."""
    made = Indicator(
        IndicatorType.parse(body.type),
        body.value,
        status=Status.parse(body.status) if body.status else None,
        score=body.score,
        attributes=_attributes(body.attributes),
        first_seen=body.first_seen,
        last_seen=body.last_seen,
    )
    others = []
    for index, ref in enumerate(body.related_indicators):
        try:
            others.append(Indicator(IndicatorType.parse(ref.type), ref.value))
        except InvalidValueError as exc:
            raise _at(f"related_indicators.{index}", exc) from None
    return made, others, [Relation.between(made, other) for other in others]


def indicator_batches(
    bodies: Sequence[IndicatorIn], principal: Principal
) -> tuple[list[IngestBatch], list[Indicator]]:
    """Batches for a consume of indicators, grouped by source, and the indicators in order."""
    batches: dict[Source, IngestBatch] = {}
    made_all = []
    for index, body in enumerate(bodies):
        try:
            source = _source(body.source, principal)
            made, others, relations = indicator(body)
        except InvalidValueError as exc:
            raise _at(str(index), exc) from None
        batch = batches.setdefault(source, IngestBatch(source))
        batch.indicators.extend([made, *others])
        batch.relations.extend(relations)
        made_all.append(made)
    return list(batches.values()), made_all


def event_batches(
    bodies: Sequence[EventIn], principal: Principal
) -> tuple[list[IngestBatch], list[Event]]:
    """Batches for a consume of events with their indicators, and the events in order."""
    batches: dict[Source, IngestBatch] = {}
    made_all = []
    for index, body in enumerate(bodies):
        try:
            source = _source(body.source, principal)
            event = Event(
                body.title,
                EventType.parse(body.type),
                body.happened_at,
                description=body.description,
                key=body.key or "",
                attributes=_attributes(body.attributes),
            )
        except InvalidValueError as exc:
            raise _at(str(index), exc) from None
        batch = batches.setdefault(source, IngestBatch(source))
        batch.events.append(event)
        for position, nested in enumerate(body.indicators):
            try:
                made, others, relations = indicator(nested)
            except InvalidValueError as exc:
                raise _at(f"{index}.indicators.{position}", exc) from None
            batch.indicators.extend([made, *others])
            batch.relations.extend([*relations, Relation.between(event, made)])
        made_all.append(event)
    return list(batches.values()), made_all


def store_batches(connection: Connection, batches: Sequence[IngestBatch]) -> IngestResult:
    """Ingest every batch in the caller's one transaction."""
    total = IngestResult()
    for batch in batches:
        total += ingest(connection, batch)
    return total


def indicator_summaries(connection: Connection, made: Sequence[Indicator]) -> list[dict[str, Any]]:
    """Id, type and value of each consumed indicator, in the order they were sent."""
    ids = indicator_ids_by_value(connection, [(i.type, i.value) for i in made])
    return [
        {"id": ids.get((i.type.value, i.value)), "type": i.type.value, "value": i.value}
        for i in made
    ]


def event_summaries(connection: Connection, made: Sequence[Event]) -> list[dict[str, Any]]:
    """Id, key and title of each consumed event, in the order they were sent."""
    ids = event_ids_by_key(connection, [e.key for e in made])
    return [{"id": ids.get(e.key), "key": e.key, "title": e.title} for e in made]
