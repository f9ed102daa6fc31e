"""CTAC keylogger monitor: credentials of the organisation's email domains captured by keyloggers.

Each run pulls CTAC's raw keylogger stream after the last committed cursor and matches the
email domains here, so the provider never learns which domains are watched. Only captures
with a password are reported; the password itself never leaves the provider client.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from pydantic import Field

from tipwire.exchange import (
    Domains,
    Integration,
    IntegrationConfig,
    RunContext,
    StatusName,
)
from tipwire.integrations.credential_events import CredentialMapping, batch_for_page
from tipwire.integrations.ctac_common import SOURCE, CtacSettings, ctac_client, since
from tipwire.match import DomainSet
from tipwire.model import IngestBatch, Status
from tipwire.providers.ctac import KEYLOGGER

EXPORT_CHECKPOINT = 20_000
"""Records per page and committed batch."""


class CtacKeyloggerConfig(CtacSettings):
    """Settings of the CTAC keylogger monitor."""

    domains: Domains = Field(min_length=1)
    include_subdomains: bool = True
    email_status: StatusName = Status.WHITELISTED


class CtacKeyloggerIntegration(Integration[CtacKeyloggerConfig]):
    """Turns CTAC keylogger captures of your domains' accounts into Login Compromise events."""

    name: ClassVar[str] = "ctac-keylogger"
    title: ClassVar[str] = "CTAC keylogger monitor"
    description: ClassVar[str] = (
        "Credentials of your email domains captured by keyloggers on victim machines, "
        "from the Wapack Labs CTAC raw-data API."
    )
    version: ClassVar[str] = "0.2.0"
    Config: ClassVar[type[IntegrationConfig]] = CtacKeyloggerConfig
    schedule: ClassVar[str] = "*/15 * * * *"

    def run(self, config: CtacKeyloggerConfig, context: RunContext) -> Iterator[IngestBatch]:
        """Pull captures after the cursor; keep those of monitored domains with a password."""
        domains = DomainSet.from_strings(
            config.domains, include_subdomains=config.include_subdomains, field="domains"
        )
        mapping = CredentialMapping("CTAC", SOURCE, Status(config.email_status))
        with ctac_client(config, context) as client:
            for page in client.export(
                KEYLOGGER, since(context), checkpoint_every=EXPORT_CHECKPOINT
            ):
                for bad in page.malformed:
                    context.skip(f"keylogger record {bad.id}", bad.reason)
                found = domains.match([capture.email for capture in page.records])
                for position in found.invalid.tolist():
                    capture = page.records[position]
                    # The sample names the record, never its content: no password is kept.
                    context.skip(f"keylogger record {capture.id}", "malformed email address")
                matched = [
                    (page.records[i], domain)
                    for i, domain in found.hits()
                    if page.records[i].password_captured  # only what calls for a reset
                ]
                context.count(fetched=len(page.records) + len(page.malformed), matched=len(matched))
                yield batch_for_page(
                    mapping,
                    matched,
                    context.event_key,
                    cursor=page.cursor,
                    skip=lambda capture, why: context.skip(
                        f"keylogger record {getattr(capture, 'id', '?')}", why
                    ),
                )
