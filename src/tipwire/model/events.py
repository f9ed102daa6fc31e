"""Event types, named as in ThreatQ."""

from __future__ import annotations

from enum import StrEnum

from tipwire.errors import InvalidValueError


class EventType(StrEnum):
    """What kind of thing an Event records."""

    SPEARPHISH = "Spearphish"
    WATERING_HOLE = "Watering Hole"
    SQL_INJECTION_ATTACK = "SQL Injection Attack"
    DOS_ATTACK = "DoS Attack"
    MALWARE = "Malware"
    WATCHLIST = "Watchlist"
    COMMAND_AND_CONTROL = "Command and Control"
    ANONYMIZATION = "Anonymization"
    EXFILTRATION = "Exfiltration"
    HOST_CHARACTERISTICS = "Host Characteristics"
    COMPROMISED_PKI_CERTIFICATE = "Compromised PKI Certificate"
    LOGIN_COMPROMISE = "Login Compromise"
    INCIDENT = "Incident"
    SIGHTING = "Sighting"

    @classmethod
    def parse(cls, name: str) -> EventType:
        """Return the event type named ``name`` (case-insensitive) or raise naming it."""
        for event_type in cls:
            if isinstance(name, str) and event_type.value.lower() == name.strip().lower():
                return event_type
        known = ", ".join(t.value for t in cls)
        raise InvalidValueError("event type", name, f"is not an event type (known: {known})")
