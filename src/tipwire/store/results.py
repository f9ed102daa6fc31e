"""Counts an ingest reports per kind of object."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Counts:
    """How many objects of one kind an ingest created, updated or left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


@dataclass(slots=True)
class IngestResult:
    """Counts per kind of object for one ingested batch."""

    indicators: Counts = field(default_factory=Counts)
    attributes: Counts = field(default_factory=Counts)
    events: Counts = field(default_factory=Counts)
    relations: Counts = field(default_factory=Counts)

    def as_dict(self) -> dict[str, dict[str, int]]:
        """Plain dict form for JSON output and run records."""
        return {
            kind: {"created": c.created, "updated": c.updated, "unchanged": c.unchanged}
            for kind, c in (
                ("indicators", self.indicators),
                ("attributes", self.attributes),
                ("events", self.events),
                ("relations", self.relations),
            )
        }

    def __iadd__(self, other: IngestResult) -> IngestResult:
        self.indicators += other.indicators
        self.attributes += other.attributes
        self.events += other.events
        self.relations += other.relations
        return self
