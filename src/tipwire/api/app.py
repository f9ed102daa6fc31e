"""The FastAPI application: the API under ``/api``, its docs, errors and limits."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from tipwire import __version__, web
from tipwire.api import errors
from tipwire.api.context import AppContext
from tipwire.api.limits import BodyLimit, NoNulInQuery
from tipwire.api.routes import (
    accounts,
    audit,
    auth,
    catalog,
    events,
    exports,
    health,
    indicators,
    integrations,
    search,
    whitelist,
)
from tipwire.config import Settings
from tipwire.exchange.registry import Registry
from tipwire.store import Store
from tipwire.taxii.app import MOUNT, create_taxii_app

DESCRIPTION = (
    "TipWire's Open Exchange API. Get a bearer token from `POST /api/token` (password, "
    "client_credentials or refresh_token grant) and send it as `Authorization: Bearer ...`. "
    'Lists answer `{"data": [...], "total": n}`; errors answer `{"errors": [...]}`.'
)


def create_app(settings: Settings, store: Store, registry: Registry | None = None) -> FastAPI:
    """The application serving ``store`` with the installed integrations."""
    app = FastAPI(
        title="TipWire",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.context = AppContext(settings, store, registry or Registry.discover())
    errors.install(app)
    api = APIRouter(prefix="/api")
    for module in (
        health,
        auth,
        indicators,
        events,
        catalog,
        whitelist,
        search,
        integrations,
        audit,
        accounts,
        exports,
    ):
        api.include_router(module.router)
    app.include_router(api)
    app.mount(MOUNT, create_taxii_app(app.state.context))
    app.add_middleware(NoNulInQuery)
    web.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
