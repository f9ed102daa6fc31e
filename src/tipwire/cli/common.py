"""Helpers shared by the CLI commands: settings, the store, output."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Console
from rich.markup import escape

from tipwire.errors import ConfigurationError

if TYPE_CHECKING:
    from tipwire.config import Settings
    from tipwire.store import Store

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def console_error(message: str) -> None:
    """Print an error line on standard error."""
    stderr.print(f"[bold red]error:[/] {escape(message)}", markup=True)


def open_store(settings: Settings | None = None) -> Store:
    """Open the configured store; refuse one that was never initialised or is behind."""
    # Imported here so that commands that never open the store (``--help``) start quickly.
    from tipwire.config import Settings
    from tipwire.store import Store, migrate

    settings = settings or Settings()
    store = Store.from_settings(settings)
    current = migrate.current_revision(store.engine)
    if current is None:
        store.close()
        raise ConfigurationError(
            f"no TipWire database at {_where(settings)}: run `tipwire init` first"
        )
    if current != migrate.head_revision():
        store.close()
        raise ConfigurationError(
            f"the database at {_where(settings)} is at schema {current}: run `tipwire db upgrade`"
        )
    return store


def _where(settings: Settings) -> str:
    if settings.database_url:
        return "TIPWIRE_DATABASE_URL"
    return str(settings.data_dir / "tipwire.db")


def print_json(value: Any) -> None:
    """Write ``value`` as JSON on standard output."""
    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()
