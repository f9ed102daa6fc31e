"""A store holding every indicator type, two events, relations and a whitelisted email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tipwire.model import (
    Attribute,
    Event,
    EventType,
    Indicator,
    IndicatorType,
    IngestBatch,
    Source,
    Status,
    Tlp,
)
from tipwire.store import Store
from tipwire.store.schema import EventRow, IndicatorRow, table

SEEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
FAMILY = Attribute("Malware Family", "Zeus")

VALUES = {
    IndicatorType.IP_ADDRESS: "203.0.113.66",
    IndicatorType.IPV6_ADDRESS: "2001:db8::66",
    IndicatorType.CIDR_BLOCK: "198.51.100.0/24",
    IndicatorType.FQDN: "bad.example.net",
    IndicatorType.URL: "http://bad.example.net/gate.php?id='1'",
    IndicatorType.EMAIL_ADDRESS: "phisher@bad.example.net",
    IndicatorType.USER_AGENT: "Mozilla/4.0 (compatible; Zeus\\bot)",
    IndicatorType.USERNAME: "jdoe",
    IndicatorType.MD5: "d41d8cd98f00b204e9800998ecf8427e",
    IndicatorType.SHA1: "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    IndicatorType.SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    IndicatorType.FILENAME: "invoice.pdf.exe",
    IndicatorType.ASN: "AS64500",
    IndicatorType.STRING: "free text clue",
}
WHITELISTED_EMAIL = "ceo@example.com"
INFECTED_HOST = "192.0.2.10"


@dataclass(slots=True)
class Populated:
    """The store and the ids of what was put in it."""

    store: Store
    c2_event: int
    login_event: int
    whitelisted_email: int


def _indicator(type_: IndicatorType, value: str, status: Status, **extra: object) -> Indicator:
    return Indicator(type_, value, status=status, first_seen=SEEN, last_seen=SEEN, **extra)  # type: ignore[arg-type]


@pytest.fixture
def populated(store: Store) -> Populated:
    """Ingest one batch per source: a C2 event with every type, a login event with a whitelist."""
    c2 = Event("Zeus C2 seen", EventType.COMMAND_AND_CONTROL, SEEN, key="c2", attributes=[FAMILY])
    batch = IngestBatch(Source("Feed One", Tlp.GREEN), events=[c2])
    for type_, value in VALUES.items():
        status = Status.REVIEW if type_ is IndicatorType.USERNAME else Status.ACTIVE
        attributes = [FAMILY] if type_ in (IndicatorType.URL, IndicatorType.FQDN) else []
        indicator = _indicator(type_, value, status, attributes=attributes, score=7)
        batch.add(indicator)
        batch.relate(c2, indicator)
    host = _indicator(
        IndicatorType.IP_ADDRESS,
        INFECTED_HOST,
        Status.REVIEW,
        attributes=[FAMILY, Attribute("Monitored Block", "192.0.2.0/24")],
    )
    batch.add(host)
    batch.relate(c2, host)
    batch.relate(host, batch.indicators[4])  # the infected host called the C2 URL
    batch.relate(batch.indicators[3], batch.indicators[4])  # FQDN hosts the URL
    store.ingest(batch)

    login = Event(
        "Credentials captured",
        EventType.LOGIN_COMPROMISE,
        SEEN,
        key="login",
        attributes=[Attribute("Keylogger", "Agent Tesla")],
    )
    email = _indicator(IndicatorType.EMAIL_ADDRESS, WHITELISTED_EMAIL, Status.WHITELISTED)
    red = IngestBatch(Source("Red Partner", Tlp.AMBER_STRICT), events=[login], indicators=[email])
    red.relate(login, email)
    store.ingest(red)

    with store.read() as connection:
        events = dict(connection.execute(select(table(EventRow).c.key, table(EventRow).c.id)).all())
        whitelisted = connection.execute(
            select(table(IndicatorRow).c.id).where(table(IndicatorRow).c.value == WHITELISTED_EMAIL)
        ).scalar_one()
    return Populated(store, events["c2"], events["login"], whitelisted)
