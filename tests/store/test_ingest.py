"""Ingest is one transaction, idempotent, and keeps protected and analyst-set statuses."""

from __future__ import annotations

import importlib
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from tipwire.errors import BatchRejectedError
from tipwire.model import (
    Attribute,
    Event,
    EventRef,
    EventType,
    Indicator,
    IndicatorRef,
    IndicatorType,
    IngestBatch,
    Relation,
    Source,
    Status,
    Tlp,
)
from tipwire.model.whitelist import WhitelistRule
from tipwire.store import Store, curation, queries, whitelist
from tipwire.store.schema import IndicatorRelationRow

from .snapshot import MOVING, snapshot

# The package re-exports the ingest function under the module's name.
ingest_module = importlib.import_module("tipwire.store.ingest")
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SOURCE = Source("Wapack Labs CTAC", Tlp.AMBER)
IP = IndicatorType.IP_ADDRESS
URL = IndicatorType.URL


def sinkhole_batch(observed: datetime = T0) -> IngestBatch:
    """A small batch shaped like a sinkhole monitor's: event, host, URL, relations."""
    batch = IngestBatch(SOURCE, observed_at=observed)
    event = Event(
        "CTAC sinkhole: 1 hit from 203.0.113.0/24",
        EventType.COMMAND_AND_CONTROL,
        T0,
        key="ctac-sinkhole:0:203.0.113.0/24",
    )
    host = Indicator(IP, "203.0.113.7", attributes=[Attribute("Malware Family", "Emotet")])
    url = Indicator(
        URL,
        "hxxp://evil[.]example/gate.php",
        status=Status.ACTIVE,
        attributes=[Attribute("Malware Family", "Emotet")],
    )
    batch.add(event, host, url)
    batch.relate(event, host)
    batch.relate(event, url)
    batch.relate(host, url)
    return batch


def test_first_ingest_creates_everything_and_counts_it(store: Store) -> None:
    result = store.ingest(sinkhole_batch())
    assert result.as_dict() == {
        "indicators": {"created": 2, "updated": 0, "unchanged": 0},
        "attributes": {"created": 2, "updated": 0, "unchanged": 0},
        "events": {"created": 1, "updated": 0, "unchanged": 0},
        "relations": {"created": 3, "updated": 0, "unchanged": 0},
    }


def test_same_batch_twice_changes_nothing(store: Store, engine: Engine) -> None:
    store.ingest(sinkhole_batch())
    before = snapshot(engine)
    result = store.ingest(sinkhole_batch())
    assert snapshot(engine) == before
    assert result.indicators.unchanged == 2 and result.indicators.created == 0
    assert result.attributes.unchanged == 2 and result.relations.unchanged == 3
    assert result.events.unchanged == 1


def test_batch_seen_later_moves_only_last_seen(store: Store, engine: Engine) -> None:
    store.ingest(sinkhole_batch())
    before = snapshot(engine, ignore=MOVING)
    later = T0 + timedelta(hours=3)
    result = store.ingest(sinkhole_batch(observed=later))
    assert snapshot(engine, ignore=MOVING) == before
    assert result.indicators.updated == 2 and result.attributes.updated == 2
    with engine.connect() as connection:
        view = queries.find_indicators(connection, "203.0.113.7")[0]
        attributes = queries.indicator_attributes(connection, view.id)
    assert view.first_seen == T0 and view.last_seen == later
    assert [(a.first_seen, a.last_seen) for a in attributes] == [(T0, later)]


def test_attributes_accumulate_instead_of_overwriting(store: Store, engine: Engine) -> None:
    for family, when in (("Emotet", T0), ("TrickBot", T0 + timedelta(days=1))):
        batch = IngestBatch(SOURCE, observed_at=when)
        batch.add(Indicator(IP, "198.51.100.9", attributes=[Attribute("Malware Family", family)]))
        store.ingest(batch)
    with engine.connect() as connection:
        view = queries.find_indicators(connection, "198.51.100.9")[0]
        attributes = queries.indicator_attributes(connection, view.id)
    assert [(a.value, a.first_seen) for a in attributes] == [
        ("Emotet", T0),
        ("TrickBot", T0 + timedelta(days=1)),
    ]


