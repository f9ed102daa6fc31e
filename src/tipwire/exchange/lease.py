"""A lease per integration in the database: one runner at a time, across processes and hosts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Engine, delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from tipwire.errors import TipwireError
from tipwire.exchange.holder import Holder
from tipwire.store.dialect import upsert
from tipwire.store.engine import write_transaction
from tipwire.store.schema import IntegrationLeaseRow, table

DEFAULT_LEASE_SECONDS = 60.0

_leases = table(IntegrationLeaseRow)
log = logging.getLogger(__name__)


class LeaseHeldError(TipwireError):
    """Another process holds the integration's lease: it is running now."""


class LeaseLostError(TipwireError):
    """This process's lease expired and another process took it; the run must stop."""


def utcnow() -> datetime:
    """The current time, aware and in UTC."""
    return datetime.now(UTC)


class Lease:
    """The right to run one integration, held until released, or until it expires unrenewed.

    Taking it is one atomic statement on the lease row, so two processes (or hosts) never both
    hold it. A holder that dies stops renewing and the lease expires; a holder on this host
    whose process is gone is recognised at once.
    """

    def __init__(
        self,
        engine: Engine,
        name: str,
        *,
        holder: Holder | None = None,
        seconds: float = DEFAULT_LEASE_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.name = name
        self.holder = holder or Holder.current()
        self.seconds = seconds
        self.clock = clock
        self.lost = threading.Event()

    @property
    def _me(self) -> str:
        return str(self.holder)

    def acquire(self) -> bool:
        """Take the lease if it is free, expired, ours, or held by a dead process here."""
        now = self.clock()
        values = {"holder": self._me, "acquired_at": now, "expires_at": self._expiry(now)}
        with write_transaction(self.engine) as connection:
            # RETURNING, not rowcount: drivers disagree on rowcount after ON CONFLICT.
            inserted = connection.execute(
                upsert(connection, _leases)
                .values(name=self.name, **values)
                .on_conflict_do_nothing()
                .returning(_leases.c.name)
            ).first()
            if inserted is not None:
                return True
            free = or_(_leases.c.expires_at < now, _leases.c.holder == self._me)
            if self._take(connection, free, values):
                return True
            current = connection.execute(
                select(_leases.c.holder).where(_leases.c.name == self.name)
            ).scalar_one_or_none()
            holder = Holder.parse(current) if current else None
            if holder is not None and holder.is_dead_here():
                log.info("%s: taking the lease of %s, whose process is gone", self.name, current)
                return self._take(connection, _leases.c.holder == current, values)
        return False

    def _take(
        self, connection: Connection, condition: ColumnElement[bool], values: dict[str, object]
    ) -> bool:
        statement = update(_leases).where(_leases.c.name == self.name, condition).values(values)
        return bool(connection.execute(statement).rowcount)

    def renew(self, connection: Connection) -> bool:
        """Push the expiry forward in the caller's transaction; False if the lease is not ours."""
        statement = (
            update(_leases)
            .where(_leases.c.name == self.name, _leases.c.holder == self._me)
            .values(expires_at=self._expiry(self.clock()))
        )
        return bool(connection.execute(statement).rowcount)

    def fence(self, connection: Connection) -> None:
        """Renew in the caller's transaction, or raise so that it commits nothing."""
        if self.lost.is_set() or not self.renew(connection):
            self.lost.set()
            raise LeaseLostError(f"{self.name}: another process took over this run's lease")

    def release(self) -> None:
        """Give the lease up, if it is still ours."""
        with write_transaction(self.engine) as connection:
            connection.execute(
                delete(_leases).where(_leases.c.name == self.name, _leases.c.holder == self._me)
            )

    def held_by(self) -> tuple[str, datetime] | None:
        """Who holds the lease and until when, or None if nobody does."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(_leases.c.holder, _leases.c.expires_at).where(_leases.c.name == self.name)
            ).first()
        return (row.holder, row.expires_at) if row else None

    @contextmanager
    def heartbeat(self) -> Iterator[None]:
        """Renew the lease in the background while the block runs, however slow its work."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.seconds / 3):
                try:
                    with write_transaction(self.engine) as connection:
                        if not self.renew(connection):
                            log.warning("%s: lost the lease to another process", self.name)
                            self.lost.set()
                            return
                except SQLAlchemyError as exc:  # try again at the next beat
                    log.warning("%s: could not renew the lease: %s", self.name, exc)

        thread = threading.Thread(target=beat, name=f"lease:{self.name}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def _expiry(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.seconds)
