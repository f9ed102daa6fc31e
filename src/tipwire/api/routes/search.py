"""Global search over indicator values and event titles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tipwire.api.deps import Context, Viewer
from tipwire.api.responses import Json
from tipwire.store import queries

router = APIRouter(tags=["search"])


@router.get("/search")
def search(
    shared: Context,
    _principal: Viewer,
    query: Annotated[str, Query(min_length=1, max_length=256)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Json:
    """Indicators whose value and events whose title contain ``query``; exact values first."""
    with shared.store.read() as connection:
        found = queries.search(connection, query, limit)
    indicators = [v.as_dict() for v in found.indicators]
    events = [v.as_dict() for v in found.events]
    return Json(
        {
            "data": {"indicators": indicators, "events": events},
            "total": len(indicators) + len(events),
        }
    )
