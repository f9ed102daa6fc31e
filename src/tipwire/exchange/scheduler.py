"""Runs every enabled integration on its cron schedule, each run in its own ``tipwire run``."""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from croniter import croniter
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from tipwire.exchange import configs, runs
from tipwire.exchange.lease import utcnow
from tipwire.exchange.registry import Registry

# Exit statuses of `tipwire run`, as the scheduler reports them.
EXIT_MEANINGS = {0: "done", 1: "failed", 2: "not runnable (configuration)", 75: "running elsewhere"}
# How often to look again when no slot is near: picks up integrations enabled meanwhile.
POLL_SECONDS = 30.0

log = logging.getLogger(__name__)


def latest_slot(schedule: str, now: datetime) -> datetime:
    """The latest time at or before ``now`` that ``schedule`` names."""
    previous: datetime = croniter(schedule, now).get_prev(datetime)
    following: datetime = croniter(schedule, previous).get_next(datetime)
    return following if following <= now else previous


def next_slot(schedule: str, now: datetime) -> datetime:
    """The first time after ``now`` that ``schedule`` names."""
    following: datetime = croniter(schedule, now).get_next(datetime)
    return following


def is_due(schedule: str, last_started: datetime | None, now: datetime) -> bool:
    """Whether a run is due: none started since the latest slot (however many were missed)."""
    return last_started is None or last_started < latest_slot(schedule, now)


@dataclass(frozen=True, slots=True)
class Due:
    """An integration to run now, for the slot it missed or reached."""

    name: str
    slot: datetime


def schedules(engine: Engine, registry: Registry) -> dict[str, str]:
    """The schedule of each enabled, installed integration."""
    with engine.connect() as connection:
        stored = configs.load_all(connection)
    return {
        name: row.settings.get("schedule") or registry.integrations[name].schedule
        for name, row in sorted(stored.items())
        if row.enabled and name in registry.integrations
    }


def due_now(engine: Engine, registry: Registry, now: datetime) -> list[Due]:
    """The enabled integrations whose latest slot has no run yet."""
    planned = schedules(engine, registry)
    with engine.connect() as connection:
        started = runs.last_started(connection)
    return [
        Due(name, latest_slot(schedule, now))
        for name, schedule in planned.items()
        if is_due(schedule, started.get(name), now)
    ]


class Scheduler:
    """Starts ``<command> run NAME --slot SLOT`` for each due integration, a few at a time.

    Two schedulers on one database are safe: the lease lets one run at a time, and a run
    started for a slot that another already served is skipped.
    """

    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        command: Sequence[str],
        *,
        max_parallel: int = 4,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.command = list(command)
        self.max_parallel = max_parallel
        self.clock = clock
        self.stopping = threading.Event()
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.served: dict[str, datetime] = {}

    def tick(self) -> None:
        """Reap finished runs and start the due ones, up to ``max_parallel`` at once."""
        self._reap()
        for due in due_now(self.engine, self.registry, self.clock()):
            if due.name in self.children or self.served.get(due.name) == due.slot:
                continue
            if len(self.children) >= self.max_parallel:
                break
            self._launch(due)

    def run_once(self) -> None:
        """Start every due integration once, wait for them all, and return."""
        while not self.stopping.is_set():
            self.tick()
            if not self.children:
                break
            self.stopping.wait(0.2)
        self._wait_all(terminate=self.stopping.is_set())

    def run_forever(self) -> None:
        """Keep every enabled integration on schedule until ``stop`` is called."""
        log.info("scheduler started")
        while not self.stopping.is_set():
            try:
                self.tick()
                pause = self._pause()
            except SQLAlchemyError as exc:  # the database may come back; keep the schedule
                log.warning("cannot read the schedules: %s", exc)
                pause = POLL_SECONDS
            self.stopping.wait(pause)
        self._wait_all(terminate=True)
        log.info("scheduler stopped")

    def stop(self) -> None:
        """Ask the loop to finish; running integrations are stopped and recorded as failed."""
        self.stopping.set()

    def _launch(self, due: Due) -> None:
        argv = [*self.command, "run", due.name, "--slot", due.slot.isoformat()]
        log.info("%s: due for its %s slot; starting a run", due.name, f"{due.slot:%Y-%m-%d %H:%M}")
        self.children[due.name] = subprocess.Popen(argv)
        self.served[due.name] = due.slot

    def _reap(self) -> int:
        """Collect finished runs; return how many were still running."""
        for name, child in list(self.children.items()):
            code = child.poll()
            if code is not None:
                del self.children[name]
                meaning = EXIT_MEANINGS.get(code, "stopped")
                log.info("%s: run ended with exit status %d (%s)", name, code, meaning)
        return len(self.children)

    def _pause(self) -> float:
        """Seconds until the next slot of any enabled integration, and never long."""
        if self.children:
            return 1.0
        now = self.clock()
        upcoming = [next_slot(s, now) for s in schedules(self.engine, self.registry).values()]
        wait = min([POLL_SECONDS, *((t - now).total_seconds() for t in upcoming)])
        return max(wait, 0.0) + 0.05

    def _wait_all(self, terminate: bool = False) -> None:
        for child in self.children.values():
            if terminate and child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in self.children.values():
            child.wait()
        self._reap()


def stop_on_signals(scheduler: Scheduler) -> None:
    """Stop the scheduler cleanly on SIGTERM and SIGINT."""

    def handle(_signum: int, _frame: object) -> None:
        scheduler.stop()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
