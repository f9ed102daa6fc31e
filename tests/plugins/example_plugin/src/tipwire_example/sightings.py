"""Sightings of infected hosts from a small JSON feed, kept when they fall in your CIDR blocks.

This is the complete example of docs/integrations.md. The feed answers
``GET /v1/sightings?after=<id>&limit=<n>`` with
``{"sightings": [{"id", "ip", "seen_at", "malware", "url"}, ...], "has_more": bool}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field, SecretStr

from tipwire.exchange import (
    CidrBlocks,
    HttpUrl,
    Integration,
    IntegrationConfig,
    RunContext,
    StatusName,
)
from tipwire.match import NetworkSet
from tipwire.model import (
    Attribute,
    Event,
    EventType,
    Indicator,
    IndicatorType,
    IngestBatch,
    Source,
    Status,
    Tlp,
)


class SightingsConfig(IntegrationConfig):
    """Settings: where the feed is, its key, and which blocks are yours."""

    api_url: HttpUrl
    api_key: SecretStr  # SecretStr: stored encrypted, shown masked, never logged
    cidr_blocks: CidrBlocks = Field(min_length=1)
    page_size: int = Field(default=500, ge=1, le=5000)
    host_status: StatusName = Status.REVIEW


class SightingsIntegration(Integration[SightingsConfig]):
    """Turns sightings of hosts in your blocks into one Sighting event per block and run."""

    name: ClassVar[str] = "example-sightings"
    title: ClassVar[str] = "Example sightings feed"
    description: ClassVar[str] = "Infected hosts in your CIDR blocks, from a JSON sightings feed."
    version: ClassVar[str] = "0.1.0"
    Config: ClassVar[type[IntegrationConfig]] = SightingsConfig
    schedule: ClassVar[str] = "0 * * * *"

    def run(self, config: SightingsConfig, context: RunContext) -> Iterator[IngestBatch]:
        """Yield one batch per page of sightings newer than the cursor."""
        blocks = NetworkSet.from_strings(config.cidr_blocks)
        source = Source("Example Sightings", Tlp.AMBER)
        headers = {"Authorization": f"Bearer {config.api_key.get_secret_value()}"}
        after = context.cursor or "0"
        with context.http() as client:
            while True:
                response = client.get(
                    f"{config.api_url}/v1/sightings",
                    params={"after": after, "limit": config.page_size},
                    headers=headers,
                )
                response.raise_for_status()
                page = response.json()
                records: list[dict[str, Any]] = page["sightings"]
                if not records:
                    return
                context.count(fetched=len(records))
                # The cursor is the last id of the page: the next run starts after it.
                batch = IngestBatch(source, cursor=str(records[-1]["id"]))
                match = blocks.match([str(record.get("ip")) for record in records])
                for position in match.invalid.tolist():
                    context.skip(records[position].get("id"), "ip is not an IP address")
                for position, block in match.hits():
                    record = records[position]
                    with context.guard(record.get("id")):
                        self._add(batch, record, block, config, context)
                        context.count(matched=1)
                yield batch
                after = batch.cursor or after
                if not page.get("has_more"):
                    return

    @staticmethod
    def _add(
        batch: IngestBatch,
        record: dict[str, Any],
        block: str,
        config: SightingsConfig,
        context: RunContext,
    ) -> None:
        """Add one sighting: its host, its URL, and the block's event, all related."""
        seen = datetime.fromisoformat(record["seen_at"])
        family = Attribute("Malware Family", record["malware"], seen)
        host = Indicator(
            IndicatorType.IP_ADDRESS if ":" not in record["ip"] else IndicatorType.IPV6_ADDRESS,
            record["ip"],
            status=config.host_status,
            first_seen=seen,
            last_seen=seen,
            attributes=[family],
        )
        url = Indicator(IndicatorType.URL, record["url"], first_seen=seen, last_seen=seen)
        # Keyed with the run's origin cursor: a run that resumes a killed one continues its event.
        event = Event(
            f"Example sightings in {block}",
            EventType.SIGHTING,
            seen,
            key=context.event_key(block),
            attributes=[family],
        )
        batch.add(event, host, url)
        batch.relate(event, host)
        batch.relate(event, url)
        batch.relate(host, url)
