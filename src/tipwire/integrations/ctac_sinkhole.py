"""CTAC sinkhole monitor: hosts in the organisation's CIDR blocks that call sinkholed domains.

For now this module carries the complete settings and a run that only checks the provider
answers; the mapping of sinkhole hits to events and indicators arrives with the monitor issue.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from pydantic import Field, SecretStr

from tipwire.exchange import (
    CidrBlocks,
    EventTypeName,
    HttpUrl,
    Integration,
    IntegrationConfig,
    RunContext,
    StatusName,
)
from tipwire.model import EventType, IngestBatch, Status


class CtacSinkholeConfig(IntegrationConfig):
    """Settings of the CTAC sinkhole monitor."""

    api_url: HttpUrl
    api_key: SecretStr
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
    version: ClassVar[str] = "0.1.0"
    Config: ClassVar[type[IntegrationConfig]] = CtacSinkholeConfig
    schedule: ClassVar[str] = "*/15 * * * *"

    def run(self, config: CtacSinkholeConfig, context: RunContext) -> Iterator[IngestBatch]:
        """Fetch the first page to prove the provider answers; the mapping comes later."""
        with context.http() as client:
            response = client.get(
                f"{config.api_url}/api/v1/sinkhole",
                params={"per_page": 1, **({"since": context.cursor} if context.cursor else {})},
                headers={"X-Api-Key": config.api_key.get_secret_value()},
            )
            response.raise_for_status()
        context.log.info("the CTAC sinkhole feed answered; hit mapping is not built yet")
        yield from ()
