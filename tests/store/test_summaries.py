"""Event counters add once per batch, and templated titles are filled in from stored facts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from tipwire.model import Attribute, Event, EventType, Indicator, IndicatorType, IngestBatch, Source
from tipwire.store import Store, queries

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def page(cursor: str | None, hosts: list[str], hits: int) -> IngestBatch:
    batch = IngestBatch(Source("Sinkhole feed"), cursor=cursor, observed_at=T0)
    event = Event(
        "Feed: {hits} hits from 203.0.113.0/24",
        EventType.COMMAND_AND_CONTROL,
        T0,
        description="{related:IP Address} hosts; families: {attribute:Malware Family}",
        key="feed:block",
        attributes=[Attribute("Malware Family", "Emotet" if hits % 2 else "Dridex")],
        counters={"hits": hits},
    )
    batch.add(event)
    for host in hosts:
        indicator = Indicator(IndicatorType.IP_ADDRESS, host)
        batch.add(indicator)
        batch.relate(event, indicator)
    return batch


def only_event(engine: Engine) -> queries.EventView:
    with engine.connect() as connection:
        events = queries.list_events(connection, queries.EventQuery()).items
    assert len(events) == 1
    return events[0]


def test_counters_add_across_batches_and_fill_the_title(store: Store, engine: Engine) -> None:
    store.ingest(page("c1", ["203.0.113.1", "203.0.113.2"], 5))
    store.ingest(page("c2", ["203.0.113.2", "203.0.113.3"], 4))
    event = only_event(engine)
    assert event.title == "Feed: 9 hits from 203.0.113.0/24"
    assert event.description == "3 hosts; families: Dridex, Emotet"


def test_the_same_batch_again_does_not_count_twice(store: Store, engine: Engine) -> None:
    store.ingest(page("c1", ["203.0.113.1"], 5))
    again = store.ingest(page("c1", ["203.0.113.1"], 5))
    assert again.events.unchanged == 1
    assert only_event(engine).title == "Feed: 5 hits from 203.0.113.0/24"


def test_batches_without_cursor_are_told_apart_by_content(store: Store, engine: Engine) -> None:
    store.ingest(page(None, ["203.0.113.1"], 5))
    store.ingest(page(None, ["203.0.113.1"], 5))
    store.ingest(page(None, ["203.0.113.9"], 2))
    assert only_event(engine).title == "Feed: 7 hits from 203.0.113.0/24"


def test_a_title_without_placeholders_is_kept_as_written(store: Store, engine: Engine) -> None:
    batch = IngestBatch(Source("Analyst"))
    batch.add(Event("Phishing wave {not a placeholder", EventType.SPEARPHISH, T0))
    store.ingest(batch)
    assert only_event(engine).title == "Phishing wave {not a placeholder"


def hits_batch(cursor: str | None, hosts: list[str]) -> IngestBatch:
    batch = IngestBatch(Source("Sinkhole feed"), cursor=cursor, observed_at=T0)
    for host in hosts:
        batch.add(Indicator(IndicatorType.IP_ADDRESS, host, counters={"hits": 1}))
    return batch


def hit_counts(engine: Engine) -> dict[str, dict[str, int]]:
    with engine.connect() as connection:
        page = queries.list_indicators(connection, queries.IndicatorQuery())
    return {v.value: v.counters for v in page.items}


def test_indicator_counters_add_per_batch_and_sum_duplicates(store: Store, engine: Engine) -> None:
    store.ingest(hits_batch("c1", ["192.0.2.1", "192.0.2.1", "192.0.2.2"]))
    store.ingest(hits_batch("c2", ["192.0.2.1"]))
    store.ingest(hits_batch("c2", ["192.0.2.1"]))  # the same batch again counts once
    assert hit_counts(engine) == {"192.0.2.1": {"hits": 3}, "192.0.2.2": {"hits": 1}}


def test_indicators_without_counters_show_none(store: Store, engine: Engine) -> None:
    store.ingest(
        IngestBatch(Source("Analyst"), indicators=[Indicator(IndicatorType.FQDN, "a.example")])
    )
    assert hit_counts(engine) == {"a.example": {}}
