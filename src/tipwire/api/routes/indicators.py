"""Indicators: list, look up, consume, curate, and pivot to events and other indicators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from tipwire.api import attributes, consume, embedding
from tipwire.api.deps import Analyst, Context, Viewer
from tipwire.api.placement import run_read
from tipwire.api.responses import Json, item, listing
from tipwire.api.routes.common import Limit, ObjectId, Offset, With
from tipwire.api.schemas import MAX_CONSUME, AttributeIn, IndicatorChange, IndicatorIn, RelationIn
from tipwire.model import Attribute, Indicator, IndicatorType, IngestBatch, Source, Status, Tlp
from tipwire.store import audit, curation, queries

router = APIRouter(prefix="/indicators", tags=["indicators"])


@router.get("")
async def list_indicators(
    shared: Context,
    _principal: Viewer,
    type: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    source: Annotated[str | None, Query(max_length=128)] = None,
    value: Annotated[str | None, Query(max_length=8192, description="Exact value.")] = None,
    search: Annotated[str | None, Query(max_length=256, description="Value contains.")] = None,
    seen_since: datetime | None = None,
    sort: Annotated[
        str, Query(max_length=32, description="Field, - for descending; newest first by default.")
    ] = "-id",
    limit: Limit = 100,
    offset: Offset = 0,
    with_: With = None,
) -> Json:
    """Indicators matching the filters, one page, with the total."""
    embeds = embedding.parse_with(with_, embedding.INDICATOR_EMBEDS)
    type_ = IndicatorType.parse(type) if type else None
    query = queries.IndicatorQuery(
        type=type_,
        status=Status.parse(status) if status else None,
        source=source,
        search=search,
        seen_since=seen_since,
        sort=sort,
        limit=limit,
        offset=offset,
        with_sources="sources" in embeds,
    )

    def answer() -> Json:
        with shared.store.read() as connection:
            if value is not None:
                found = queries.find_indicators(connection, value, type_, query.with_sources)
                return listing(embedding.indicators(connection, found, embeds), len(found))
            page = queries.list_indicators(connection, query)
            return listing(embedding.indicators(connection, page.items, embeds), page.total)

    # A look-up by value is a few index probes; a listing counts up to millions of rows.
    return await run_read(answer, short=value is not None)


@router.post("/consume")
def consume_indicators(
    shared: Context,
    principal: Analyst,
    body: Annotated[list[IndicatorIn], Body(max_length=MAX_CONSUME)],
) -> Json:
    """Create or see again many indicators, with attributes and relations; idempotent."""
    return Json(_consume(shared, principal, body))


def _consume(shared: Context, principal: Analyst, body: list[IndicatorIn]) -> dict[str, Any]:
    batches, made = consume.indicator_batches(body, principal)
    with shared.store.write() as connection:
        result = consume.store_batches(connection, batches)
        summaries = consume.indicator_summaries(connection, made)
        audit.record(
            connection,
            principal.actor,
            "indicators.consume",
            "indicator",
            f"{len(made)} indicators",
            after={"result": result.as_dict(), "ids": [s["id"] for s in summaries[:1000]]},
        )
    return {"data": summaries, "total": len(summaries), "result": result.as_dict()}


@router.post("", status_code=201)
def create_indicator(shared: Context, principal: Analyst, body: IndicatorIn) -> Json:
    """Create (or see again) one indicator."""
    answer = _consume(shared, principal, [body])
    return Json({"data": answer["data"][0], "result": answer["result"]}, status_code=201)


@router.get("/{indicator_id}")
def get_indicator(
    shared: Context, _principal: Viewer, indicator_id: ObjectId, with_: With = None
) -> Json:
    """One indicator."""
    embeds = embedding.parse_with(with_, embedding.INDICATOR_EMBEDS)
    with shared.store.read() as connection:
        view = queries.get_indicator(connection, indicator_id)
        return item(embedding.indicators(connection, [view], embeds)[0])


@router.put("/{indicator_id}")
def change_indicator(
    shared: Context, principal: Analyst, indicator_id: ObjectId, body: IndicatorChange
) -> Json:
    """Change an indicator's status and/or manual score; recorded in the audit log."""
    status = Status.parse(body.status) if body.status else None
    with shared.store.write() as connection:
        before = queries.get_indicator(connection, indicator_id)
        if status is not None:
            curation.set_status(connection, indicator_id, status)
        if body.score is not None or body.clear_score:
            curation.set_manual_score(connection, indicator_id, body.score)
        after = queries.get_indicator(connection, indicator_id)
        audit.record(
            connection,
            principal.actor,
            "indicator.change",
            "indicator",
            indicator_id,
            before={"status": before.status, "score": before.score},
            after={"status": after.status, "score": after.score},
        )
        return item(embedding.indicators(connection, [after], frozenset({"score"}))[0])


