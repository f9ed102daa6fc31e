"""The sinkhole monitor's pull: CTAC's export stream, decoded and matched page by page.

This module imports only the CTAC client and the matcher, so that a worker process running
the pull starts quickly; the monitor (settings, batches) lives in ``ctac_sinkhole``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

import httpx

from tipwire.match import NetworkSet
from tipwire.providers.ctac import (
    SINKHOLE,
    CtacClient,
    Cursor,
    MalformedRecord,
    RetryPolicy,
    SinkholeHit,
)

EXPORT_CHECKPOINT: Final = 20_000
"""Records per page of the export: the unit that is decoded and matched at a time."""


@dataclass(frozen=True, slots=True)
class SinkholePull:
    """Everything one pull needs: where CTAC is, its key, the blocks and the cursor to follow."""

    api_url: str
    api_key: str = field(repr=False)
    retry_seconds: float
    networks: NetworkSet
    since: Cursor | None
    http: Callable[[], httpx.Client]


@dataclass(frozen=True, slots=True)
class MatchedPage:
    """One page of the export reduced to what the monitor keeps, with its counts and cursor."""

    matched: list[tuple[SinkholeHit, str]]
    """The hits from monitored blocks, each with the most specific block holding it."""
    malformed: list[MalformedRecord]
    fetched: int
    """Every record of the page, malformed ones included."""
    cursor: Cursor


def matched_pages(pull: SinkholePull) -> Iterator[MatchedPage]:
    """Pull the hits after ``pull.since`` and keep, page by page, those in the blocks."""
    retry = RetryPolicy(give_up_after=pull.retry_seconds)
    with (
        pull.http() as http,
        CtacClient(pull.api_url, pull.api_key, http=http, retry=retry) as client,
    ):
        pages = client.export(
            SINKHOLE,
            pull.since,
            checkpoint_every=EXPORT_CHECKPOINT,
            select=InBlocks(pull.networks),
        )
        for page in pages:
            records = page.records  # those from the blocks, now decoded and checked in full
            found = pull.networks.match([hit.src_ip for hit in records])
            yield MatchedPage(
                [(records[i], block) for i, block in found.hits()],
                page.malformed,
                len(records) + len(page.malformed) + page.skipped,
                page.cursor,
            )


@dataclass(frozen=True, slots=True)
class InBlocks:
    """Selects the records whose source address is in a block, or is no address at all.

    Only these are decoded in full: hits from elsewhere are never kept, so the monitor reads
    them for their address alone; an unreadable address is decoded so that it is reported.
    """

    networks: NetworkSet

    def __call__(self, addresses: list[str]) -> list[int]:
        """Positions of the addresses in a block or unreadable, ascending."""
        found = self.networks.match(addresses)
        return sorted([*found.matched().tolist(), *found.invalid.tolist()])


@dataclass(frozen=True, slots=True)
class NetworkClients:
    """Makes plain network clients with given headers and timeout; it pickles, unlike a closure."""

    headers: dict[str, str]
    timeout: httpx.Timeout

    def __call__(self) -> httpx.Client:
        """A new client; the caller closes it."""
        return httpx.Client(timeout=self.timeout, headers=self.headers)
