"""A deterministic synthetic feed with knobs for tests: pauses, failures, malformed records."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from tipwire.exchange import Integration, IntegrationConfig, RunContext
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

T0 = datetime(2026, 5, 1, tzinfo=UTC)
FAMILIES = ("Emotet", "Zeus", "Ramnit")


class SyntheticConfig(IntegrationConfig):
    """How big the feed is, how the run behaves, and where it leaves a visible mark."""

    total: int = Field(default=40, ge=0)
    batch_size: int = Field(default=3, ge=1)
    pause_seconds: float = Field(default=0.0, ge=0)
    hold_seconds: float = Field(default=0.0, ge=0)
    fail_after_batches: int | None = None
    malformed_every: int = Field(default=0, ge=0)
    marker_file: str | None = None


class SyntheticIntegration(Integration[SyntheticConfig]):
    """Records 1..total, as hits from two blocks, in batches of ``batch_size``."""

    name: ClassVar[str] = "example-synthetic"
    title: ClassVar[str] = "Synthetic test feed"
    description: ClassVar[str] = "Deterministic records for testing runs, kills and schedules."
    version: ClassVar[str] = "0.1.0"
    Config: ClassVar[type[IntegrationConfig]] = SyntheticConfig
    schedule: ClassVar[str] = "0 * * * *"

    def run(self, config: SyntheticConfig, context: RunContext) -> Iterator[IngestBatch]:
        """Yield the records after the cursor, a batch at a time."""
        _mark(config, "start")
        time.sleep(config.hold_seconds)
        source = Source("Synthetic", Tlp.GREEN)
        first = int(context.cursor or 0) + 1
        for batches, start in enumerate(range(first, config.total + 1, config.batch_size)):
            if config.fail_after_batches is not None and batches >= config.fail_after_batches:
                raise RuntimeError(f"synthetic failure after {batches} batches")
            last = min(start + config.batch_size - 1, config.total)
            batch = IngestBatch(source, cursor=str(last))
            for number in range(start, last + 1):
                context.count(fetched=1)
                with context.guard(f"record {number}"):
                    _add(batch, number, config, context)
                    context.count(matched=1)
            yield batch
            time.sleep(config.pause_seconds)
        _mark(config, "end")


def _add(batch: IngestBatch, number: int, config: SyntheticConfig, context: RunContext) -> None:
    seen = T0 + timedelta(minutes=number)
    family = Attribute("Malware Family", FAMILIES[number % 3], seen)
    if number % 5 == 0:
        block, address = "2001:db8:1000::/36", f"2001:db8:1000::{number % 9 + 1:x}"
        host_type = IndicatorType.IPV6_ADDRESS
    else:
        block, address = "198.51.100.0/24", f"198.51.100.{number % 20 + 1}"
        host_type = IndicatorType.IP_ADDRESS
    if config.malformed_every and number % config.malformed_every == 0:
        address = f"not-an-address-{number}"
    host = Indicator(
        host_type,
        address,
        status=Status.REVIEW,
        first_seen=seen,
        last_seen=seen,
        attributes=[family],
    )
    url = Indicator(
        IndicatorType.URL,
        f"http://c2-{number % 4}.example/gate{number % 3}.php",
        status=Status.ACTIVE,
        first_seen=seen,
        last_seen=seen,
        attributes=[family],
    )
    event = Event(
        f"Synthetic hits from {block}",
        EventType.COMMAND_AND_CONTROL,
        seen,
        key=context.event_key(block),
        attributes=[family],
    )
    batch.add(event, host, url)
    batch.relate(event, host)
    batch.relate(event, url)
    batch.relate(host, url)


def _mark(config: SyntheticConfig, what: str) -> None:
    """Append a line to the marker file: a visible effect outside the database."""
    if config.marker_file:
        with Path(config.marker_file).open("a") as handle:
            handle.write(f"{what} {os.getpid()} {time.time()}\n")
