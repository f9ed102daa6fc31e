"""The store: the single source of truth, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from tipwire.config import Settings
from tipwire.model import IngestBatch
from tipwire.store import migrate
from tipwire.store.engine import make_engine, read_engine, write_transaction
from tipwire.store.ingest import ingest
from tipwire.store.results import Counts, IngestResult


class Store:
    """A handle on TipWire's database: migrations, ingest and read connections."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = read_engine(engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """Open the store the settings point at (SQLite in the data dir by default)."""
        return cls(make_engine(settings.effective_database_url))

    def upgrade(self) -> None:
        """Apply every pending schema migration."""
        migrate.upgrade(self.engine)

    def ingest(self, batch: IngestBatch) -> IngestResult:
        """Ingest one batch in its own transaction: all of it, or nothing on error."""
        with write_transaction(self.engine) as connection:
            return ingest(connection, batch)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads (no write may be made through it)."""
        with self._reader.connect() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection inside one write transaction."""
        with write_transaction(self.engine) as connection:
            yield connection

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()


__all__ = ["Counts", "IngestResult", "Store", "make_engine"]
