"""Events: the filtered list and one event with its indicators grouped by type."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tipwire.api.deps import Context
from tipwire.api.routes.common import ObjectId
from tipwire.errors import InvalidValueError
from tipwire.model import EventType
from tipwire.store import queries
from tipwire.store.queries import IndicatorView
from tipwire.web.pages import PageRoute, Viewing, render

router = APIRouter(route_class=PageRoute)

PAGE = 50
INDICATORS_PAGE = 200
KEY_ATTRIBUTES = ("Malware Family", "Keylogger", "Leak Location", "Application")
"""Attributes shown beside each indicator of an event: what an analyst looks for first."""

Text = Annotated[str, Query(max_length=256)]
Offset = Annotated[int, Query(ge=0, le=2**62)]


def day(field: str, text: str) -> datetime | None:
    """A ``YYYY-MM-DD`` filter as the UTC midnight starting it; empty means no filter."""
    if not text.strip():
        return None
    try:
        parsed = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValueError(field, text, "is not a date (use YYYY-MM-DD)") from None
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)


@router.get("/events")
def events_page(
    request: Request,
    shared: Context,
    _session: Viewing,
    type: Text = "",
    source: Text = "",
    since: Text = "",
    until: Text = "",
    q: Text = "",
    offset: Offset = 0,
) -> Response:
    """Events, newest first, filtered by type, source, dates and text."""
    params = {"type": type, "source": source, "since": since, "until": until, "q": q}
    problems: list[str] = []
    query = queries.EventQuery(source=source or None, search=q or None, limit=PAGE, offset=offset)
    try:
        query.type = EventType.parse(type) if type else None
    except InvalidValueError as exc:
        problems.append(str(exc))
    for field in ("since", "until"):
        try:
            moment = day(field, params[field])
        except InvalidValueError as exc:
            problems.append(str(exc))
            continue
        if field == "since":
            query.since = moment
        elif moment is not None:
            query.until = moment + timedelta(days=1)  # the "until" day is included
    with shared.store.read() as connection:
        page = queries.list_events(connection, query) if not problems else None
        sources = [s.name for s in queries.list_sources(connection)]
    return render(
        request,
        "events.html",
        status_code=422 if problems else 200,
        page=page,
        params=params,
        problems=problems,
        event_types=[t.value for t in EventType],
        sources=sources,
        offset=offset,
        size=PAGE,
    )


def key_attributes(
    attributes: list[queries.AttributeView],
) -> list[tuple[str, str]]:
    """The distinct key attributes of an indicator, in KEY_ATTRIBUTES order."""
    pairs = {(a.name, a.value) for a in attributes if a.name in KEY_ATTRIBUTES}
    return sorted(pairs, key=lambda pair: (KEY_ATTRIBUTES.index(pair[0]), pair[1]))


@router.get("/events/{event_id}")
def event_page(
    request: Request, shared: Context, _session: Viewing, event_id: ObjectId, offset: Offset = 0
) -> Response:
    """One event: summary, description, attributes, and its indicators grouped by type."""
    with shared.store.read() as connection:
        event = queries.get_event(connection, event_id)
        attributes = queries.event_attributes(connection, event_id)
        related = queries.event_indicators(connection, event_id, INDICATORS_PAGE, offset)
        details = queries.indicator_attributes_many(connection, [v.id for v in related.items])
    groups: dict[str, list[tuple[IndicatorView, list[tuple[str, str]]]]] = {}
    for view in related.items:
        groups.setdefault(view.type, []).append((view, key_attributes(details[view.id])))
    return render(
        request,
        "event.html",
        event=event,
        attributes=attributes,
        groups=groups,
        total=related.total,
        offset=offset,
        size=INDICATORS_PAGE,
    )
