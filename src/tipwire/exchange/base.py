"""The plugin contract: an Integration yields IngestBatches; a RunContext is all it may touch."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import httpx

from tipwire.exchange.config import IntegrationConfig
from tipwire.model import IngestBatch, event_key

HttpFactory = Callable[[], httpx.Client]
"""Makes a new ``httpx.Client`` (timeouts, User-Agent, proxies set); the caller closes it."""

MAX_SAMPLE_LENGTH = 300
MAX_SAMPLES = 20

C = TypeVar("C", bound=IntegrationConfig)


class Integration(ABC, Generic[C]):
    """A plugin that turns a provider's new records into IngestBatches; it never opens the store.

    Subclasses set the class attributes and implement ``run``. The entry-point name in the
    group ``tipwire.integrations`` must equal ``name``.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    version: ClassVar[str]
    Config: ClassVar[type[IntegrationConfig]]
    schedule: ClassVar[str] = "0 * * * *"
    """The default cron schedule (UTC); users may override it with the ``schedule`` setting."""

    @abstractmethod
    def run(self, config: C, context: RunContext) -> Iterator[IngestBatch]:
        """Yield batches of what is new after ``context.cursor``, each with the cursor it reached.

        Each batch must cover only records after the previous batch's cursor, so that counters
        add only what is new; yield a batch (even an empty one) to move the cursor.
        """


@dataclass(slots=True)
class Tally:
    """What a plugin reported about its records since the last committed batch."""

    fetched: int = 0
    matched: int = 0
    malformed: int = 0
    samples: list[tuple[str, str]] = field(default_factory=list)
    """(reason, sample) of the first malformed records; a page of garbage keeps only a few."""


def _keep(text: str) -> str:
    return text


class RunContext:
    """What a run hands its plugin: where to resume, an HTTP client factory, a logger, counters."""

    def __init__(
        self,
        integration: str,
        *,
        cursor: str | None,
        origin_cursor: str | None,
        http: HttpFactory,
        log: logging.Logger | logging.LoggerAdapter[Any],
        run_id: int | None = None,
        redact: Callable[[str], str] = _keep,
    ) -> None:
        self.integration = integration
        self.run_id = run_id
        self.cursor = cursor
        """The last committed cursor: fetch only what came after it (None: from the start)."""
        self.origin_cursor = origin_cursor
        """Where this unit of work began: ``cursor``, or an earlier one when this run continues
        a run that was killed or failed. Key events with it (see ``event_key``)."""
        self.http = http
        self.log = log
        self._redact = redact
        self._tally = Tally()

    def event_key(self, *parts: object) -> str:
        """A stable event key from this integration, the origin cursor and ``parts``.

        A run that continues an unfinished one gets the same keys, so it continues that
        run's events instead of opening new ones.
        """
        return event_key(self.integration, self.origin_cursor or "", *parts)

    def count(self, *, fetched: int = 0, matched: int = 0) -> None:
        """Add to the records fetched from the provider and those that matched."""
        self._tally.fetched += fetched
        self._tally.matched += matched

    def skip(self, sample: object, reason: str) -> None:
        """Count a malformed record and keep a sample of it for the activity log.

        Pass a redacted identity (such as the record id) as ``sample`` if the record holds
        secrets; configured secret values are masked in any case.
        """
        self._tally.malformed += 1
        if len(self._tally.samples) < MAX_SAMPLES:
            text = sample if isinstance(sample, str) else repr(sample)
            self._tally.samples.append(
                (self._redact(reason)[:MAX_SAMPLE_LENGTH], self._redact(text)[:MAX_SAMPLE_LENGTH])
            )

    @contextmanager
    def guard(self, sample: object) -> Iterator[None]:
        """Run the block for one record; if it raises, count the record as malformed and go on.

        Build the record's objects inside the block and add them to the batch last, so a
        record that fails half-way leaves nothing behind.
        """
        try:
            yield
        except Exception as exc:
            self.skip(sample, f"{type(exc).__name__}: {exc}")

    def take_tally(self) -> Tally:
        """Hand over what was reported since the last call (the runner commits it)."""
        tally, self._tally = self._tally, Tally()
        return tally


def effective_schedule(integration: type[Integration[Any]], config: IntegrationConfig) -> str:
    """The schedule a user set, or the integration's default."""
    return config.schedule or integration.schedule
