"""Shadowserver monitor: sinkhole and compromised-account reports about your networks.

Shadowserver sends network owners free daily reports. This integration reads them, from
files (``tipwire import shadowserver FILE...``) or from the Reports API on a schedule, and
makes the same Events, Indicators and policies as the CTAC sinkhole and keylogger monitors.
Each run lists the reports of a date window that overlaps the previous run's, and remembers
in its cursor which reports it has processed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SecretStr, field_validator, model_validator

from tipwire.errors import ConfigurationError
from tipwire.exchange import (
    CidrBlocks,
    CommaList,
    Domains,
    EventTypeName,
    HttpUrl,
    Integration,
    IntegrationConfig,
    RunContext,
    StatusName,
)
from tipwire.integrations.credential_events import CredentialMapping
from tipwire.integrations.report_files import (
    FileReport,
    cursor_with_state,
    state_of,
)
from tipwire.integrations.shadowserver_reports import (
    NAME,
    SOURCE,
    ShadowserverMonitor,
    report_batches,
)
from tipwire.integrations.sinkhole_events import SinkholeMapping, SinkholeStatuses
from tipwire.match import DomainSet, NetworkSet
from tipwire.model import EventType, IngestBatch, Status
from tipwire.providers.shadowserver.client import ReportListing, ReportsClient
from tipwire.providers.shadowserver.reports import REPORT_TYPES, check_report_type

PROVIDER = "Shadowserver"


class ShadowserverConfig(IntegrationConfig):
    """Settings of the Shadowserver monitor."""

    cidr_blocks: CidrBlocks = Field(default_factory=list)
    """Blocks whose hosts' sinkhole hits are kept."""
    domains: Domains = Field(default_factory=list)
    """Email domains whose compromised accounts are kept."""
    include_subdomains: bool = True
    api_key: SecretStr | None = None
    """Reports API key; not needed to import files."""
    api_secret: SecretStr | None = None
    """Reports API secret (signs each request); not needed to import files."""
    api_url: HttpUrl = "https://transform.shadowserver.org/api2"
    download_url: HttpUrl = "https://dl.shadowserver.org"
    report_types: CommaList = Field(default_factory=lambda: list(REPORT_TYPES))
    """Which reports to pull from the API."""
    window_days: int = Field(default=3, ge=1, le=30)
    """How many days back each run lists reports; runs overlap, processed reports are skipped."""
    event_type: EventTypeName = EventType.COMMAND_AND_CONTROL
    host_ip_status: StatusName = Status.REVIEW
    url_status: StatusName = Status.ACTIVE
    fqdn_status: StatusName = Status.ACTIVE
    user_agent_status: StatusName = Status.REVIEW
    email_status: StatusName = Status.WHITELISTED

    @field_validator("report_types")
    @classmethod
    def _known_types(cls, types: list[str]) -> list[str]:
        return [check_report_type(name) for name in types]

    @model_validator(mode="after")
    def _watches_something(self) -> ShadowserverConfig:
        if not self.cidr_blocks and not self.domains:
            raise ValueError("set cidr_blocks, domains or both: there is nothing to monitor")
        return self


def monitor_for(config: ShadowserverConfig) -> ShadowserverMonitor:
    """The blocks, domains and mappings a Shadowserver import works with."""
    return ShadowserverMonitor(
        networks=NetworkSet.from_strings(config.cidr_blocks),
        domains=DomainSet.from_strings(
            config.domains, include_subdomains=config.include_subdomains, field="domains"
        ),
        sinkhole=SinkholeMapping(
            PROVIDER,
            SOURCE,
            EventType(config.event_type),
            SinkholeStatuses(
                host=Status(config.host_ip_status),
                url=Status(config.url_status),
                fqdn=Status(config.fqdn_status),
                user_agent=Status(config.user_agent_status),
            ),
        ),
        accounts=CredentialMapping(PROVIDER, SOURCE, Status(config.email_status)),
    )


class ShadowserverIntegration(Integration[ShadowserverConfig]):
    """Turns Shadowserver sinkhole and compromised-account reports into monitor events."""

    name: ClassVar[str] = NAME
    title: ClassVar[str] = "Shadowserver monitor"
    description: ClassVar[str] = (
        "Hosts in your CIDR blocks seen by Shadowserver's sinkholes, and compromised accounts "
        "of your email domains, from Shadowserver's free daily reports (Reports API or files)."
    )
    version: ClassVar[str] = "0.1.0"
    Config: ClassVar[type[IntegrationConfig]] = ShadowserverConfig
    schedule: ClassVar[str] = "17 */4 * * *"

    def run(self, config: ShadowserverConfig, context: RunContext) -> Iterator[IngestBatch]:
        """List the window's reports, and import each one not processed before."""
        if config.api_key is None or config.api_secret is None:
            raise ConfigurationError(
                "shadowserver: set api_key and api_secret to pull reports from the Reports API "
                "(files are imported without them: tipwire import shadowserver FILE...)"
            )
        monitor = monitor_for(config)
        done: dict[str, str] = dict(state_of(context.cursor).get("done", {}))
        last = datetime.now(UTC).date()
        first = last - timedelta(days=config.window_days)
        with context.http() as http:
            client = ReportsClient(
                str(config.api_url),
                str(config.download_url),
                config.api_key.get_secret_value(),
                config.api_secret.get_secret_value(),
                http,
            )
            listings = client.list_reports(first, last, config.report_types)
            fresh = [listing for listing in listings if listing.id not in done]
            context.log.info("%d reports listed, %d new", len(listings), len(fresh))
            for listing in fresh:
                yield from self._import(client, listing, monitor, done, context)
                done[listing.id] = listing.date
                done = _within(done, first)
                # An empty batch that moves the cursor: the report is processed.
                yield IngestBatch(SOURCE, cursor=cursor_with_state(listing.id, {"done": done}))

    @staticmethod
    def _import(
        client: ReportsClient,
        listing: ReportListing,
        monitor: ShadowserverMonitor,
        done: dict[str, str],
        context: RunContext,
    ) -> Iterator[IngestBatch]:
        """Download one report and yield its batches, each cursor still naming what was done."""
        report = FileReport(
            listing.file,
            listing.type,
            on_skip=lambda line, why: context.skip(f"{listing.file} line {line}", why),
        )
        with tempfile.TemporaryDirectory(prefix="tipwire-shadowserver-") as folder:
            path = Path(folder) / "report.csv"
            client.download(listing, path)
            rows = matched = 0
            for batch in report_batches(monitor, path, listing.type, report):
                context.count(fetched=report.rows - rows, matched=report.matched - matched)
                rows, matched = report.rows, report.matched
                batch.cursor = cursor_with_state(batch.cursor or "", {"done": done})
                yield batch


def _within(done: dict[str, str], first: date) -> dict[str, Any]:
    """Forget reports dated before the window: they will not be listed again."""
    return {report_id: day for report_id, day in done.items() if day >= first.isoformat()}