def test_earlier_sighting_moves_first_seen_back(store: Store, engine: Engine) -> None:
    store.ingest(IngestBatch(SOURCE, indicators=[Indicator(IP, "198.51.100.1")], observed_at=T0))
    earlier = T0 - timedelta(days=2)
    result = store.ingest(
        IngestBatch(SOURCE, indicators=[Indicator(IP, "198.51.100.1")], observed_at=earlier)
    )
    assert result.indicators.updated == 1
    with engine.connect() as connection:
        view = queries.find_indicators(connection, "198.51.100.1")[0]
    assert (view.first_seen, view.last_seen) == (earlier, T0)


def status_of(engine: Engine, value: str) -> str:
    with engine.connect() as connection:
        return queries.find_indicators(connection, value)[0].status


def ingest_one(store: Store, value: str, status: Status | None, when: datetime = T0) -> None:
    store.ingest(
        IngestBatch(SOURCE, indicators=[Indicator(IP, value, status=status)], observed_at=when)
    )


def test_new_indicator_without_status_is_review(store: Store, engine: Engine) -> None:
    ingest_one(store, "192.0.2.1", None)
    assert status_of(engine, "192.0.2.1") == "Review"


def test_feed_may_raise_an_unprotected_status(store: Store, engine: Engine) -> None:
    ingest_one(store, "192.0.2.1", Status.REVIEW)
    ingest_one(store, "192.0.2.1", Status.ACTIVE)
    assert status_of(engine, "192.0.2.1") == "Active"


def test_whitelisted_status_is_never_changed_by_ingest(store: Store, engine: Engine) -> None:
    ingest_one(store, "192.0.2.1", Status.WHITELISTED)
    ingest_one(store, "192.0.2.1", Status.ACTIVE, T0 + timedelta(hours=1))
    assert status_of(engine, "192.0.2.1") == "Whitelisted"


def test_status_set_by_an_analyst_survives_ingest(store: Store, engine: Engine) -> None:
    ingest_one(store, "192.0.2.1", Status.WHITELISTED)
    with store.write() as connection:
        view = queries.find_indicators(connection, "192.0.2.1")[0]
        curation.set_status(connection, view.id, Status.ACTIVE)
    ingest_one(store, "192.0.2.1", Status.WHITELISTED, T0 + timedelta(hours=1))
    assert status_of(engine, "192.0.2.1") == "Active"


@pytest.mark.parametrize(
    ("rule_type", "pattern", "indicator"),
    [
        (IndicatorType.FQDN, "*.example.com", Indicator(IndicatorType.FQDN, "mail.Example.com")),
        (
            IndicatorType.EMAIL_ADDRESS,
            "*@example.org",
            Indicator(IndicatorType.EMAIL_ADDRESS, "a@example.org"),
        ),
        (IP, "203.0.113.0/24", Indicator(IP, "203.0.113.77")),
        (
            IndicatorType.IPV6_ADDRESS,
            "2001:db8:1000::/36",
            Indicator(IndicatorType.IPV6_ADDRESS, "2001:db8:1fff::5"),
        ),
        (URL, "http://intranet.example/*", Indicator(URL, "http://intranet.example/login")),
    ],
)
def test_whitelist_rule_applies_at_ingest(
    store: Store, engine: Engine, rule_type: IndicatorType, pattern: str, indicator: Indicator
) -> None:
    with store.write() as connection:
        whitelist.add_rule(connection, WhitelistRule.parse(rule_type, pattern))
    indicator.status = Status.ACTIVE
    store.ingest(IngestBatch(SOURCE, indicators=[indicator]))
    assert status_of(engine, indicator.value) == "Whitelisted"


def test_whitelist_rule_does_not_touch_non_matching_values(store: Store, engine: Engine) -> None:
    with store.write() as connection:
        whitelist.add_rule(connection, WhitelistRule.parse(IP, "203.0.113.0/24"))
        whitelist.add_rule(connection, WhitelistRule.parse(IndicatorType.FQDN, "*.example.com"))
    store.ingest(
        IngestBatch(
            SOURCE,
            indicators=[
                Indicator(IP, "203.0.114.1", status=Status.ACTIVE),
                Indicator(IndicatorType.FQDN, "example.com.evil.net", status=Status.ACTIVE),
            ],
        )
    )
    assert status_of(engine, "203.0.114.1") == "Active"
    assert status_of(engine, "example.com.evil.net") == "Active"


