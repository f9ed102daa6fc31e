"""Captured credentials of monitored domains become Login Compromise Events (any provider)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

TITLE = "{provider} keylogger: {credentials} credentials captured for {domain}"
DESCRIPTION = (
    "Keyloggers on victim machines captured {credentials} passwords of "
    "{related:Email Address} accounts in the monitored domain {domain}. "
    "Keyloggers: {attribute:Keylogger}. Decide on password resets."
)


class CapturedCredential(Protocol):
    """What a provider's credential record must offer; a password itself is never offered."""

    @property
    def captured_at(self) -> datetime: ...
    @property
    def email(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def keylogger(self) -> str: ...
    @property
    def leak_url(self) -> str: ...
    @property
    def application(self) -> str: ...
    @property
    def victim_ip(self) -> str: ...
    @property
    def victim_host(self) -> str: ...


@dataclass(frozen=True, slots=True)
class CredentialMapping:
    """How one monitor turns captures into objects: its provider name, source and statuses."""

    provider: str
    source: Source
    email_status: Status
    username_status: Status = Status.REVIEW


def batch_for_page(
    mapping: CredentialMapping,
    matched: Sequence[tuple[CapturedCredential, str]],
    event_key: Callable[[str], str],
    *,
    cursor: str | None = None,
    skip: Callable[[CapturedCredential, str], None] | None = None,
) -> IngestBatch:
    """One batch for matched captures (each with its monitored domain): an Event per domain."""
    batch = IngestBatch(mapping.source, cursor=cursor)
    per_domain: dict[str, list[tuple[CapturedCredential, list[Indicator]]]] = {}
    for capture, domain in matched:
        try:
            objects = _indicators_for(mapping, capture)
        except InvalidValueError as exc:
            if skip is None:
                raise
            skip(capture, str(exc))
            continue
        per_domain.setdefault(domain, []).append((capture, objects))
    for domain, captures in per_domain.items():
        _add_event(batch, mapping, domain, captures, event_key(domain))
    return batch


def _indicators_for(mapping: CredentialMapping, capture: CapturedCredential) -> list[Indicator]:
    seen = capture.captured_at
    facts = [
        ("Keylogger", capture.keylogger),
        ("Leak Location", capture.leak_url),
        ("Application", capture.application),
        ("Victim Host", capture.victim_host),
        ("Victim IP", capture.victim_ip),
        ("Captured At", seen.isoformat()),
        ("Password Captured", "Yes"),
    ]
    email = Indicator(
        IndicatorType.EMAIL_ADDRESS,
        capture.email,
        status=mapping.email_status,
        attributes=[Attribute(name, value, seen) for name, value in facts if value.strip()],
        first_seen=seen,
        last_seen=seen,
        counters={"captures": 1},
    )
    objects = [email]
    username = capture.username.strip()
    if username and username.lower() != email.value:
        objects.append(
            Indicator(
                IndicatorType.USERNAME,
                username,
                status=mapping.username_status,
                first_seen=seen,
                last_seen=seen,
            )
        )
    return objects


def _add_event(
    batch: IngestBatch,
    mapping: CredentialMapping,
    domain: str,
    captures: list[tuple[CapturedCredential, list[Indicator]]],
    key: str,
) -> None:
    families = sorted({c.keylogger.strip() for c, _ in captures if c.keylogger.strip()})
    event = Event(
        TITLE.format(provider=mapping.provider, credentials="{credentials}", domain=domain),
        EventType.LOGIN_COMPROMISE,
        min(c.captured_at for c, _ in captures),
        description=DESCRIPTION.replace("{domain}", domain),
        key=key,
        attributes=[Attribute("Keylogger", family) for family in families]
        + [Attribute("Monitored Domain", domain)],
        counters={"credentials": len(captures)},
    )
    batch.add(event)
    for _, objects in captures:
        email, *rest = objects
        batch.add(*objects)
        batch.relate(event, email)
        for username in rest:
            batch.relate(event, username)
            batch.relate(email, username)
