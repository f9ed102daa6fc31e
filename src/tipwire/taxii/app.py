"""The TAXII 2.1 application mounted at ``/taxii2``: discovery, one API root, its collections."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tipwire.api.context import AppContext
from tipwire.identity import Principal
from tipwire.store.queries import MAX_PAGE
from tipwire.taxii.auth import authenticate
from tipwire.taxii.collections import all_collections, find_collection
from tipwire.taxii.contents import Page, Wanted, read_page
from tipwire.taxii.media import (
    TAXII_MEDIA_TYPE,
    TaxiiError,
    TaxiiJson,
    accepts_taxii,
    error_body,
    parse_timestamp,
    timestamp,
)
from tipwire.taxii.paging import Position

MOUNT = "/taxii2"
DEFAULT_PAGE = 100


def _context(request: Request) -> AppContext:
    shared: AppContext = request.app.state.context
    return shared


def reader(request: Request) -> Principal:
    """The caller, who must hold a viewer role or better and accept TAXII 2.1 JSON."""
    principal = authenticate(_context(request), request)
    if not accepts_taxii(request.headers.get("accept")):
        raise TaxiiError(
            406, "Not Acceptable", f"this server answers {TAXII_MEDIA_TYPE} (set it in Accept)"
        )
    return principal


router = APIRouter(dependencies=[Depends(reader)])
Limit = Annotated[int, Query(ge=1, description=f"Objects per page (at most {MAX_PAGE}).")]
AddedAfter = Annotated[str | None, Query(max_length=64)]
Next = Annotated[str | None, Query(alias="next", max_length=256)]
MatchId = Annotated[str | None, Query(alias="match[id]", max_length=8192)]
MatchType = Annotated[str | None, Query(alias="match[type]", max_length=1024)]


def _api_root_url(request: Request) -> str:
    return str(request.url_for("api_root"))


@router.get("/", name="discovery")
def discovery(request: Request) -> TaxiiJson:
    """The server's discovery resource: where its API root is."""
    root = _api_root_url(request)
    return TaxiiJson(
        {
            "title": "TipWire TAXII server",
            "description": "Read-only TAXII 2.1 feeds of TipWire's Active indicators.",
            "default": root,
            "api_roots": [root],
        }
    )


@router.get("/api/", name="api_root")
def api_root(request: Request) -> TaxiiJson:
    """The API root: the TAXII version it speaks and the largest body it takes."""
    return TaxiiJson(
        {
            "title": "TipWire",
            "description": "Active indicators, all together and per source.",
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": _context(request).settings.max_body_bytes,
        }
    )


@router.get("/api/collections/")
def collections(request: Request) -> TaxiiJson:
    """Every collection."""
    with _context(request).store.read() as connection:
        found = all_collections(connection)
    return TaxiiJson({"collections": [c.as_dict() for c in found]})


@router.get("/api/collections/{collection_id}/")
def collection(request: Request, collection_id: str) -> TaxiiJson:
    """One collection."""
    with _context(request).store.read() as connection:
        return TaxiiJson(find_collection(connection, collection_id).as_dict())


def _split(text: str | None) -> frozenset[str] | None:
    if text is None:
        return None
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def _wanted(
    limit: int, added_after: str | None, next_: str | None, ids: str | None, types: str | None
) -> Wanted:
    return Wanted(
        limit=min(limit, MAX_PAGE),
        after=Position.from_token(next_) if next_ else None,
        added_after=parse_timestamp("added_after", added_after) if added_after else None,
        ids=_split(ids),
        types=_split(types),
    )


def _page(request: Request, collection_id: str, wanted: Wanted) -> Page:
    with _context(request).store.read() as connection:
        found = find_collection(connection, collection_id)
        return read_page(connection, found, wanted)


def _envelope(page: Page, key: str, items: list[Any]) -> TaxiiJson:
    """A page as TAXII answers it, with the first and last date added in headers."""
    body: dict[str, Any] = {"more": page.more}
    if page.next is not None:
        body["next"] = page.next.token()
    headers = {}
    if page.entries:
        body[key] = items
        headers["X-TAXII-Date-Added-First"] = timestamp(page.entries[0].position.date_added)
        headers["X-TAXII-Date-Added-Last"] = timestamp(page.entries[-1].position.date_added)
    return TaxiiJson(body, headers=headers)


@router.get("/api/collections/{collection_id}/objects/")
def objects(
    request: Request,
    collection_id: str,
    limit: Limit = DEFAULT_PAGE,
    added_after: AddedAfter = None,
    next_: Next = None,
    match_id: MatchId = None,
    match_type: MatchType = None,
) -> TaxiiJson:
    """A page of the collection's objects, oldest added first."""
    page = _page(request, collection_id, _wanted(limit, added_after, next_, match_id, match_type))
    return _envelope(page, "objects", [entry.stix for entry in page.entries])


@router.get("/api/collections/{collection_id}/manifest/")
def manifest(
    request: Request,
    collection_id: str,
    limit: Limit = DEFAULT_PAGE,
    added_after: AddedAfter = None,
    next_: Next = None,
    match_id: MatchId = None,
    match_type: MatchType = None,
) -> TaxiiJson:
    """A page of the collection's manifest: ids, versions and when each was added."""
    page = _page(request, collection_id, _wanted(limit, added_after, next_, match_id, match_type))
    return _envelope(page, "objects", [entry.manifest() for entry in page.entries])


def _one(request: Request, collection_id: str, object_id: str, added_after: str | None) -> Page:
    wanted = _wanted(1, added_after, None, object_id, None)
    page = _page(request, collection_id, wanted)
    if not page.entries:
        raise TaxiiError(404, "Object not found", f"the collection has no {object_id[:100]!r}")
    return Page(page.entries)


@router.get("/api/collections/{collection_id}/objects/{object_id}/")
def one_object(
    request: Request, collection_id: str, object_id: str, added_after: AddedAfter = None
) -> TaxiiJson:
    """One object (TipWire keeps its latest version only)."""
    page = _one(request, collection_id, object_id, added_after)
    return _envelope(page, "objects", [entry.stix for entry in page.entries])


@router.get("/api/collections/{collection_id}/objects/{object_id}/versions/")
def versions(
    request: Request, collection_id: str, object_id: str, added_after: AddedAfter = None
) -> TaxiiJson:
    """The versions of one object: its latest, the only one TipWire keeps."""
    page = _one(request, collection_id, object_id, added_after)
    return _envelope(page, "versions", [entry.version for entry in page.entries])


async def _taxii_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TaxiiError)
    return error_body(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = HTTPStatus(exc.status_code).phrase
    description = f"{request.method} {request.url.path}: {exc.detail}"
    error = TaxiiError(exc.status_code, title, description, dict(exc.headers or {}))
    return error_body(error)


async def _bad_request(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in error.get('loc', ())[1:])}: {error.get('msg', 'is invalid')}"
        for error in exc.errors()
    )
    return error_body(TaxiiError(400, "Bad filter", problems))


def create_taxii_app(shared: AppContext) -> FastAPI:
    """The TAXII application sharing the API's context (store, settings, login throttle)."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.context = shared
    app.add_exception_handler(TaxiiError, _taxii_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _bad_request)
    app.include_router(router)
    return app
