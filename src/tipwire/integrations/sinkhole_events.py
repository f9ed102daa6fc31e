"""Sinkhole hits from monitored blocks become Events with related Indicators (any provider)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tipwire.errors import InvalidValueError
from tipwire.model import (
    Attribute,
    Event,
    EventType,
    Indicator,
    IndicatorType,
    IngestBatch,
    Source,
    Status,
)

TITLE = "{provider} sinkhole: {hits} hits from {block}"
DESCRIPTION = (
    "Hosts in the monitored block {block} contacted sinkholed malware domains "
    "{hits} times ({related:IP Address} IPv4 and {related:IPv6 Address} IPv6 hosts). "
    "Malware families: {attribute:Malware Family}."
)


class SinkholeHit(Protocol):
    """What a provider's sinkhole record must offer (CTAC and Shadowserver both do)."""

    @property
    def seen_at(self) -> datetime: ...
    @property
    def src_ip(self) -> str: ...
    @property
    def http_host(self) -> str: ...
    @property
    def http_url(self) -> str: ...
    @property
    def http_agent(self) -> str: ...
    @property
    def malware_family(self) -> str: ...


@dataclass(frozen=True, slots=True)
class SinkholeStatuses:
    """The status each kind of indicator gets when a sinkhole monitor creates it."""

    host: Status = Status.REVIEW
    url: Status = Status.ACTIVE
    fqdn: Status = Status.ACTIVE
    user_agent: Status = Status.REVIEW


@dataclass(frozen=True, slots=True)
class SinkholeMapping:
    """How one monitor turns hits into objects: its source, event type, statuses and keys."""

    provider: str
    source: Source
    event_type: EventType
    statuses: SinkholeStatuses


def request_url(host: str, path: str) -> str:
    """The URL a host requested from ``http_host`` and ``http_url`` (a path or a request line)."""
    text = path.strip()
    parts = text.split()
    if len(parts) == 3 and parts[2].upper().startswith("HTTP/"):
        text = parts[1]  # a whole request line such as "GET /gate.php HTTP/1.1"
    if "://" in text:
        return text
    if not text.startswith("/"):
        text = "/" + text
    return f"http://{host.strip()}{text}"


def batch_for_page(
    mapping: SinkholeMapping,
    matched: Sequence[tuple[SinkholeHit, str]],
    event_key: Callable[[str], str],
    *,
    cursor: str | None = None,
    skip: Callable[[SinkholeHit, str], None] | None = None,
) -> IngestBatch:
    """One batch for the matched hits of a page: an Event per block with its indicators.

    ``matched`` pairs each hit with the monitored block that contains it; ``event_key`` gives
    the stable key of a block's event. A hit whose values do not validate is passed to
    ``skip`` and left out whole.
    """
    batch = IngestBatch(mapping.source, cursor=cursor)
    per_block: dict[str, list[tuple[SinkholeHit, list[Indicator]]]] = {}
    for hit, block in matched:
        try:
            objects = _indicators_for(mapping, hit, block)
        except InvalidValueError as exc:
            if skip is None:
                raise
            skip(hit, str(exc))
            continue
        per_block.setdefault(block, []).append((hit, objects))
    for block, hits in per_block.items():
        _add_event(batch, mapping, block, hits, event_key(block))
    return batch


def _indicators_for(mapping: SinkholeMapping, hit: SinkholeHit, block: str) -> list[Indicator]:
    """Host, URL, FQDN and User-agent indicators for one hit (only those it has)."""
    statuses = mapping.statuses
    family = hit.malware_family.strip()
    families = [Attribute("Malware Family", family, hit.seen_at)] if family else []
    address = _unmapped(hit.src_ip)
    host_type = IndicatorType.IPV6_ADDRESS if ":" in address else IndicatorType.IP_ADDRESS
    host = Indicator(
        host_type,
        address,
        status=statuses.host,
        attributes=[*families, Attribute("Monitored Block", block, hit.seen_at)],
        first_seen=hit.seen_at,
        last_seen=hit.seen_at,
        counters={"hits": 1},
    )
    objects = [host]
    if hit.http_host.strip():
        fqdn = Indicator(
            IndicatorType.FQDN,
            hit.http_host,
            status=statuses.fqdn,
            first_seen=hit.seen_at,
            last_seen=hit.seen_at,
            counters={"hits": 1},
        )
        url = Indicator(
            IndicatorType.URL,
            request_url(hit.http_host, hit.http_url),
            status=statuses.url,
            attributes=list(families),
            first_seen=hit.seen_at,
            last_seen=hit.seen_at,
            counters={"hits": 1},
        )
        objects += [url, fqdn]
    if hit.http_agent.strip():
        objects.append(
            Indicator(
                IndicatorType.USER_AGENT,
                hit.http_agent,
                status=statuses.user_agent,
                attributes=list(families),
                first_seen=hit.seen_at,
                last_seen=hit.seen_at,
                counters={"hits": 1},
            )
        )
    return objects


def _unmapped(address: str) -> str:
    """An IPv4-mapped IPv6 address as the IPv4 address it carries."""
    text = address.strip()
    lowered = text.lower()
    if lowered.startswith("::ffff:") and "." in lowered:
        return text[7:]
    return text


def _add_event(
    batch: IngestBatch,
    mapping: SinkholeMapping,
    block: str,
    hits: list[tuple[SinkholeHit, list[Indicator]]],
    key: str,
) -> None:
    first_hit = min(hit.seen_at for hit, _ in hits)
    families = sorted({hit.malware_family.strip() for hit, _ in hits if hit.malware_family.strip()})
    event = Event(
        TITLE.format(provider=mapping.provider, hits="{hits}", block=block),
        mapping.event_type,
        first_hit,
        description=DESCRIPTION.replace("{block}", block),
        key=key,
        attributes=[Attribute("Malware Family", family) for family in families]
        + [Attribute("Monitored Block", block)],
        counters={"hits": len(hits)},
    )
    batch.add(event)
    for _, objects in hits:
        host, *rest = objects
        batch.add(*objects)
        for indicator in objects:
            batch.relate(event, indicator)
        for other in rest:
            if other.type in (IndicatorType.URL, IndicatorType.USER_AGENT):
                batch.relate(host, other)
        url = next((o for o in rest if o.type is IndicatorType.URL), None)
        fqdn = next((o for o in rest if o.type is IndicatorType.FQDN), None)
        if url is not None and fqdn is not None:
            batch.relate(url, fqdn)


def monitored_hits(
    hits: Iterable[SinkholeHit], blocks: Sequence[str | None]
) -> list[tuple[SinkholeHit, str]]:
    """Pair hits with their matched block, dropping those outside every block."""
    return [(hit, block) for hit, block in zip(hits, blocks, strict=True) if block is not None]
