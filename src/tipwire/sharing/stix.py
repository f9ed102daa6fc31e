"""STIX 2.1 bundles: indicators with their observables, events as Reports, sources, TLP."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import stix2
from sqlalchemy import Connection

from tipwire.model import IndicatorType, Status, Tlp
from tipwire.sharing.ids import stix_id
from tipwire.sharing.observables import NO_PATTERN, observable
from tipwire.sharing.tlp import strictest
from tipwire.store import exports
from tipwire.store.exports import EventRecord, IndicatorRecord, SourceRecord

FAMILY_ATTRIBUTES = ("Malware Family", "Keylogger")
# STIX 2.1 defines TLP 1.0 markings. AMBER+STRICT has no equal there: it maps to RED so that
# a label is never loosened on the way out.
STIX_MARKINGS = {
    Tlp.CLEAR: stix2.TLP_WHITE,
    Tlp.GREEN: stix2.TLP_GREEN,
    Tlp.AMBER: stix2.TLP_AMBER,
    Tlp.AMBER_STRICT: stix2.TLP_RED,
    Tlp.RED: stix2.TLP_RED,
}
_INDICATOR_TYPES = {
    Status.ACTIVE.value: ["malicious-activity"],
    Status.WHITELISTED.value: ["benign"],
}


@dataclass(slots=True)
class StixSelection:
    """What to export: by status (default: all but Whitelisted), last seen since, one event."""

    status: Status | None = None
    since: datetime | None = None
    event_id: int | None = None


@dataclass(slots=True)
class StixExport:
    """A bundle and the indicators left out of it, each with the reason."""

    objects: list[Any] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def bundle(self) -> stix2.Bundle:
        """The objects as one STIX bundle."""
        return stix2.Bundle(objects=self.objects)

    def serialize(self) -> str:
        """The bundle as indented JSON text."""
        return str(self.bundle().serialize(pretty=True))

    def as_dict(self) -> dict[str, Any]:
        """The bundle as plain JSON data."""
        result: dict[str, Any] = json.loads(self.bundle().serialize())
        return result


def build_bundle(connection: Connection, selection: StixSelection) -> StixExport:
    """Build a STIX bundle of the selected indicators and the events they belong to."""
    chosen = (
        None if selection.event_id is None else exports.load_event(connection, selection.event_id)
    )
    ids = exports.indicator_ids(
        connection,
        status=selection.status,
        # Whitelisted indicators leave only when asked for by name.
        exclude=Status.WHITELISTED if selection.status is None else None,
        seen_since=selection.since,
        event_id=selection.event_id,
    )
    builder = _Builder()
    for record in exports.load_indicators(connection, ids):
        builder.add_indicator(record)
    for a_id, b_id in exports.relations_among(connection, builder.indicator_refs):
        created = max(builder.created[a_id], builder.created[b_id])
        builder.relate(
            builder.indicator_refs[a_id], builder.indicator_refs[b_id], "related-to", created
        )
    events = (
        [chosen]
        if chosen is not None
        else exports.load_events(
            connection, exports.event_ids_for(connection, list(builder.indicator_refs))
        )
    )
    for event in events:
        builder.add_event(event)
    return builder.export


def source_identity(source: SourceRecord) -> stix2.Identity:
    """The STIX identity of a source: the ``created_by_ref`` of what it reported."""
    return stix2.Identity(
        id=stix_id("identity", source.name),
        created=source.created_at,
        modified=source.created_at,
        name=source.name,
        identity_class="organization",
    )


def indicator_objects(record: IndicatorRecord) -> list[Any]:
    """The objects one indicator brings into a bundle (none for a type STIX cannot express)."""
    builder = _Builder()
    builder.add_indicator(record)
    return builder.export.objects


class _Builder:
    """Accumulates STIX objects once each, in the order a reader needs them."""

    def __init__(self) -> None:
        self.export = StixExport()
        self.seen: set[str] = set()
        self.indicator_refs: dict[int, str] = {}
        self.observable_refs: dict[int, str] = {}
        self.malware_refs: dict[str, str] = {}
        self.created: dict[int, datetime] = {}

    def add(self, item: Any) -> str:
        """Add an object unless it is already in the bundle; return its id."""
        if item.id not in self.seen:
            self.seen.add(item.id)
            self.export.objects.append(item)
        return str(item.id)

    def source_identity(self, sources: list[SourceRecord]) -> str | None:
        """The identity of the first source (sources come sorted by name), added once."""
        if not sources:
            return None
        identity = source_identity(sources[0])
        if identity.id not in self.seen:
            self.add(identity)
        return str(identity.id)

    def markings(self, sources: list[SourceRecord]) -> list[str]:
        """The id of the strictest TLP marking of these sources, its definition added once."""
        marking = STIX_MARKINGS[strictest(source.tlp for source in sources)]
        return [self.add(marking)]

    def add_indicator(self, record: IndicatorRecord) -> None:
        """Add an indicator, its observable and the malware families it indicates."""
        type_ = IndicatorType(record.type)
        found = observable(type_, record.value)
        if found is None:
            self.export.skipped.append(
                f"{record.type} {record.value!r} (id {record.id}): {NO_PATTERN[type_]}"
            )
            return
        markings = self.markings(record.sources)
        creator = self.source_identity(record.sources)
        indicator = stix2.Indicator(
            id=stix_id("indicator", record.type, record.value),
            created=record.created_at,
            modified=max(record.updated_at, record.created_at),
            name=f"{record.type}: {record.value}"[:250],
            description=_describe(record),
            pattern=found.pattern,
            pattern_type="stix",
            valid_from=record.first_seen,
            indicator_types=_INDICATOR_TYPES.get(record.status, ["unknown"]),
            labels=[f"status:{record.status.lower()}"],
            confidence=record.score * 10 if record.score is not None else None,
            created_by_ref=creator,
            object_marking_refs=markings,
        )
        self.indicator_refs[record.id] = self.add(indicator)
        self.created[record.id] = record.created_at
        sco = found.sco(markings)
        if sco is not None:
            self.observable_refs[record.id] = self.add(sco)
            self.relate(indicator.id, sco.id, "related-to", record.created_at, markings, creator)
        for family in _families(record.attributes):
            malware = self.malware(family, markings, record.created_at)
            self.relate(indicator.id, malware, "indicates", record.created_at, markings, creator)

    def malware(self, family: str, markings: list[str], created: datetime) -> str:
        """A Malware (family) object for a family name, added once.

        ``created`` is when its first referrer was created, so re-exports keep the same object.
        """
        key = family.lower()
        if key not in self.malware_refs:
            self.malware_refs[key] = self.add(
                stix2.Malware(
                    id=stix_id("malware", key),
                    created=created,
                    modified=created,
                    name=family,
                    is_family=True,
                    object_marking_refs=markings,
                )
            )
        return self.malware_refs[key]

    def relate(
        self,
        source: str,
        target: str,
        kind: str,
        created: datetime,
        markings: list[str] | None = None,
        creator: str | None = None,
    ) -> str:
        """A relationship of ``kind`` from ``source`` to ``target``, added once."""
        return self.add(
            stix2.Relationship(
                id=stix_id("relationship", source, kind, target),
                source_ref=source,
                target_ref=target,
                relationship_type=kind,
                created=created,
                modified=created,
                created_by_ref=creator,
                object_marking_refs=markings,
            )
        )

    def add_event(self, event: EventRecord) -> None:
        """Add an event as a Report on its indicators, observables and malware families."""
        markings = self.markings(event.sources)
        refs: list[str] = []
        for found in (self.indicator_refs, self.observable_refs):
            refs.extend(found[i] for i in event.indicator_ids if i in found)
        refs += [
            self.malware(family, markings, event.created_at)
            for family in _families(event.attributes)
        ]
        if not refs:
            self.export.skipped.append(
                f"event {event.id} {event.title!r}: none of its indicators is in the export"
            )
            return
        self.add(
            stix2.Report(
                id=stix_id("report", event.key),
                created=event.created_at,
                modified=max(event.updated_at, event.created_at),
                name=event.title,
                description=event.description or None,
                published=event.created_at,
                report_types=["threat-report"],
                labels=[f"event-type:{event.type.lower()}"],
                object_refs=list(dict.fromkeys(refs)),
                created_by_ref=self.source_identity(event.sources),
                object_marking_refs=markings,
                external_references=[
                    {"source_name": "tipwire", "external_id": f"event-{event.id}"}
                ],
            )
        )


def _describe(record: IndicatorRecord) -> str:
    """A sentence on where an indicator stands, for readers of the bundle."""
    sources = ", ".join(source.name for source in record.sources) or "no source"
    return (
        f"{record.type} {record.value}, {record.status} in TipWire, seen "
        f"{record.first_seen:%Y-%m-%d %H:%M} to {record.last_seen:%Y-%m-%d %H:%M} UTC "
        f"(reported by {sources})."
    )


def _families(attributes: list[tuple[str, str]]) -> list[str]:
    """Malware family names among attributes (keylogger families are malware families too)."""
    return sorted({value for name, value in attributes if name in FAMILY_ATTRIBUTES})