def test_new_whitelist_rule_whitelists_stored_indicators(store: Store, engine: Engine) -> None:
    ingest_one(store, "203.0.113.5", Status.ACTIVE)
    ingest_one(store, "198.51.100.5", Status.ACTIVE)
    with store.write() as connection:
        _, changed = whitelist.add_rule(connection, WhitelistRule.parse(IP, "203.0.113.0/24"))
    assert changed == 1
    assert status_of(engine, "203.0.113.5") == "Whitelisted"
    assert status_of(engine, "198.51.100.5") == "Active"


def test_relations_are_unique_by_their_ends(store: Store, engine: Engine) -> None:
    a, b = Indicator(IP, "192.0.2.1"), Indicator(IP, "192.0.2.2")
    batch = IngestBatch(SOURCE, indicators=[a, b])
    batch.relate(a, b)
    batch.relate(b, a)
    assert store.ingest(batch).relations.created == 1
    reverse = IngestBatch(SOURCE, indicators=[a, b])
    reverse.relate(b, a)
    assert store.ingest(reverse).relations.unchanged == 1
    with engine.connect() as connection:
        assert (
            connection.execute(select(func.count()).select_from(IndicatorRelationRow)).scalar() == 1
        )


def test_duplicates_within_one_batch_become_one_indicator(store: Store, engine: Engine) -> None:
    batch = IngestBatch(SOURCE)
    batch.add(
        Indicator(URL, "http://EVIL.example/x", attributes=[Attribute("Malware Family", "Emotet")]),
        Indicator(
            URL,
            "hxxp://evil[.]example/x",
            status=Status.ACTIVE,
            attributes=[
                Attribute("Malware Family", "Emotet"),
                Attribute("Malware Family", "Dridex"),
            ],
        ),
    )
    result = store.ingest(batch)
    assert result.indicators.created == 1 and result.attributes.created == 2
    assert status_of(engine, "http://evil.example/x") == "Active"


def test_event_with_same_key_is_updated_not_duplicated(store: Store, engine: Engine) -> None:
    store.ingest(sinkhole_batch())
    batch = sinkhole_batch()
    batch.events[0].title = "CTAC sinkhole: 3 hits from 203.0.113.0/24"
    result = store.ingest(batch)
    assert result.events.updated == 1 and result.events.created == 0
    with engine.connect() as connection:
        page = queries.list_events(connection, queries.EventQuery())
    assert [e.title for e in page.items] == ["CTAC sinkhole: 3 hits from 203.0.113.0/24"]


def test_relation_to_an_object_outside_the_batch_rejects_it_whole(
    store: Store, engine: Engine
) -> None:
    store.ingest(sinkhole_batch())
    before = snapshot(engine)
    bad = sinkhole_batch(observed=T0 + timedelta(days=1))
    bad.add(Indicator(IP, "192.0.2.99"))
    bad.relations.append(Relation(IndicatorRef(IP, "192.0.2.99"), EventRef("no-such-event")))
    with pytest.raises(
        BatchRejectedError, match="relation 4: event 'no-such-event' is not in the batch"
    ):
        store.ingest(bad)
    assert snapshot(engine) == before


def test_failure_midway_commits_nothing(
    store: Store, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.ingest(sinkhole_batch())
    before = snapshot(engine)

    def fail(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    # Fault injection after events and indicators were written in this transaction.
    monkeypatch.setattr(ingest_module, "_merge_attributes", fail)
    batch = sinkhole_batch(observed=T0 + timedelta(days=1))
    batch.add(Indicator(IP, "192.0.2.50"))
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.ingest(batch)
    assert snapshot(engine) == before


def test_large_batch_round_trips(store: Store, engine: Engine) -> None:
    batch = IngestBatch(SOURCE, observed_at=T0)
    hosts = [
        Indicator(
            IP,
            f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}",
            attributes=[Attribute("Monitored Block", "10.0.0.0/8")],
        )
        for i in range(5000)
    ]
    batch.indicators.extend(hosts)
    for left, right in itertools.pairwise(hosts):
        batch.relate(left, right)
    first = store.ingest(batch)
    assert (first.indicators.created, first.attributes.created, first.relations.created) == (
        5000,
        5000,
        4999,
    )
    second = store.ingest(batch)
    assert (
        second.indicators.unchanged,
        second.attributes.unchanged,
        second.relations.unchanged,
    ) == (5000, 5000, 4999)
    with engine.connect() as connection:
        page = queries.list_indicators(connection, queries.IndicatorQuery(limit=1))
        assert page.total == 5000
        middle = queries.find_indicators(connection, "10.0.10.0")[0]
        assert len(queries.related_indicators(connection, middle.id)) == 2
