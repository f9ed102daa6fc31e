"""A TipWire site on each kind of database, and the `tipwire` command pointed at it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tipwire.config import Settings
from tipwire.exchange.configs import ConfigStore
from tipwire.exchange.registry import Registry
from tipwire.store import queries
from tipwire.store.schema import Base

DATA = Path(__file__).parent / "data"
TIPWIRE = [str(Path(sys.executable).with_name("tipwire"))]
BLOCKS = "198.51.100.0/24, 2001:db8:10::/48"
DOMAINS = "example.com"


class Site:
    """A migrated database, its settings, and `tipwire` run as a user runs it."""

    def __init__(self, engine: Engine, database_url: str, data_dir: Path) -> None:
        self.engine = engine
        self.settings = Settings(data_dir=data_dir, secret_key=None, database_url=database_url)
        self.configs = ConfigStore(engine, Registry.discover(), self.settings)
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("TIPWIRE_DATABASE_URL", "TIPWIRE_SECRET_KEY")
        } | {"TIPWIRE_DATA_DIR": str(data_dir), "TIPWIRE_DATABASE_URL": database_url}

    def tipwire(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `tipwire ARGS` to completion."""
        return subprocess.run(
            [*TIPWIRE, *args],
            check=False,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def indicators(self, type_name: str | None = None) -> dict[str, queries.IndicatorView]:
        """Stored indicators by value (of one type, if given)."""
        with self.engine.connect() as connection:
            page = queries.list_indicators(connection, queries.IndicatorQuery(limit=1000))
        return {v.value: v for v in page.items if type_name is None or v.type == type_name}

    def attributes(self, indicator: queries.IndicatorView) -> set[tuple[str, str]]:
        """An indicator's (name, value) attributes."""
        with self.engine.connect() as connection:
            found = queries.indicator_attributes(connection, indicator.id)
        return {(a.name, a.value) for a in found}

    def events(self) -> list[queries.EventView]:
        """Stored events, oldest first."""
        with self.engine.connect() as connection:
            page = queries.list_events(connection, queries.EventQuery(limit=1000))
        return sorted(page.items, key=lambda e: e.id)

    def event_indicators(self, event: queries.EventView) -> set[tuple[str, str]]:
        """(type, value) of an event's indicators."""
        with self.engine.connect() as connection:
            found = queries.event_indicators(connection, event.id)
        return {(i.type, i.value) for i in found.items}

    def every_text(self) -> str:
        """Every row of every table, as text: to prove what is not stored."""
        with self.engine.connect() as connection:
            return "".join(
                repr(connection.execute(select(t)).all()) for t in Base.metadata.sorted_tables
            )


@pytest.fixture
def site(engine: Engine, database_url: str, tmp_path: Path) -> Site:
    """A site on a migrated SQLite file, then on a PostgreSQL schema."""
    return Site(engine, database_url, tmp_path / "data")
