"""CTAC sinkhole monitor: hosts in the organisation's CIDR blocks that call sinkholed domains.

Each run pulls CTAC's raw sinkhole stream after the last committed cursor and matches it here,
against the configured blocks, so the provider never learns which networks are watched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from pydantic import Field

from tipwire.exchange import (
    CidrBlocks,
    EventTypeName,
    Integration,
    IntegrationConfig,
    RunContext,
    StatusName,
)
from tipwire.integrations.ctac_common import SOURCE, CtacSettings, ctac_client, since
from tipwire.integrations.sinkhole_events import (
    SinkholeMapping,
    SinkholeStatuses,
    batch_for_page,
)
from tipwire.match import NetworkSet
from tipwire.model import EventType, IngestBatch, Status
from tipwire.providers.ctac import SINKHOLE, SinkholeHit

EXPORT_CHECKPOINT = 20_000
"""Records per page of the export: the unit that is decoded and matched at a time."""
COMMIT_EVERY = 100_000
"""Records per committed batch: a commit costs tens of milliseconds."""
MAX_PENDING_HITS = 20_000
"""Matched hits that force a commit sooner, to bound memory when many hits match."""


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
        networks = NetworkSet.from_strings(config.cidr_blocks)
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
        with ctac_client(config, context) as client:
            pending: list[tuple[SinkholeHit, str]] = []
            unbatched = 0
            cursor: str | None = None
            for page in client.export(SINKHOLE, since(context), checkpoint_every=EXPORT_CHECKPOINT):
                for bad in page.malformed:
                    context.skip(f"sinkhole record {bad.id}", bad.reason)
                found = networks.match([hit.src_ip for hit in page.records])
                matched = [(page.records[i], block) for i, block in found.hits()]
                context.count(fetched=len(page.records) + len(page.malformed), matched=len(matched))
                # Only the few matched hits are kept between pages, so committing every
                # COMMIT_EVERY records instead of every page costs no memory.
                pending += matched
                unbatched += len(page.records) + len(page.malformed)
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
