"""Events: list, read, consume, and pivot to their indicators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from tipwire.api import attributes, consume, embedding
from tipwire.api.deps import Analyst, Context, Viewer
from tipwire.api.placement import run_read
from tipwire.api.responses import Json, item, listing
from tipwire.api.routes.common import Limit, ObjectId, Offset, With
from tipwire.api.schemas import MAX_CONSUME, AttributeIn, EventChange, EventIn, RelationIn
from tipwire.model import EventType, Source, Tlp
from tipwire.store import audit, curation, queries
from tipwire.store.sources import source_id

router = APIRouter(prefix="/events", tags=["events"])


@router.get("")
async def list_events(
    shared: Context,
    _principal: Viewer,
    type: Annotated[str | None, Query(max_length=64)] = None,
    source: Annotated[str | None, Query(max_length=128)] = None,
    search: Annotated[str | None, Query(max_length=256)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    sort: Annotated[str, Query(max_length=32)] = "-happened_at",
    limit: Limit = 100,
    offset: Offset = 0,
    with_: With = None,
) -> Json:
    """Events matching the filters, one page, with the total."""
    embeds = embedding.parse_with(with_, embedding.EVENT_EMBEDS)
    query = queries.EventQuery(
        type=EventType.parse(type) if type else None,
        source=source,
        search=search,
        since=since,
        until=until,
        sort=sort,
        limit=limit,
        offset=offset,
        with_sources="sources" in embeds,
    )

    def answer() -> Json:
        with shared.store.read() as connection:
            page = queries.list_events(connection, query)
            return listing(embedding.events(connection, page.items, embeds), page.total)

    # Events number in the thousands, not millions: only a substring search is long.
    return await run_read(answer, short=search is None)


def _consume(shared: Context, principal: Analyst, body: list[EventIn]) -> dict[str, Any]:
    batches, made = consume.event_batches(body, principal)
    with shared.store.write() as connection:
        result = consume.store_batches(connection, batches)
        summaries = consume.event_summaries(connection, made)
        audit.record(
            connection,
            principal.actor,
            "events.consume",
            "event",
            f"{len(made)} events",
            after={"result": result.as_dict(), "ids": [s["id"] for s in summaries[:1000]]},
        )
    return {"data": summaries, "total": len(summaries), "result": result.as_dict()}


@router.post("/consume")
def consume_events(
    shared: Context,
    principal: Analyst,
    body: Annotated[list[EventIn], Body(max_length=MAX_CONSUME)],
) -> Json:
    """Create or update (by key) many events with their indicators; idempotent."""
    return Json(_consume(shared, principal, body))


@router.post("", status_code=201)
def create_event(shared: Context, principal: Analyst, body: EventIn) -> Json:
    """Create (or update by key) one event with its indicators."""
    answer = _consume(shared, principal, [body])
    return Json({"data": answer["data"][0], "result": answer["result"]}, status_code=201)


@router.get("/{event_id}")
def get_event(shared: Context, _principal: Viewer, event_id: ObjectId, with_: With = None) -> Json:
    """One event."""
    embeds = embedding.parse_with(with_, embedding.EVENT_EMBEDS)
    with shared.store.read() as connection:
        view = queries.get_event(connection, event_id)
        return item(embedding.events(connection, [view], embeds)[0])


@router.put("/{event_id}")
def change_event(
    shared: Context, principal: Analyst, event_id: ObjectId, body: EventChange
) -> Json:
    """Edit an event's title, description or type; recorded in the audit log."""
    type_ = EventType.parse(body.type).value if body.type else None
    with shared.store.write() as connection:
        before = queries.get_event(connection, event_id).as_dict()
        curation.edit_event(
            connection, event_id, title=body.title, description=body.description, type_=type_
        )
        after = queries.get_event(connection, event_id).as_dict()
        fields = ("title", "description", "type")
        audit.record(
            connection,
            principal.actor,
            "event.change",
            "event",
            event_id,
            before={k: before[k] for k in fields},
            after={k: after[k] for k in fields},
        )
    return item(after)


