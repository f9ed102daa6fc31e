"""Exports for other tools: STIX bundles, blocklists, CSV and JSON, MISP events."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import Connection

from tipwire.api.deps import Context, Viewer
from tipwire.api.routes.common import ObjectId
from tipwire.model import IndicatorType, Status
from tipwire.sharing import tabular
from tipwire.sharing.blocklist import blocklist_lines, blocklist_type
from tipwire.store import Store
from tipwire.store.queries import IndicatorQuery

router = APIRouter(prefix="/export", tags=["export"])

STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
# Lines are sent in pieces of about this many bytes: one piece per line would cost a thread
# hop each, and one piece for everything would hold a whole export in memory.
PIECE_BYTES = 64 * 1024


def _pieces(chunks: Iterable[str | bytes]) -> Iterator[bytes]:
    """The chunks joined into pieces of about PIECE_BYTES."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk.encode() if isinstance(chunk, str) else chunk
        if len(buffer) >= PIECE_BYTES:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


def _streamed(
    store: Store, produce: Callable[[Connection], Iterable[str | bytes]]
) -> Iterator[bytes]:
    """What ``produce`` writes, read on a connection that stays open until the last piece."""
    with store.read() as connection:
        yield from _pieces(produce(connection))


def _download(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/stix", response_class=Response, responses={200: {"content": {STIX_MEDIA_TYPE: {}}}})
def export_stix(
    shared: Context,
    _principal: Viewer,
    request: Request,
    status: Annotated[str | None, Query(max_length=32)] = None,
    since: Annotated[datetime | None, Query(description="Only indicators seen since.")] = None,
    event_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """A STIX 2.1 bundle: indicators, observables, events as Reports (no Whitelisted unless
    asked for by status)."""
    # Imported here: the STIX library takes a while to load and most servers rarely need it.
    from tipwire.sharing.stix import StixSelection, build_bundle

    selection = StixSelection(
        status=Status.parse(status) if status else None, since=since, event_id=event_id
    )
    with shared.store.read() as connection:
        bundle = build_bundle(connection, selection)
    accept = request.headers.get("accept", "")
    plain = "application/json" in accept and "application/stix+json" not in accept
    return Response(
        bundle.serialize(),
        media_type="application/json" if plain else STIX_MEDIA_TYPE,
        headers={"X-Tipwire-Skipped": str(len(bundle.skipped))},
    )


@router.get(
    "/blocklist", response_class=StreamingResponse, responses={200: {"content": {"text/plain": {}}}}
)
def export_blocklist(
    shared: Context,
    _principal: Viewer,
    type: Annotated[str, Query(max_length=64, description='e.g. "IP Address", FQDN, URL.')],
) -> StreamingResponse:
    """The Active values of one type, one per line; never a Whitelisted one."""
    type_ = blocklist_type(type)
    return StreamingResponse(
        _streamed(shared.store, lambda connection: blocklist_lines(connection, type_)),
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


def _query(
    type: str | None,
    status: str | None,
    source: str | None,
    search: str | None,
    seen_since: datetime | None,
) -> IndicatorQuery:
    return IndicatorQuery(
        type=IndicatorType.parse(type) if type else None,
        status=Status.parse(status) if status else None,
        source=source,
        search=search,
        seen_since=seen_since,
        sort="id",
    )


TypeFilter = Annotated[str | None, Query(max_length=64)]
StatusFilter = Annotated[str | None, Query(max_length=32)]
SourceFilter = Annotated[str | None, Query(max_length=128)]
SearchFilter = Annotated[str | None, Query(max_length=256, description="Value contains.")]


@router.get(
    "/csv", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}}
)
def export_csv(
    shared: Context,
    _principal: Viewer,
    type: TypeFilter = None,
    status: StatusFilter = None,
    source: SourceFilter = None,
    search: SearchFilter = None,
    seen_since: datetime | None = None,
) -> StreamingResponse:
    """Every indicator the filters of GET /api/indicators match, as CSV."""
    query = _query(type, status, source, search, seen_since)
    return StreamingResponse(
        _streamed(shared.store, lambda connection: tabular.csv_lines(connection, query)),
        media_type="text/csv; charset=utf-8",
        headers=_download("indicators.csv"),
    )


@router.get(
    "/json",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/json": {}}}},
)
def export_json(
    shared: Context,
    _principal: Viewer,
    type: TypeFilter = None,
    status: StatusFilter = None,
    source: SourceFilter = None,
    search: SearchFilter = None,
    seen_since: datetime | None = None,
) -> StreamingResponse:
    """Every indicator the filters of GET /api/indicators match, as one JSON array."""
    query = _query(type, status, source, search, seen_since)
    return StreamingResponse(
        _streamed(shared.store, lambda connection: tabular.json_chunks(connection, query)),
        media_type="application/json",
        headers=_download("indicators.json"),
    )


@router.get(
    "/misp/{event_id}",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}, 404: {}},
)
def export_misp(shared: Context, _principal: Viewer, event_id: ObjectId) -> Response:
    """An event as MISP event JSON, its indicators as typed attributes."""
    from tipwire.sharing import misp

    with shared.store.read() as connection:
        text = misp.event_json(connection, event_id)
    return Response(text, media_type="application/json")
