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
    Ref,
    Relation,
    Source,
    Status,
    utc,
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
    indicators = _Indicators(batch)
    per_block: dict[str, list[tuple[SinkholeHit, _HitValues]]] = {}
    for hit, block in matched:
        try:
            values = indicators.values_of(hit)
        except InvalidValueError as exc:
            if skip is None:
                raise
            skip(hit, str(exc))
            continue
        per_block.setdefault(block, []).append((hit, values))
    for block, hits in per_block.items():
        _add_event(batch, mapping, block, hits, event_key(block), indicators)
    return batch


@dataclass(frozen=True, slots=True)
class _HitValues:
    """The indicator values of one hit, raw and normalised: host, URL and FQDN, User-agent."""

    host_type: IndicatorType
    host: tuple[str, str]
    url: tuple[str, str] | None
    fqdn: tuple[str, str] | None
    user_agent: tuple[str, str] | None


class _Indicators:
    """A batch's indicators, one per value, each adding up the hits that name it.

    Hits repeat the same hosts, URLs and agents; the store receives what it would have
    merged anyway: the same totals, times, attributes and relations.
    """

    def __init__(self, batch: IngestBatch) -> None:
        self._batch = batch
        self._by_value: dict[tuple[IndicatorType, str], Indicator] = {}
        self._related: set[tuple[int, int]] = set()
        self._refs: dict[int, Ref] = {}

    def values_of(self, hit: SinkholeHit) -> _HitValues:
        """Validate a hit's values in the order its indicators are made; raise on the first bad."""
        address = _unmapped(hit.src_ip)
        host_type = IndicatorType.IPV6_ADDRESS if ":" in address else IndicatorType.IP_ADDRESS
        host = self._value(host_type, address)
        url = fqdn = user_agent = None
        if hit.http_host.strip():
            fqdn = self._value(IndicatorType.FQDN, hit.http_host)
            url = self._value(IndicatorType.URL, request_url(hit.http_host, hit.http_url))
        if hit.http_agent.strip():
            user_agent = self._value(IndicatorType.USER_AGENT, hit.http_agent)
        return _HitValues(host_type, host, url, fqdn, user_agent)

    @staticmethod
    def _value(type_: IndicatorType, raw: str) -> tuple[str, str]:
        return raw, type_.normalise(raw)

    def add(
        self,
        type_: IndicatorType,
        value: tuple[str, str],
        status: Status,
        attributes: list[Attribute],
        seen_at: datetime,
    ) -> Indicator:
        """Count one hit on the indicator of ``value``, making it on its first hit."""
        raw, normalised = value
        indicator = self._by_value.get((type_, normalised))
        if indicator is None:
            indicator = Indicator(
                type_,
                raw,
                status=status,
                attributes=attributes,
                first_seen=seen_at,
                last_seen=seen_at,
                counters={"hits": 1},
            )
            self._by_value[(type_, normalised)] = indicator
            self._batch.indicators.append(indicator)
            return indicator
        moment = utc(seen_at)
        indicator.attributes += attributes
        if indicator.first_seen is None or moment < indicator.first_seen:
            indicator.first_seen = moment
        if indicator.last_seen is None or moment > indicator.last_seen:
            indicator.last_seen = moment
        indicator.counters["hits"] += 1
        return indicator

    def relate(self, a: Indicator | Event, b: Indicator | Event) -> None:
        """Relate two objects of the batch, once."""
        pair = (id(a), id(b))
        if pair not in self._related:
            self._related.add(pair)
            self._batch.relations.append(Relation(self._ref(a), self._ref(b)))

    def _ref(self, item: Indicator | Event) -> Ref:
        # One reference per object: a host or URL is related over and over.
        ref = self._refs.get(id(item))
        if ref is None:
            ref = self._refs[id(item)] = item.ref
        return ref


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
    hits: list[tuple[SinkholeHit, _HitValues]],
    key: str,
    indicators: _Indicators,
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
    statuses = mapping.statuses
    for hit, values in hits:
        seen = hit.seen_at
        family = hit.malware_family.strip()
        kinds = [Attribute("Malware Family", family, seen)] if family else []
        host = indicators.add(
            values.host_type,
            values.host,
            statuses.host,
            [*kinds, Attribute("Monitored Block", block, seen)],
            seen,
        )
        indicators.relate(event, host)
        if values.url is not None and values.fqdn is not None:
            url = indicators.add(IndicatorType.URL, values.url, statuses.url, list(kinds), seen)
            fqdn = indicators.add(IndicatorType.FQDN, values.fqdn, statuses.fqdn, [], seen)
            indicators.relate(event, url)
            indicators.relate(event, fqdn)
            indicators.relate(host, url)
            indicators.relate(url, fqdn)
        if values.user_agent is not None:
            agent = indicators.add(
                IndicatorType.USER_AGENT, values.user_agent, statuses.user_agent, list(kinds), seen
            )
            indicators.relate(event, agent)
            indicators.relate(host, agent)


def monitored_hits(
    hits: Iterable[SinkholeHit], blocks: Sequence[str | None]
) -> list[tuple[SinkholeHit, str]]:
    """Pair hits with their matched block, dropping those outside every block."""
    return [(hit, block) for hit, block in zip(hits, blocks, strict=True) if block is not None]
