"""One run of an integration: lease, run record, and each batch committed with its cursor."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from tipwire.config import Settings
from tipwire.exchange import configs, runs
from tipwire.exchange.base import RunContext, Tally
from tipwire.exchange.configs import ConfigStore, Ready
from tipwire.exchange.http import http_factory
from tipwire.exchange.lease import DEFAULT_LEASE_SECONDS, Lease, LeaseHeldError, utcnow
from tipwire.exchange.registry import Registry
from tipwire.exchange.runlog import RunLog
from tipwire.exchange.runs import RunStart, RunStatus, RunTotals
from tipwire.exchange.secrets import Redactor
from tipwire.model import IngestBatch
from tipwire.notify.dispatch import Notifier
from tipwire.store.engine import write_transaction
from tipwire.store.ingest import ingest
from tipwire.store.results import IngestResult

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How a run ended; ``run_id`` is None when it was skipped (it had run for that slot)."""

    name: str
    run_id: int | None
    status: RunStatus | None
    totals: RunTotals
    event_keys: frozenset[str] = frozenset()
    """Keys of the events the run's batches carried (new ones among them are notified)."""

    @property
    def error(self) -> str | None:
        """The error that stopped the run, if one did."""
        failures = [e["message"] for e in self.totals.errors if e["kind"] == "failure"]
        return failures[-1] if failures else None


class Runner:
    """Runs integrations: one at a time per integration, each batch committed with its cursor."""

    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        settings: Settings,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.configs = ConfigStore(engine, registry, settings)
        self.lease_seconds = lease_seconds
        self.transport = transport
        self.clock = clock

    def run(self, name: str, *, not_before: datetime | None = None) -> RunOutcome:
        """Run ``name`` once; with ``not_before``, skip if a run finished since that time.

        Raises ConfigurationError if it may not run and LeaseHeldError if it is running
        elsewhere; any failure of the run itself is recorded and returned, not raised.
        """
        ready = self.configs.ready(name)
        lease = Lease(self.engine, name, seconds=self.lease_seconds, clock=self.clock)
        if not lease.acquire():
            held = lease.held_by()
            who = f" by {held[0]} until {held[1]:%Y-%m-%d %H:%M:%S} UTC" if held else ""
            raise LeaseHeldError(f"{name} is already running: its lease is held{who}")
        try:
            with lease.heartbeat():
                start = self._begin(name, lease, not_before)
                if start is None:
                    log.info("%s: skipped, it already ran since %s", name, not_before)
                    return RunOutcome(name, None, None, RunTotals())
                outcome = self._drive(ready, start, lease)
        finally:
            lease.release()
        # After the lease is released, so a slow receiver never holds up the next run.
        Notifier(self.engine, self.configs.settings).after_run(
            name, outcome.run_id, outcome.status, outcome.event_keys
        )
        return outcome

    def _begin(self, name: str, lease: Lease, not_before: datetime | None) -> RunStart | None:
        with write_transaction(self.engine) as connection:
            lease.fence(connection)
            stored = configs.load(connection, name)
            cursor = stored.cursor if stored else None
            start = runs.begin(
                connection, name, str(lease.holder), cursor, self.clock(), not_before
            )
        if start and start.interrupted:
            log.warning("%s: closed interrupted run(s) %s", name, list(start.interrupted))
        return start

    def _drive(self, ready: Ready, start: RunStart, lease: Lease) -> RunOutcome:
        name = ready.integration.name
        redact = Redactor(
            value.get_secret_value()
            for value in vars(ready.config).values()
            if isinstance(value, SecretStr)
        )
        run_log = RunLog(logging.getLogger(__name__), start.run_id, redact)
        context = RunContext(
            name,
            cursor=start.cursor,
            origin_cursor=start.origin_cursor,
            http=http_factory(ready.integration, self.transport),
            log=RunLog(logging.getLogger(f"tipwire.integrations.{name}"), start.run_id, redact),
            run_id=start.run_id,
            redact=redact,
        )
        run_log.info("%s started from cursor %r", name, start.cursor)
        totals = RunTotals(cursor=start.cursor)
        batches: Iterator[IngestBatch] | None = None
        event_keys: set[str] = set()
        try:
            batches = iter(ready.integration().run(ready.config, context))
            for batch in batches:
                totals = self._commit(
                    name, start.run_id, lease, batch, context.take_tally(), totals
                )
                event_keys.update(event.key for event in batch.events)
                run_log.info("batch %d committed, cursor %r", totals.batches, totals.cursor)
        except BaseException as exc:
            totals = totals.failed(redact(_describe(exc)))
            # Recorded and returned: the caller reports it (`tipwire run` on stderr).
            run_log.info("%s failed: %s", name, totals.errors[-1]["message"])
            run_log.debug("where it failed", exc_info=exc)
            self._finish(start.run_id, RunStatus.FAILED, totals)
            if not isinstance(exc, Exception):
                raise
            return RunOutcome(name, start.run_id, RunStatus.FAILED, totals, frozenset(event_keys))
        finally:
            _close(batches)
        totals = totals.plus(context.take_tally(), None, None)
        status = RunStatus.PARTIAL if totals.malformed else RunStatus.SUCCESS
        self._finish(start.run_id, status, totals)
        run_log.info("%s finished: %s", name, status.value)
        return RunOutcome(name, start.run_id, status, totals, frozenset(event_keys))

    def _commit(
        self,
        name: str,
        run_id: int,
        lease: Lease,
        batch: object,
        tally: Tally,
        totals: RunTotals,
    ) -> RunTotals:
        """Store one batch, its cursor and the run's counters in one transaction."""
        if not isinstance(batch, IngestBatch):
            raise TypeError(f"run() yielded {type(batch).__name__}, not an IngestBatch")
        with write_transaction(self.engine) as connection:
            lease.fence(connection)
            result = ingest(connection, batch) if len(batch) else IngestResult()
            totals = totals.plus(tally, result, batch.cursor)
            if batch.cursor is not None:
                configs.set_cursor(connection, name, batch.cursor)
            runs.save_progress(connection, run_id, totals)
        return totals

    def _finish(self, run_id: int, status: RunStatus, totals: RunTotals) -> None:
        try:
            with write_transaction(self.engine) as connection:
                runs.finish(connection, run_id, status, totals, self.clock())
        except SQLAlchemyError:
            # The record stays "running"; the next run finds it and closes it as interrupted.
            log.exception("run %d: could not record its end", run_id)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return "stopped: interrupted or terminated before it finished"
    return f"{type(exc).__name__}: {exc}"


def _close(batches: Any) -> None:
    """Let a plugin's generator clean up (close its HTTP clients) when the run stops early."""
    close = getattr(batches, "close", None)
    if close is None:
        return
    try:
        close()
    except Exception:
        log.exception("the plugin failed while closing")
