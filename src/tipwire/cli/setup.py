"""Commands that set TipWire up and keep its database fit: ``init``, ``db upgrade|maintain``."""

from __future__ import annotations

import typer

from tipwire.cli.common import stdout
from tipwire.config import Settings
from tipwire.store import Store

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


def init() -> None:
    """Create the data directory and the database schema (safe to run again)."""
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)
    store = Store.from_settings(settings)
    store.upgrade()
    store.close()
    where = "TIPWIRE_DATABASE_URL" if settings.database_url else settings.data_dir / "tipwire.db"
    stdout.print(f"TipWire is ready: database at {where}")


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply pending schema migrations."""
    store = Store.from_settings(Settings())
    store.upgrade()
    store.close()
    stdout.print("database schema is up to date")


@db_app.command("maintain")
def maintain() -> None:
    """Refresh planner statistics (and vacuum on PostgreSQL); run it after bulk loads."""
    from tipwire.store.maintenance import maintain as maintain_tables

    store = Store.from_settings(Settings())
    tables = maintain_tables(store.engine)
    store.close()
    stdout.print(f"maintained {len(tables)} tables")


def register(app: typer.Typer) -> None:
    """Add these commands to the main app."""
    app.command("init")(init)
    app.add_typer(db_app, name="db")
