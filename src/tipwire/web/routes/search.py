"""The global search: indicator values and event titles containing the text."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tipwire.api.deps import Context
from tipwire.store import queries
from tipwire.web.pages import PageRoute, Viewing, render

router = APIRouter(route_class=PageRoute)


@router.get("/search")
def search_page(
    request: Request,
    shared: Context,
    _session: Viewing,
    q: Annotated[str, Query(max_length=256)] = "",
) -> Response:
    """Search results: exact indicator matches first, then values and titles containing it."""
    found = None
    if q.strip():
        with shared.store.read() as connection:
            found = queries.search(connection, q, limit=100)
    return render(request, "search.html", q=q, found=found)
