"""The HTTP clients integrations get: sane timeouts, an honest User-Agent, injectable transport."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tipwire import __version__
from tipwire.exchange.base import HttpFactory, Integration

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True, slots=True)
class ClientFactory:
    """Makes the clients of one integration; ``transport`` replaces the network (tests)."""

    headers: dict[str, str]
    timeout: httpx.Timeout
    transport: httpx.BaseTransport | None

    def __call__(self) -> httpx.Client:
        """A new client; the caller closes it."""
        return httpx.Client(timeout=self.timeout, headers=self.headers, transport=self.transport)


def http_factory(
    integration: type[Integration[Any]], transport: httpx.BaseTransport | None = None
) -> HttpFactory:
    """A factory of clients for ``integration``; ``transport`` replaces the network (tests)."""
    headers = {"User-Agent": f"TipWire/{__version__} {integration.name}/{integration.version}"}
    return ClientFactory(headers, DEFAULT_TIMEOUT, transport)
