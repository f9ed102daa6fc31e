"""The application as uvicorn's worker processes build it: from the environment's settings."""

from __future__ import annotations

from fastapi import FastAPI

from tipwire.api.app import create_app
from tipwire.config import Settings
from tipwire.exchange.registry import Registry
from tipwire.store import Store


def from_environment() -> FastAPI:
    """Open the configured store and build the app (one per worker process)."""
    settings = Settings()
    return create_app(settings, Store.from_settings(settings), Registry.discover())
