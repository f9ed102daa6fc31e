"""Indicator statuses; a protected status is never changed by ingest."""

from __future__ import annotations

from enum import StrEnum

from tipwire.errors import InvalidValueError


class Status(StrEnum):
    """Built-in indicator statuses with ThreatQ's numeric ids."""

    ACTIVE = "Active"
    EXPIRED = "Expired"
    INDIRECT = "Indirect"
    REVIEW = "Review"
    WHITELISTED = "Whitelisted"

    @property
    def code(self) -> int:
        """ThreatQ's numeric id of this status."""
        return _CODES[self]

    @property
    def protected(self) -> bool:
        """Whether ingest must keep this status once an indicator has it."""
        return self in PROTECTED_STATUSES

    @classmethod
    def parse(cls, name: str) -> Status:
        """Return the status named ``name`` (case-insensitive) or raise naming it."""
        for status in cls:
            if isinstance(name, str) and status.value.lower() == name.strip().lower():
                return status
        known = ", ".join(s.value for s in cls)
        raise InvalidValueError("status", name, f"is not a status (known: {known})")


_CODES = {
    Status.ACTIVE: 1,
    Status.EXPIRED: 2,
    Status.INDIRECT: 3,
    Status.REVIEW: 4,
    Status.WHITELISTED: 5,
}
PROTECTED_STATUSES = frozenset({Status.WHITELISTED})
DEFAULT_STATUS = Status.REVIEW
