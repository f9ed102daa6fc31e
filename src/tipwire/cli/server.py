"""``serve``: the API (and web UI) with the scheduler in the same process."""

from __future__ import annotations

import logging
import threading
from typing import Annotated

import typer

from tipwire.cli.common import open_store, stderr
from tipwire.config import Settings
from tipwire.exchange import launch
from tipwire.exchange.registry import Registry
from tipwire.exchange.scheduler import Scheduler


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Do not run integrations on schedule here.")
    ] = False,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes (one per core serves most).")
    ] = 1,
) -> None:
    """Serve the API under /api (docs at /api/docs), running the scheduler alongside."""
    import uvicorn

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = Settings()
    store = open_store(settings)  # refuse a database that is missing or behind, before forking
    registry = Registry.discover()
    scheduler = None
    if not no_scheduler:
        scheduler = Scheduler(store.engine, registry, list(launch.COMMAND))
        threading.Thread(target=scheduler.run_forever, name="scheduler", daemon=True).start()
    stderr.print(f"TipWire API on http://{host}:{port}/api (docs at /api/docs)")
    try:
        uvicorn.run(
            "tipwire.api.asgi:from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
        )
    finally:
        if scheduler is not None:
            scheduler.stop()
        store.close()


def register(app: typer.Typer) -> None:
    """Add this command to the main app."""
    app.command("serve")(serve)
