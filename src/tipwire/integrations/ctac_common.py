"""What both CTAC monitors share: their source, the provider settings and the client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import Field, SecretStr

from tipwire.exchange import HttpUrl, IntegrationConfig, RunContext
from tipwire.model import Source, Tlp
from tipwire.providers.ctac import CtacClient, Cursor, RetryPolicy

SOURCE = Source("Wapack Labs CTAC", Tlp.AMBER)


class CtacSettings(IntegrationConfig):
    """How to reach the CTAC raw-data API."""

    api_url: HttpUrl
    api_key: SecretStr
    retry_seconds: int = Field(default=60, ge=0, le=3600)
    """How long to keep retrying an unavailable provider before the run fails."""


@contextmanager
def ctac_client(config: CtacSettings, context: RunContext) -> Iterator[CtacClient]:
    """A CTAC client on the run's HTTP client, retrying for the configured time."""
    retry = RetryPolicy(give_up_after=float(config.retry_seconds))
    key = config.api_key.get_secret_value()
    with (
        context.http() as http,
        CtacClient(str(config.api_url), key, http=http, retry=retry) as client,
    ):
        yield client


def since(context: RunContext) -> Cursor | None:
    """The cursor to pull after, as the client takes it."""
    return Cursor(context.cursor) if context.cursor else None
