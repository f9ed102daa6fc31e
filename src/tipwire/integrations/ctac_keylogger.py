"""CTAC keylogger monitor: credentials of the organisation's email domains captured by keyloggers.

For now this module carries the complete settings and a run that only checks the provider
answers; the mapping of captures to events and indicators arrives with the monitor issue.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from pydantic import Field, SecretStr

from tipwire.exchange import (
    Domains,
    HttpUrl,
    Integration,
    IntegrationConfig,
    RunContext,
    StatusName,
)
from tipwire.model import IngestBatch, Status


class CtacKeyloggerConfig(IntegrationConfig):
    """Settings of the CTAC keylogger monitor."""

    api_url: HttpUrl
    api_key: SecretStr
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
    version: ClassVar[str] = "0.1.0"
    Config: ClassVar[type[IntegrationConfig]] = CtacKeyloggerConfig
    schedule: ClassVar[str] = "*/15 * * * *"

    def run(self, config: CtacKeyloggerConfig, context: RunContext) -> Iterator[IngestBatch]:
        """Fetch the first page to prove the provider answers; the mapping comes later."""
        with context.http() as client:
            response = client.get(
                f"{config.api_url}/api/v1/keylogger",
                params={"per_page": 1, **({"since": context.cursor} if context.cursor else {})},
                headers={"X-Api-Key": config.api_key.get_secret_value()},
            )
            response.raise_for_status()
        context.log.info("the CTAC keylogger feed answered; capture mapping is not built yet")
        yield from ()
