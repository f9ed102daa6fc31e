"""Indicators: the filtered list, one indicator with its pivots, and changing its status."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tipwire.api.deps import Context
from tipwire.api.routes.common import ObjectId
from tipwire.errors import InvalidValueError
from tipwire.model import IndicatorType, Status
from tipwire.store import audit, curation, queries
from tipwire.web.pages import AnalystAction, Fields, PageRoute, Viewing, redirect, render
from tipwire.web.routes.events import Offset, Text

router = APIRouter(route_class=PageRoute)

PAGE = 50


@router.get("/indicators")
def indicators_page(
    request: Request,
    shared: Context,
    _session: Viewing,
    type: Text = "",
    status: Text = "",
    source: Text = "",
    q: Text = "",
    offset: Offset = 0,
) -> Response:
    """Indicators, last seen first, filtered by type, status, source and value."""
    params = {"type": type, "status": status, "source": source, "q": q}
    problems: list[str] = []
    query = queries.IndicatorQuery(
        source=source or None, search=q or None, limit=PAGE, offset=offset
    )
    try:
        query.type = IndicatorType.parse(type) if type else None
    except InvalidValueError as exc:
        problems.append(str(exc))
    try:
        query.status = Status.parse(status) if status else None
    except InvalidValueError as exc:
        problems.append(str(exc))
    with shared.store.read() as connection:
        page = queries.list_indicators(connection, query) if not problems else None
        sources = [s.name for s in queries.list_sources(connection)]
    return render(
        request,
        "indicators.html",
        status_code=422 if problems else 200,
        page=page,
        params=params,
        problems=problems,
        types=[t.value for t in IndicatorType],
        statuses=[s.value for s in Status],
        sources=sources,
        offset=offset,
        size=PAGE,
    )


def _detail(
    request: Request, shared: Context, indicator_id: int, *, status_code: int = 200, error: str = ""
) -> Response:
    with shared.store.read() as connection:
        indicator = queries.get_indicator(connection, indicator_id)
        attributes = queries.indicator_attributes(connection, indicator_id)
        sources = queries.list_sources(connection, indicator.sources)
        events = queries.indicator_events(connection, indicator_id)
        related = queries.related_indicators(connection, indicator_id)
    return render(
        request,
        "indicator.html",
        status_code=status_code,
        indicator=indicator,
        attributes=attributes,
        sources=sources,
        events=events,
        related=related,
        statuses=[s.value for s in Status],
        error=error,
    )


@router.get("/indicators/{indicator_id}")
def indicator_page(
    request: Request, shared: Context, _session: Viewing, indicator_id: ObjectId
) -> Response:
    """One indicator: status, score, sources, attributes, and its events and indicators."""
    return _detail(request, shared, indicator_id)


def _score(text: str) -> int | None:
    """A manual score from the form: empty keeps the current one."""
    if not text.strip():
        return None
    try:
        score = int(text)
    except ValueError:
        score = -1
    if not 0 <= score <= 10:
        raise InvalidValueError("score", text, "must be a whole number from 0 to 10")
    return score


@router.post("/indicators/{indicator_id}/status")
def change_indicator(
    request: Request,
    shared: Context,
    session: AnalystAction,
    fields: Fields,
    indicator_id: ObjectId,
) -> Response:
    """Set the indicator's status (and manual score); recorded in the audit log."""
    try:
        status = Status.parse(fields.get("status", ""))
        score = _score(fields.get("score", ""))
    except InvalidValueError as exc:
        return _detail(request, shared, indicator_id, status_code=422, error=str(exc))
    with shared.store.write() as connection:
        before = queries.get_indicator(connection, indicator_id)
        curation.set_status(connection, indicator_id, status)
        if score is not None:
            curation.set_manual_score(connection, indicator_id, score)
        after = queries.get_indicator(connection, indicator_id)
        audit.record(
            connection,
            session.principal.actor,
            "indicator.change",
            "indicator",
            indicator_id,
            before={"status": before.status, "score": before.score},
            after={"status": after.status, "score": after.score},
        )
    return redirect(f"/indicators/{indicator_id}", "status")
