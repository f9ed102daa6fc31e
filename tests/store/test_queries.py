"""The read side: filters, sorting, paging, look-up by value, pivots and search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from tipwire.errors import InvalidValueError, NotFoundError
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
from tipwire.store import Store, queries

T0 = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def loaded(store: Store, engine: Engine) -> Engine:
    """Two sources, two events, indicators of several types and their relations."""
    ctac = IngestBatch(Source("Wapack Labs CTAC"), observed_at=T0)
    sinkhole = Event("CTAC sinkhole: 2 hits from 203.0.113.0/24", EventType.COMMAND_AND_CONTROL, T0)
    host = Indicator(
        IndicatorType.IP_ADDRESS, "203.0.113.7", attributes=[Attribute("Malware Family", "Emotet")]
    )
    url = Indicator(IndicatorType.URL, "http://evil.example/gate.php", status=Status.ACTIVE)
    fqdn = Indicator(IndicatorType.FQDN, "evil.example", status=Status.ACTIVE)
    ctac.add(sinkhole, host, url, fqdn)
    for indicator in (host, url, fqdn):
        ctac.relate(sinkhole, indicator)
    ctac.relate(host, url)
    ctac.relate(url, fqdn)
    store.ingest(ctac)
    keylog = IngestBatch(Source("Keylogger feed"), observed_at=T0 + timedelta(days=1))
    leak = Event(
        "CTAC keylogger: 1 credential captured for example.com",
        EventType.LOGIN_COMPROMISE,
        T0 + timedelta(days=1),
    )
    email = Indicator(IndicatorType.EMAIL_ADDRESS, "bob@example.com", status=Status.WHITELISTED)
    keylog.add(leak, email)
    keylog.relate(leak, email)
    store.ingest(keylog)
    return engine


def test_filters_by_type_status_and_source(loaded: Engine) -> None:
    with loaded.connect() as connection:

        def values(**kwargs: object) -> list[str]:
            query = queries.IndicatorQuery(sort="value", **kwargs)  # type: ignore[arg-type]
            return [v.value for v in queries.list_indicators(connection, query).items]

        assert values(type=IndicatorType.URL) == ["http://evil.example/gate.php"]
        assert values(status=Status.ACTIVE) == ["evil.example", "http://evil.example/gate.php"]
        assert values(source="Keylogger feed") == ["bob@example.com"]
        assert values(search="EVIL") == ["evil.example", "http://evil.example/gate.php"]
        assert values(search="100%_") == []


def test_pages_carry_the_total_and_respect_sort(loaded: Engine) -> None:
    with loaded.connect() as connection:
        first = queries.list_indicators(connection, queries.IndicatorQuery(sort="value", limit=2))
        second = queries.list_indicators(
            connection, queries.IndicatorQuery(sort="value", limit=2, offset=2)
        )
        descending = queries.list_indicators(connection, queries.IndicatorQuery(sort="-value"))
    assert first.total == second.total == 4
    ordered = [v.value for v in first.items + second.items]
    assert ordered == sorted(ordered)
    assert [v.value for v in descending.items] == ordered[::-1]


def test_event_pages_carry_the_total_even_past_the_end(loaded: Engine) -> None:
    with loaded.connect() as connection:
        every = queries.list_events(connection, queries.EventQuery(limit=1000))
        first = queries.list_events(connection, queries.EventQuery(limit=1))
        beyond = queries.list_events(connection, queries.EventQuery(offset=every.total + 5))
    assert every.total == len(every.items) >= 2
    assert (first.total, len(first.items)) == (every.total, 1)
    assert (beyond.total, beyond.items) == (every.total, [])


@pytest.mark.parametrize(
    ("field", "kwargs", "message"),
    [
        ("sort", {"sort": "password"}, "sort: 'password' is not sortable"),
        ("limit", {"limit": 5000}, "limit: 5000 must be from 1 to 1000"),
        ("offset", {"offset": -1}, "offset: -1 must not be negative"),
    ],
)
def test_bad_paging_names_the_field(
    loaded: Engine, field: str, kwargs: dict[str, object], message: str
) -> None:
    with loaded.connect() as connection, pytest.raises(InvalidValueError, match=message) as caught:
        queries.list_indicators(connection, queries.IndicatorQuery(**kwargs))  # type: ignore[arg-type]
    assert caught.value.field == field


def test_events_filter_by_type_source_and_date(loaded: Engine) -> None:
    with loaded.connect() as connection:

        def titles(**kwargs: object) -> list[str]:
            return [
                e.title for e in queries.list_events(connection, queries.EventQuery(**kwargs)).items
            ]  # type: ignore[arg-type]

        assert len(titles()) == 2
        assert titles(type=EventType.LOGIN_COMPROMISE) == [
            "CTAC keylogger: 1 credential captured for example.com"
        ]
        assert titles(source="Wapack Labs CTAC") == ["CTAC sinkhole: 2 hits from 203.0.113.0/24"]
        assert titles(since=T0 + timedelta(hours=1)) == [
            "CTAC keylogger: 1 credential captured for example.com"
        ]
        assert titles(search="sinkhole") == ["CTAC sinkhole: 2 hits from 203.0.113.0/24"]


def test_find_by_value_normalises_the_question(loaded: Engine) -> None:
    with loaded.connect() as connection:
        assert [
            v.type for v in queries.find_indicators(connection, "hxxp://EVIL[.]example/gate.php")
        ] == ["URL"]
        assert [v.value for v in queries.find_indicators(connection, "Bob@Example.com")] == [
            "bob@example.com"
        ]
        assert queries.find_indicators(connection, "198.51.100.1") == []


def test_pivots_lead_from_event_to_indicators_and_back(loaded: Engine) -> None:
    with loaded.connect() as connection:
        event = queries.list_events(
            connection, queries.EventQuery(type=EventType.COMMAND_AND_CONTROL)
        ).items[0]
        related = queries.event_indicators(connection, event.id)
        assert related.total == 3
        url = next(v for v in related.items if v.type == "URL")
        assert [e.id for e in queries.indicator_events(connection, url.id)] == [event.id]
        neighbours = {v.value for v in queries.related_indicators(connection, url.id)}
        assert neighbours == {"203.0.113.7", "evil.example"}
        host = next(v for v in related.items if v.type == "IP Address")
        assert [
            (a.name, a.value, a.source) for a in queries.indicator_attributes(connection, host.id)
        ] == [("Malware Family", "Emotet", "Wapack Labs CTAC")]
        assert host.sources == ["Wapack Labs CTAC"]


def test_search_finds_values_and_titles(loaded: Engine) -> None:
    with loaded.connect() as connection:
        found = queries.search(connection, "example.com")
        assert [v.value for v in found.indicators] == ["bob@example.com"]
        assert [e.type for e in found.events] == ["Login Compromise"]
        exact_first = queries.search(connection, "evil.example")
        assert exact_first.indicators[0].value == "evil.example"
        with pytest.raises(InvalidValueError, match="query"):
            queries.search(connection, "  ")


def test_missing_objects_raise_not_found(loaded: Engine) -> None:
    with loaded.connect() as connection:
        with pytest.raises(NotFoundError, match="indicator 999"):
            queries.get_indicator(connection, 999)
        with pytest.raises(NotFoundError, match="event 999"):
            queries.get_event(connection, 999)


def test_a_nul_character_in_a_filter_is_named_not_sent_to_the_database(store: Store) -> None:
    with store.read() as connection:
        for listing, query in (
            (queries.list_indicators, queries.IndicatorQuery(search="evil\x00")),
            (queries.list_events, queries.EventQuery(search="evil\x00")),
            (queries.list_indicators, queries.IndicatorQuery(source="feed\x00")),
        ):
            with pytest.raises(InvalidValueError, match="contains a NUL character") as raised:
                listing(connection, query)  # type: ignore[operator]
            assert raised.value.field in {"search", "source"}
        with pytest.raises(InvalidValueError):
            queries.search(connection, "x\x00y")