@router.get("/{indicator_id}/attributes")
def indicator_attributes(shared: Context, _principal: Viewer, indicator_id: ObjectId) -> Json:
    """The indicator's attributes with their sources and first/last seen."""
    with shared.store.read() as connection:
        queries.get_indicator(connection, indicator_id)
        found = queries.indicator_attributes(connection, indicator_id)
    return listing([a.as_dict() for a in found], len(found))


@router.post("/{indicator_id}/attributes", status_code=201)
def add_indicator_attribute(
    shared: Context, principal: Analyst, indicator_id: ObjectId, body: AttributeIn
) -> Json:
    """Add an attribute to an indicator, under the caller's name as its source."""
    with shared.store.write() as connection:
        view = queries.get_indicator(connection, indicator_id)
        seen = Indicator(
            IndicatorType.parse(view.type),
            view.value,
            attributes=[Attribute(body.name, body.value, body.seen_at)],
            first_seen=view.first_seen,
            last_seen=view.last_seen,
        )
        batch = IngestBatch(Source(principal.name, Tlp.AMBER), indicators=[seen])
        consume.store_batches(connection, [batch])
        audit.record(
            connection,
            principal.actor,
            "indicator.attribute.add",
            "indicator",
            indicator_id,
            after={"name": body.name, "value": body.value},
        )
        found = queries.indicator_attributes(connection, indicator_id)
    return listing([a.as_dict() for a in found], len(found), status_code=201)


@router.delete("/{indicator_id}/attributes/{attribute_id}")
def remove_indicator_attribute(
    shared: Context, principal: Analyst, indicator_id: ObjectId, attribute_id: ObjectId
) -> Json:
    """Remove one attribute of an indicator."""
    return attributes.remove(shared, principal, "indicator", indicator_id, attribute_id)


@router.get("/{indicator_id}/sources")
def indicator_sources(shared: Context, _principal: Viewer, indicator_id: ObjectId) -> Json:
    """The sources that reported the indicator."""
    with shared.store.read() as connection:
        view = queries.get_indicator(connection, indicator_id)
        found = queries.list_sources(connection, view.sources)
    return listing([s.as_dict() for s in found], len(found))


@router.get("/{indicator_id}/events")
def indicator_events(shared: Context, _principal: Viewer, indicator_id: ObjectId) -> Json:
    """Pivot: the events the indicator is related to."""
    with shared.store.read() as connection:
        queries.get_indicator(connection, indicator_id)
        found = queries.indicator_events(connection, indicator_id)
    return listing([e.as_dict() for e in found], len(found))


@router.get("/{indicator_id}/indicators")
def related_indicators(
    shared: Context, _principal: Viewer, indicator_id: ObjectId, with_: With = None
) -> Json:
    """Pivot: the indicators related to the indicator."""
    embeds = embedding.parse_with(with_, embedding.INDICATOR_EMBEDS)
    with shared.store.read() as connection:
        queries.get_indicator(connection, indicator_id)
        found = queries.related_indicators(connection, indicator_id)
        return listing(embedding.indicators(connection, found, embeds), len(found))


@router.post("/{indicator_id}/indicators", status_code=201)
def relate_indicator(
    shared: Context, principal: Analyst, indicator_id: ObjectId, body: RelationIn
) -> Json:
    """Relate another indicator to this one."""
    with shared.store.write() as connection:
        created = curation.relate_indicators(connection, indicator_id, body.id)
        if created:
            audit.record(
                connection,
                principal.actor,
                "indicator.relation.add",
                "indicator",
                indicator_id,
                after={"indicator_id": body.id},
            )
    answer = {"indicator_id": indicator_id, "related_id": body.id, "created": created}
    return item(answer, status_code=201 if created else 200)


@router.delete("/{indicator_id}/indicators/{other_id}")
def unrelate_indicator(
    shared: Context, principal: Analyst, indicator_id: ObjectId, other_id: ObjectId
) -> Json:
    """Remove the relation between two indicators."""
    with shared.store.write() as connection:
        removed = curation.unrelate_indicators(connection, indicator_id, other_id)
        if removed:
            audit.record(
                connection,
                principal.actor,
                "indicator.relation.remove",
                "indicator",
                indicator_id,
                before={"indicator_id": other_id},
            )
    return item({"indicator_id": indicator_id, "related_id": other_id, "removed": removed})
