"""Captured credentials map to Login Compromise events with whitelisted emails and usernames."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tipwire.integrations.credential_events import CredentialMapping, batch_for_page
from tipwire.model import IndicatorType, Source, Status

T0 = datetime(2026, 2, 1, tzinfo=UTC)
MAPPING = CredentialMapping("CTAC", Source("Wapack Labs CTAC"), Status.WHITELISTED)


@dataclass(frozen=True)
class Capture:
    email: str
    username: str = ""
    captured_at: datetime = T0
    keylogger: str = "Agent Tesla"
    leak_url: str = "https://login.example.net/"
    application: str = "Chrome"
    victim_ip: str = "192.0.2.5"
    victim_host: str = "PC-1"


def test_email_carries_the_leak_and_a_different_username_is_related() -> None:
    batch = batch_for_page(
        MAPPING,
        [(Capture("Bob@Example.com", username="bobby"), "example.com"),
         (Capture("ann@example.com", username="ANN@example.com"), "example.com")],
        lambda domain: f"k:{domain}",
    )  # fmt: skip
    (event,) = batch.events
    assert event.title == "CTAC keylogger: {credentials} credentials captured for example.com"
    assert event.counters == {"credentials": 2}
    by_type = {(i.type, i.value): i for i in batch.indicators}
    bob = by_type[(IndicatorType.EMAIL_ADDRESS, "bob@example.com")]
    assert bob.status is Status.WHITELISTED
    assert {(a.name, a.value) for a in bob.attributes} >= {
        ("Keylogger", "Agent Tesla"), ("Leak Location", "https://login.example.net/"),
        ("Application", "Chrome"), ("Victim Host", "PC-1"), ("Victim IP", "192.0.2.5"),
        ("Captured At", T0.isoformat()), ("Password Captured", "Yes"),
    }  # fmt: skip
    usernames = [i.value for i in batch.indicators if i.type is IndicatorType.USERNAME]
    assert usernames == ["bobby"]  # ann's username is her email: no second indicator
    batch.validate()


def test_a_capture_with_a_bad_email_is_skipped_and_reported() -> None:
    skipped: list[str] = []
    batch = batch_for_page(
        MAPPING,
        [(Capture("bob@@example.com"), "example.com"), (Capture("ann@example.com"), "example.com")],
        str,
        skip=lambda _capture, why: skipped.append(why),
    )
    assert skipped == ["Email Address: 'bob@@example.com' is not a valid email address"]
    assert batch.events[0].counters == {"credentials": 1}