@router.delete("/{event_id}")
def delete_event(shared: Context, principal: Analyst, event_id: ObjectId) -> Json:
    """Delete an event (its indicators stay); recorded in the audit log."""
    with shared.store.write() as connection:
        before = queries.get_event(connection, event_id).as_dict()
        curation.delete_event(connection, event_id)
        audit.record(connection, principal.actor, "event.delete", "event", event_id, before=before)
    return item({"id": event_id, "deleted": True})


@router.get("/{event_id}/indicators")
def event_indicators(
    shared: Context,
    _principal: Viewer,
    event_id: ObjectId,
    limit: Limit = 1000,
    offset: Offset = 0,
    with_: With = None,
) -> Json:
    """Pivot: the indicators related to the event, by type and value."""
    embeds = embedding.parse_with(with_, embedding.INDICATOR_EMBEDS)
    with shared.store.read() as connection:
        queries.get_event(connection, event_id)
        page = queries.event_indicators(connection, event_id, limit, offset)
        return listing(embedding.indicators(connection, page.items, embeds), page.total)


@router.post("/{event_id}/indicators", status_code=201)
def link_indicator(
    shared: Context, principal: Analyst, event_id: ObjectId, body: RelationIn
) -> Json:
    """Relate an existing indicator to the event."""
    with shared.store.write() as connection:
        created = curation.link_event_indicator(connection, event_id, body.id)
        if created:
            audit.record(
                connection,
                principal.actor,
                "event.indicator.add",
                "event",
                event_id,
                after={"indicator_id": body.id},
            )
    answer = {"event_id": event_id, "indicator_id": body.id, "created": created}
    return item(answer, status_code=201 if created else 200)


@router.delete("/{event_id}/indicators/{indicator_id}")
def unlink_indicator(
    shared: Context, principal: Analyst, event_id: ObjectId, indicator_id: ObjectId
) -> Json:
    """Remove an indicator from the event."""
    with shared.store.write() as connection:
        removed = curation.unlink_event_indicator(connection, event_id, indicator_id)
        if removed:
            audit.record(
                connection,
                principal.actor,
                "event.indicator.remove",
                "event",
                event_id,
                before={"indicator_id": indicator_id},
            )
    return item({"event_id": event_id, "indicator_id": indicator_id, "removed": removed})


@router.get("/{event_id}/attributes")
def event_attributes(shared: Context, _principal: Viewer, event_id: ObjectId) -> Json:
    """The event's attributes with their sources and first/last seen."""
    with shared.store.read() as connection:
        queries.get_event(connection, event_id)
        found = queries.event_attributes(connection, event_id)
    return listing([a.as_dict() for a in found], len(found))


@router.post("/{event_id}/attributes", status_code=201)
def add_event_attribute(
    shared: Context, principal: Analyst, event_id: ObjectId, body: AttributeIn
) -> Json:
    """Add an attribute to an event, under the caller's name as its source."""
    with shared.store.write() as connection:
        source = source_id(connection, Source(principal.name, Tlp.AMBER))
        curation.add_event_attribute(connection, event_id, source, body.name, body.value)
        audit.record(
            connection,
            principal.actor,
            "event.attribute.add",
            "event",
            event_id,
            after={"name": body.name, "value": body.value},
        )
        found = queries.event_attributes(connection, event_id)
    return listing([a.as_dict() for a in found], len(found), status_code=201)


@router.delete("/{event_id}/attributes/{attribute_id}")
def remove_event_attribute(
    shared: Context, principal: Analyst, event_id: ObjectId, attribute_id: ObjectId
) -> Json:
    """Remove one attribute of an event."""
    return attributes.remove(shared, principal, "event", event_id, attribute_id)


@router.get("/{event_id}/sources")
def event_sources(shared: Context, _principal: Viewer, event_id: ObjectId) -> Json:
    """The sources that reported the event."""
    with shared.store.read() as connection:
        view = queries.get_event(connection, event_id)
        found = queries.list_sources(connection, view.sources)
    return listing([s.as_dict() for s in found], len(found))
