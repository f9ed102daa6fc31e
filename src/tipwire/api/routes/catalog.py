"""Vocabularies and sources: indicator types and statuses, event types, the sources known."""

from __future__ import annotations

from fastapi import APIRouter

from tipwire.api.deps import Context, Viewer
from tipwire.api.responses import Json, listing
from tipwire.model import EventType, IndicatorType, Status
from tipwire.model.status import DEFAULT_STATUS, PROTECTED_STATUSES
from tipwire.store import queries

router = APIRouter(tags=["catalog"])


@router.get("/indicator/types")
def indicator_types(_principal: Viewer) -> Json:
    """Every indicator type."""
    found = [{"id": n, "name": t.value} for n, t in enumerate(IndicatorType, start=1)]
    return listing(found, len(found))


@router.get("/indicator/statuses")
def indicator_statuses(_principal: Viewer) -> Json:
    """Every indicator status; which is the default and which no feed may overwrite."""
    found = [
        {
            "id": n,
            "name": s.value,
            "default": s is DEFAULT_STATUS,
            "protected": s in PROTECTED_STATUSES,
        }
        for n, s in enumerate(Status, start=1)
    ]
    return listing(found, len(found))


@router.get("/event/types")
def event_types(_principal: Viewer) -> Json:
    """Every event type."""
    found = [{"id": n, "name": t.value} for n, t in enumerate(EventType, start=1)]
    return listing(found, len(found))


@router.get("/sources")
def sources(shared: Context, _principal: Viewer) -> Json:
    """Every source with its TLP and how many indicators and events it gave."""
    with shared.store.read() as connection:
        found = queries.list_sources(connection)
    return listing([s.as_dict() for s in found], len(found))
