"""Matched sinkhole hits map to one Event per block with the indicators and relations specified."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tipwire.integrations.sinkhole_events import (
    SinkholeMapping,
    SinkholeStatuses,
    batch_for_page,
    request_url,
)
from tipwire.model import (
    EventRef,
    EventType,
    IndicatorRef,
    IndicatorType,
    Source,
    Status,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
MAPPING = SinkholeMapping(
    "CTAC", Source("Wapack Labs CTAC"), EventType.COMMAND_AND_CONTROL, SinkholeStatuses()
)


@dataclass(frozen=True)
class Hit:
    seen_at: datetime
    src_ip: str
    http_host: str = "Sinkholed.Example"
    http_url: str = "/gate.php"
    http_agent: str = "Mozilla/4.0 (compatible; MSIE 6.0)"
    malware_family: str = "Emotet"


@pytest.mark.parametrize(
    ("host", "path", "expected"),
    [
        ("evil.example", "/gate.php", "http://evil.example/gate.php"),
        ("evil.example", "gate.php", "http://evil.example/gate.php"),
        ("evil.example", "GET /a/b?c=1 HTTP/1.1", "http://evil.example/a/b?c=1"),
        ("evil.example", "", "http://evil.example/"),
        ("evil.example", "http://other.example/x", "http://other.example/x"),
    ],
)
def test_request_url_joins_host_and_path(host: str, path: str, expected: str) -> None:
    assert request_url(host, path) == expected


def test_one_event_per_block_with_its_indicators_attributes_and_relations() -> None:
    hits = [
        (Hit(T0 + timedelta(minutes=5), "203.0.113.7"), "203.0.113.0/24"),
        (Hit(T0, "203.0.113.8", malware_family="TrickBot"), "203.0.113.0/24"),
        (Hit(T0, "2001:db8:1234::5", http_url="GET /v6 HTTP/1.1"), "2001:db8:1000::/36"),
    ]
    batch = batch_for_page(MAPPING, hits, lambda block: f"key:{block}", cursor="c9")
    assert batch.cursor == "c9"
    events = {e.key: e for e in batch.events}
    v4 = events["key:203.0.113.0/24"]
    assert v4.title == "CTAC sinkhole: {hits} hits from 203.0.113.0/24"
    assert v4.counters == {"hits": 2}
    assert v4.happened_at == T0
    assert v4.type is EventType.COMMAND_AND_CONTROL
    assert {(a.name, a.value) for a in v4.attributes} == {
        ("Malware Family", "Emotet"),
        ("Malware Family", "TrickBot"),
        ("Monitored Block", "203.0.113.0/24"),
    }
    by_key = {(i.type, i.value): i for i in batch.indicators}
    host = by_key[(IndicatorType.IP_ADDRESS, "203.0.113.7")]
    assert host.status is Status.REVIEW
    assert host.counters == {"hits": 1}
    assert {(a.name, a.value) for a in host.attributes} == {
        ("Malware Family", "Emotet"),
        ("Monitored Block", "203.0.113.0/24"),
    }
    url = by_key[(IndicatorType.URL, "http://sinkholed.example/gate.php")]
    assert url.status is Status.ACTIVE
    url_families = {a.value for i in batch.indicators if i.ref == url.ref for a in i.attributes}
    assert url_families == {"Emotet", "TrickBot"}  # the same URL, requested by two families
    assert by_key[(IndicatorType.FQDN, "sinkholed.example")].status is Status.ACTIVE
    assert (
        by_key[(IndicatorType.USER_AGENT, "Mozilla/4.0 (compatible; MSIE 6.0)")].status
        is Status.REVIEW
    )
    assert (IndicatorType.IPV6_ADDRESS, "2001:db8:1234::5") in by_key
    assert (IndicatorType.URL, "http://sinkholed.example/v6") in by_key
    pairs = {frozenset((r.a, r.b)) for r in batch.relations}
    ip, u, f = host.ref, url.ref, IndicatorRef(IndicatorType.FQDN, "sinkholed.example")
    ua = IndicatorRef(IndicatorType.USER_AGENT, "Mozilla/4.0 (compatible; MSIE 6.0)")
    for expected in (
        {ip, u},
        {ip, ua},
        {u, f},
        {EventRef("key:203.0.113.0/24"), ip},
        {EventRef("key:203.0.113.0/24"), u},
        {EventRef("key:203.0.113.0/24"), f},
    ):
        assert frozenset(expected) in pairs
    batch.validate()


def test_ipv4_mapped_host_is_stored_as_ipv4() -> None:
    batch = batch_for_page(MAPPING, [(Hit(T0, "::ffff:198.51.100.4"), "198.51.100.0/24")], str)
    assert (IndicatorType.IP_ADDRESS, "198.51.100.4") in {
        (i.type, i.value) for i in batch.indicators
    }


def test_hit_with_a_bad_value_is_skipped_whole_and_reported() -> None:
    skipped: list[str] = []
    hits = [
        (Hit(T0, "203.0.113.7", http_host="bad host!"), "203.0.113.0/24"),
        (Hit(T0, "203.0.113.8"), "203.0.113.0/24"),
    ]
    batch = batch_for_page(MAPPING, hits, str, skip=lambda _hit, why: skipped.append(why))
    assert len(skipped) == 1 and "bad host!" in skipped[0]
    assert batch.events[0].counters == {"hits": 1}
    assert "203.0.113.7" not in {i.value for i in batch.indicators}


def test_no_hits_make_an_empty_batch_that_still_moves_the_cursor() -> None:
    batch = batch_for_page(MAPPING, [], str, cursor="c2")
    assert len(batch) == 0
    assert batch.cursor == "c2"


def test_repeated_values_become_one_indicator_holding_every_hit() -> None:
    hits = [
        (Hit(T0 + timedelta(minutes=9), "203.0.113.7"), "203.0.113.0/24"),
        (Hit(T0, "203.0.113.7", malware_family="TrickBot"), "203.0.113.0/24"),
        (Hit(T0 + timedelta(minutes=4), "203.0.113.8"), "203.0.113.0/24"),
    ]
    batch = batch_for_page(MAPPING, hits, lambda block: f"key:{block}")
    hosts = [i for i in batch.indicators if i.value == "203.0.113.7"]
    assert len(hosts) == 1
    (host,) = hosts
    assert host.counters == {"hits": 2}
    assert (host.first_seen, host.last_seen) == (T0, T0 + timedelta(minutes=9))
    assert sorted((a.name, a.value, a.seen_at) for a in host.attributes) == [
        ("Malware Family", "Emotet", T0 + timedelta(minutes=9)),
        ("Malware Family", "TrickBot", T0),
        ("Monitored Block", "203.0.113.0/24", T0),
        ("Monitored Block", "203.0.113.0/24", T0 + timedelta(minutes=9)),
    ]
    (url,) = [i for i in batch.indicators if i.type is IndicatorType.URL]
    assert url.counters == {"hits": 3}
    assert (url.first_seen, url.last_seen) == (T0, T0 + timedelta(minutes=9))
    pairs = [frozenset((r.a, r.b)) for r in batch.relations]
    assert len(pairs) == len(set(pairs))  # each relation once, however many hits share it
    assert frozenset((host.ref, url.ref)) in pairs
    batch.validate()
