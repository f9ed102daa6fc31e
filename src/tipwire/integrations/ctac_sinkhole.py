"""CTAC sinkhole monitor: hosts in the organisation's CIDR blocks that call sinkholed domains.

Each run pulls CTAC's raw sinkhole stream after the last committed cursor and matches it here,
against the configured blocks, so the provider never learns which networks are watched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from typing import ClassVar, Final

from pydantic import Field

from tipwire.exchange import (
    CidrBlocks,
    EventTypeName,
    Integration,
    IntegrationConfig,
    RunContext,
    StatusName,
)
from tipwire.exchange.http import ClientFactory
from tipwire.integrations.ctac_common import SOURCE, CtacSettings, since
from tipwire.integrations.offload import handed_over
from tipwire.integrations.sinkhole_events import (
    SinkholeMapping,
    SinkholeStatuses,
    batch_for_page,
)
from tipwire.integrations.sinkhole_pull import (
    EXPORT_CHECKPOINT,
    MatchedPage,
    NetworkClients,
    SinkholePull,
    matched_pages,
)
from tipwire.match import NetworkSet
from tipwire.model import EventType, IngestBatch, Status
from tipwire.providers.ctac import SinkholeHit

COMMIT_EVERY = 100_000
"""Records per committed batch: a commit costs tens of milliseconds."""
MAX_PENDING_HITS = 20_000
"""Matched hits that force a commit sooner, to bound memory when many hits match."""
WORKER_AFTER: Final = EXPORT_CHECKPOINT
"""Records pulled in the run before a worker is started: a pull of one page needs none, and a
longer one gains most from a worker started at once, since the run goes on pulling while the
worker starts up (records outside the blocks cost too little to decode to wait any longer)."""
WORKER_WITHIN: Final = 5
"""Pages the run pulls on while its worker starts, before it waits for it."""


class CtacSinkholeConfig(CtacSettings):
    """Settings of the CTAC sinkhole monitor."""

    cidr_blocks: CidrBlocks = Field(min_length=1)
    event_type: EventTypeName = EventType.COMMAND_AND_CONTROL
    host_ip_status: StatusName = Status.REVIEW
    url_status: StatusName = Status.ACTIVE
    fqdn_status: StatusName = Status.ACTIVE
    user_agent_status: StatusName = Status.REVIEW


class CtacSinkholeIntegration(Integration[CtacSinkholeConfig]):
    """Turns CTAC sinkhole hits from the monitored blocks into Command and Control events."""

    name: ClassVar[str] = "ctac-sinkhole"
    title: ClassVar[str] = "CTAC sinkhole monitor"
    description: ClassVar[str] = (
        "Hosts in your CIDR blocks (IPv4 and IPv6) seen calling sinkholed malware domains, "
        "from the Wapack Labs CTAC raw-data API."
    )
    version: ClassVar[str] = "0.2.0"
    Config: ClassVar[type[IntegrationConfig]] = CtacSinkholeConfig
    schedule: ClassVar[str] = "*/15 * * * *"

    def run(self, config: CtacSinkholeConfig, context: RunContext) -> Iterator[IngestBatch]:
        """Pull hits after the cursor, keep those from monitored blocks, one batch per chunk."""
        mapping = SinkholeMapping(
            "CTAC",
            SOURCE,
            EventType(config.event_type),
            SinkholeStatuses(
                host=Status(config.host_ip_status),
                url=Status(config.url_status),
                fqdn=Status(config.fqdn_status),
                user_agent=Status(config.user_agent_status),
            ),
        )
        pull = SinkholePull(
            str(config.api_url),
            config.api_key.get_secret_value(),
            float(config.retry_seconds),
            NetworkSet.from_strings(config.cidr_blocks),
            since(context),
            context.http,
        )
        with _pages(pull) as pages:
            pending: list[tuple[SinkholeHit, str]] = []
            unbatched = 0
            cursor: str | None = None
            for page in pages:
                for bad in page.malformed:
                    context.skip(f"sinkhole record {bad.id}", bad.reason)
                context.count(fetched=page.fetched, matched=len(page.matched))
                # Only the few matched hits are kept between pages, so committing every
                # COMMIT_EVERY records instead of every page costs no memory.
                pending += page.matched
                unbatched += page.fetched
                cursor = page.cursor
                if unbatched >= COMMIT_EVERY or len(pending) >= MAX_PENDING_HITS:
                    yield self._batch(mapping, pending, cursor, context)
                    pending, unbatched = [], 0
            if unbatched or pending:
                yield self._batch(mapping, pending, cursor, context)

    @staticmethod
    def _batch(
        mapping: SinkholeMapping,
        matched: list[tuple[SinkholeHit, str]],
        cursor: str | None,
        context: RunContext,
    ) -> IngestBatch:
        return batch_for_page(
            mapping,
            matched,
            context.event_key,
            cursor=cursor,
            skip=lambda hit, why: context.skip(f"sinkhole record {getattr(hit, 'id', '?')}", why),
        )


def _pages(
    pull: SinkholePull, *, worker_after: int = WORKER_AFTER, worker_within: int = WORKER_WITHIN
) -> AbstractContextManager[Iterator[MatchedPage]]:
    """The pull's matched pages: a large pull on the real network goes on in a worker process.

    Pulling, decoding and matching then take a core of their own while this process builds
    and commits batches; the worker resumes the export from the last page pulled here. A run
    given a substitute transport (tests) pulls in this process, where that transport lives.
    """
    http = pull.http
    if isinstance(http, ClientFactory) and http.transport is None:
        portable = replace(pull, http=NetworkClients(http.headers, http.timeout))
        return handed_over(
            matched_pages(pull),
            matched_pages,
            lambda page: replace(portable, since=page.cursor),
            size=lambda page: page.fetched,
            start_after=worker_after,
            within=worker_within,
        )
    return nullcontext(matched_pages(pull))
