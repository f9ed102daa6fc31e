"""The objects of threat intelligence: sources, attributes, indicators, events, relations."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from tipwire.errors import InvalidValueError
from tipwire.model.events import EventType
from tipwire.model.status import Status
from tipwire.model.types import IndicatorType

MAX_NAME_LENGTH = 128
MAX_TITLE_LENGTH = 512


class Tlp(StrEnum):
    """Traffic Light Protocol 2.0 labels that say how far a source's data may travel."""

    CLEAR = "TLP:CLEAR"
    GREEN = "TLP:GREEN"
    AMBER = "TLP:AMBER"
    AMBER_STRICT = "TLP:AMBER+STRICT"
    RED = "TLP:RED"

    @classmethod
    def parse(cls, name: str) -> Tlp:
        """Return the label for ``name`` (``amber``, ``TLP:AMBER``, ``white`` = CLEAR)."""
        text = str(name).strip().upper().removeprefix("TLP:")
        text = "CLEAR" if text == "WHITE" else text
        for tlp in cls:
            if tlp.value == f"TLP:{text}":
                return tlp
        raise InvalidValueError("tlp", name, "is not a TLP label (CLEAR, GREEN, AMBER, RED)")


def utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime; naive times are taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _name(kind: str, value: object, limit: int = MAX_NAME_LENGTH) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(kind, value, "must be non-empty text")
    text = value.strip()
    if len(text) > limit:
        raise InvalidValueError(kind, text[:40] + "...", f"is longer than {limit} characters")
    return text


@dataclass(frozen=True, slots=True)
class Source:
    """Where intelligence came from, and how far it may be shared."""

    name: str
    tlp: Tlp = Tlp.AMBER

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _name("source", self.name))
        object.__setattr__(self, "tlp", Tlp.parse(self.tlp))


@dataclass(frozen=True, slots=True)
class Attribute:
    """A named fact about an object; attributes accumulate rather than overwrite."""

    name: str
    value: str
    seen_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _name("attribute name", self.name))
        value = self.value if isinstance(self.value, str) else str(self.value)
        if not value.strip():
            raise InvalidValueError(f"attribute {self.name!r}", self.value, "must not be empty")
        object.__setattr__(self, "value", value.strip())
        if self.seen_at is not None:
            object.__setattr__(self, "seen_at", utc(self.seen_at))

    @classmethod
    def of_clean(cls, name: str, value: str, seen_at: datetime) -> Attribute:
        """An attribute from values a reader has cleaned already: a fixed name, a stripped
        non-empty value and a UTC time. It skips the checks, which cost a report of a million
        rows a tenth of a second per hundred thousand attributes.
        """
        attribute = object.__new__(cls)
        object.__setattr__(attribute, "name", name)
        object.__setattr__(attribute, "value", value)
        object.__setattr__(attribute, "seen_at", seen_at)
        return attribute


@dataclass(frozen=True, slots=True)
class IndicatorRef:
    """Names an indicator by its natural key, so plugins never need database ids."""

    type: IndicatorType
    value: str


@dataclass(frozen=True, slots=True)
class EventRef:
    """Names an event by its stable key."""

    key: str


def check_counters(counters: dict[str, int]) -> None:
    """Refuse counter names that are not simple names and amounts that are not counts."""
    for name, amount in counters.items():
        if not isinstance(name, str) or not name.isidentifier() or len(name) > 64:
            raise InvalidValueError("counter", name, "must be a simple name")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise InvalidValueError(f"counter {name!r}", amount, "must be a whole number >= 0")


def _score(value: int | None) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10:
        raise InvalidValueError("score", value, "must be an integer from 0 to 10")
    return value


@dataclass(slots=True)
class Indicator:
    """An observable (address, domain, URL, email, ...) normalised at construction."""

    type: IndicatorType
    value: str
    status: Status | None = None
    score: int | None = None
    attributes: list[Attribute] = field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    counters: dict[str, int] = field(default_factory=dict)
    """Amounts this batch adds, such as hits; the store keeps their totals per source."""

    def __post_init__(self) -> None:
        check_counters(self.counters)
        self.type = (
            IndicatorType.parse(self.type)
            if not isinstance(self.type, IndicatorType)
            else self.type
        )
        self.value = self.type.normalise(self.value)
        if self.status is not None and not isinstance(self.status, Status):
            self.status = Status.parse(self.status)
        self.score = _score(self.score)
        self.first_seen = utc(self.first_seen) if self.first_seen else None
        self.last_seen = utc(self.last_seen) if self.last_seen else None

    @property
    def ref(self) -> IndicatorRef:
        """The natural key that relations use to name this indicator."""
        return IndicatorRef(self.type, self.value)


def event_key(*parts: object) -> str:
    """Build a stable event key from the parts that identify an event."""
    digest = hashlib.blake2b("\x1f".join(str(p) for p in parts).encode(), digest_size=16)
    return digest.hexdigest()


@dataclass(slots=True)
class Event:
    """Something that happened, with a title, a type and a time; keyed for idempotent ingest.

    ``counters`` are amounts this batch adds (hits, say). The title and description may name
    them, and facts the store keeps about the event, as placeholders that the store fills in
    after each ingest: ``{hits}`` (a counter's total), ``{related:IP Address}`` (how many
    related indicators of a type), ``{attribute:Malware Family}`` (the event attribute's values).
    """

    title: str
    type: EventType
    happened_at: datetime
    description: str = ""
    key: str = ""
    attributes: list[Attribute] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.title = _name("title", self.title, MAX_TITLE_LENGTH)
        self.type = (
            EventType.parse(self.type) if not isinstance(self.type, EventType) else self.type
        )
        if not isinstance(self.happened_at, datetime):
            raise InvalidValueError("happened_at", self.happened_at, "is not a date and time")
        self.happened_at = utc(self.happened_at)
        self.description = (self.description or "").strip()
        if not self.key:
            self.key = event_key(self.type, self.title, self.happened_at.isoformat())
        self.key = _name("event key", self.key, 255)
        check_counters(self.counters)

    @property
    def ref(self) -> EventRef:
        """The stable key that relations use to name this event."""
        return EventRef(self.key)


Ref = IndicatorRef | EventRef


@dataclass(frozen=True, slots=True)
class Relation:
    """An undirected link between two objects, unique by its two ends."""

    a: Ref
    b: Ref

    @classmethod
    def between(cls, a: Indicator | Event | Ref, b: Indicator | Event | Ref) -> Relation:
        """Relate two objects or references."""
        left = a.ref if isinstance(a, Indicator | Event) else a
        right = b.ref if isinstance(b, Indicator | Event) else b
        return cls(left, right)
