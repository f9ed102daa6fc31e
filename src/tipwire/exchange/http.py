"""The HTTP clients integrations get: sane timeouts, an honest User-Agent, injectable transport."""

from __future__ import annotations

from typing import Any

import httpx

from tipwire import __version__
from tipwire.exchange.base import HttpFactory, Integration

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def http_factory(
    integration: type[Integration[Any]], transport: httpx.BaseTransport | None = None
) -> HttpFactory:
    """A factory of clients for ``integration``; ``transport`` replaces the network (tests)."""
    headers = {"User-Agent": f"TipWire/{__version__} {integration.name}/{integration.version}"}

    def make() -> httpx.Client:
        return httpx.Client(timeout=DEFAULT_TIMEOUT, headers=headers, transport=transport)

    return make
