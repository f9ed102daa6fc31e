"""Liveness and readiness: the one route that needs no token."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tipwire import __version__
from tipwire.api.deps import Context
from tipwire.api.responses import Json

router = APIRouter(tags=["health"])


@router.get("/health")
def health(shared: Context) -> Json:
    """200 when the server and its database answer; 503 when the database does not."""
    try:
        with shared.store.read() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return Json({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return Json({"status": "ok", "database": "ok", "version": __version__})
