"""The web UI: server-rendered pages on the same app as the API, under ``/``."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from tipwire.web.routes import (
    auth,
    dashboard,
    events,
    indicators,
    integrations,
    search,
    whitelist,
)
from tipwire.web.templating import STATIC


def install(app: FastAPI) -> None:
    """Add the pages and their stylesheet to ``app``."""
    for module in (auth, dashboard, events, indicators, integrations, whitelist, search):
        app.include_router(module.router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


__all__ = ["install"]
