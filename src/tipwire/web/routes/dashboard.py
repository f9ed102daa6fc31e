"""The dashboard: new events, indicators by status, and how each integration last ran."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from tipwire.api.deps import Context
from tipwire.exchange import catalog
from tipwire.model import Status
from tipwire.store import queries
from tipwire.web.pages import PageRoute, Viewing, render

router = APIRouter(route_class=PageRoute)


@router.get("/")
def dashboard(request: Request, shared: Context, _session: Viewing) -> Response:
    """Events new in the last day and week, the latest events, and the integrations' state."""
    now = datetime.now(UTC)
    with shared.store.read() as connection:
        new_events = {
            label: queries.list_events(
                connection, queries.EventQuery(created_since=now - span, limit=1)
            ).total
            for label, span in (("24 hours", timedelta(days=1)), ("7 days", timedelta(days=7)))
        }
        by_status = {
            status.value: queries.list_indicators(
                connection, queries.IndicatorQuery(status=status, limit=1)
            ).total
            for status in Status
        }
        latest = queries.list_events(
            connection, queries.EventQuery(sort="-created_at", limit=10)
        ).items
    integrations = catalog.summaries(shared.store.engine, shared.registry)
    return render(
        request,
        "dashboard.html",
        new_events=new_events,
        by_status=by_status,
        latest=latest,
        integrations=integrations,
    )
