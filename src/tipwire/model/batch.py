"""IngestBatch: the one seam through which everything reaches the store."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import datetime

from tipwire.errors import BatchRejectedError
from tipwire.model.objects import (
    Event,
    EventRef,
    Indicator,
    IndicatorRef,
    Ref,
    Relation,
    Source,
    utc,
)


@dataclass(slots=True)
class IngestBatch:
    """Events, indicators and relations from one source, ingested in one transaction."""

    source: Source
    events: list[Event] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    observed_at: datetime | None = None
    cursor: str | None = None

    def __post_init__(self) -> None:
        if self.observed_at is not None:
            self.observed_at = utc(self.observed_at)

    def add(self, *items: Indicator | Event | Relation) -> None:
        """Append indicators, events or relations to the batch."""
        for item in items:
            if isinstance(item, Indicator):
                self.indicators.append(item)
            elif isinstance(item, Event):
                self.events.append(item)
            else:
                self.relations.append(item)

    def relate(self, a: Indicator | Event | Ref, b: Indicator | Event | Ref) -> None:
        """Add a relation between two objects of this batch."""
        self.relations.append(Relation.between(a, b))

    def __len__(self) -> int:
        return len(self.events) + len(self.indicators) + len(self.relations)

    def validate(self, indicator_keys: Container[tuple[str, str]] | None = None) -> None:
        """Check that every relation names objects of this batch; raise naming the first bad one.

        ``indicator_keys`` may pass the (type, value) keys of the batch's indicators when the
        caller has them already, to save building them again for a large batch.
        """
        if not self.relations:
            return
        if indicator_keys is None:
            indicator_keys = {(i.type, i.value) for i in self.indicators}
        event_keys = {e.key for e in self.events}
        for position, relation in enumerate(self.relations, start=1):
            for end in (relation.a, relation.b):
                if isinstance(end, IndicatorRef) and (end.type, end.value) not in indicator_keys:
                    raise BatchRejectedError(
                        f"relation {position}: indicator {end.type.value} {end.value!r} "
                        "is not in the batch"
                    )
                if isinstance(end, EventRef) and end.key not in event_keys:
                    raise BatchRejectedError(
                        f"relation {position}: event {end.key!r} is not in the batch"
                    )
