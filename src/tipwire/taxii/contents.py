"""What a collection holds, a page at a time: TLP markings, source identities, indicators.

Each indicator is one STIX Indicator whose pattern names the value; observables, malware
families and events as Reports are in the full bundle of ``GET /api/export/stix``. An
indicator is *added* to a collection when it last changed (``updated_at``), which is also its
``modified`` version, so ``added_after`` hands a poller everything new or changed since.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from tipwire.model import IndicatorType
from tipwire.sharing.ids import stix_id
from tipwire.sharing.observables import NO_PATTERN
from tipwire.sharing.stix import STIX_MARKINGS, indicator_objects, source_identity
from tipwire.store import exports, feeds
from tipwire.store.feeds import FeedQuery, FeedRow
from tipwire.store.whitelist import load_matcher
from tipwire.taxii.collections import Collection
from tipwire.taxii.media import STIX_MEDIA_TYPE, timestamp
from tipwire.taxii.paging import Position, Rank


@dataclass(frozen=True, slots=True)
class Entry:
    """One STIX object in a collection, with its place there."""

    position: Position
    stix: dict[str, Any]

    @property
    def id(self) -> str:
        """The STIX id."""
        return str(self.stix["id"])

    @property
    def version(self) -> str:
        """The object's version: ``modified``, or ``created`` for objects that never change."""
        return str(self.stix.get("modified") or self.stix["created"])

    def manifest(self) -> dict[str, Any]:
        """The TAXII manifest record."""
        return {
            "id": self.id,
            "date_added": timestamp(self.position.date_added),
            "version": self.version,
            "media_type": STIX_MEDIA_TYPE,
        }


@dataclass(slots=True)
class Wanted:
    """A request's filters: page size, where the last page ended, added_after, match[...]."""

    limit: int = 100
    after: Position | None = None
    added_after: datetime | None = None
    ids: frozenset[str] | None = None
    types: frozenset[str] | None = None

    def allows(self, stix: dict[str, Any]) -> bool:
        """Whether the match filters keep this object."""
        return (self.ids is None or stix["id"] in self.ids) and (
            self.types is None or stix["type"] in self.types
        )

    def follows(self, position: Position) -> bool:
        """Whether a position is past the previous page and added after ``added_after``."""
        return (self.after is None or position > self.after) and (
            self.added_after is None or position.date_added > self.added_after
        )


@dataclass(slots=True)
class Page:
    """The objects of one page, and where the next one starts (None when this is the last)."""

    entries: list[Entry] = field(default_factory=list)
    next: Position | None = None

    @property
    def more(self) -> bool:
        """Whether there may be more objects after this page."""
        return self.next is not None


def _plain(stix_object: Any) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(stix_object.serialize())
    return found


def _fixed_entries(connection: Connection) -> list[Entry]:
    """The TLP marking definitions and every source's identity, which indicators refer to."""
    markings = list({marking.id: marking for marking in STIX_MARKINGS.values()}.values())
    found = [
        Entry(Position(marking.created, Rank.MARKING, index), _plain(marking))
        for index, marking in enumerate(markings)
    ]
    found.extend(
        Entry(Position(source.created_at, Rank.IDENTITY, row_id), _plain(source_identity(source)))
        for row_id, source in feeds.all_sources(connection)
    )
    return found


def _indicator_rows(connection: Connection, source: str | None, wanted: Wanted) -> set[int] | None:
    """The row ids that match[id] names among a collection's indicators (None: no such filter).

    STIX ids are derived from type and value, so finding one means deriving them all.
    """
    if wanted.ids is None:
        return None
    asked = {i for i in wanted.ids if i.startswith("indicator--")}
    if not asked:
        return set()
    return {
        row_id
        for row_id, type_, value in feeds.feed_values(connection, source)
        if stix_id("indicator", type_, value) in asked
    }


def _feed_rows(connection: Connection, collection: Collection, wanted: Wanted) -> list[FeedRow]:
    """Up to ``limit + 1`` indicator rows past the previous page (one more tells if it ends)."""
    if wanted.types is not None and "indicator" not in wanted.types:
        return []
    row_ids = _indicator_rows(connection, collection.source, wanted)
    if row_ids is not None and not row_ids:
        return []
    after = wanted.after
    if after is not None and after.rank is not Rank.INDICATOR:
        after = Position(after.date_added, Rank.INDICATOR, 0)  # every indicator then follows
    query = FeedQuery(
        source=collection.source,
        after=None if after is None else (after.date_added, after.tie),
        changed_after=wanted.added_after,
        ids=row_ids,
        limit=wanted.limit + 1,
    )
    return feeds.feed_page(connection, query)


def _indicator_entries(connection: Connection, rows: Iterable[FeedRow]) -> dict[int, Entry]:
    """The STIX Indicators of these rows, by row id."""
    placed = {row.id: Position(row.updated_at, Rank.INDICATOR, row.id) for row in rows}
    found: dict[int, Entry] = {}
    for record in exports.load_indicators(connection, list(placed)):
        indicator = next(o for o in indicator_objects(record) if o.type == "indicator")
        found[record.id] = Entry(placed[record.id], _plain(indicator))
    return found


def read_page(connection: Connection, collection: Collection, wanted: Wanted) -> Page:
    """One page of the collection's objects that pass ``wanted``, in the order they were added.

    Indicators a whitelist rule now covers, and types STIX cannot express, take their place in
    the order but are never sent: a page may then hold fewer than ``limit`` objects.
    """
    rows = _feed_rows(connection, collection, wanted)
    complete = len(rows) <= wanted.limit
    horizon = None if complete else Position(rows[-1].updated_at, Rank.INDICATOR, rows[-1].id)
    candidates: list[tuple[Position, Entry | FeedRow]] = [
        (entry.position, entry)
        for entry in _fixed_entries(connection)
        if wanted.follows(entry.position)
        and wanted.allows(entry.stix)
        and (horizon is None or entry.position < horizon)
    ]
    candidates.extend((Position(r.updated_at, Rank.INDICATOR, r.id), r) for r in rows)
    candidates.sort(key=lambda candidate: candidate[0])
    whitelist = load_matcher(connection)
    chosen: list[Entry | FeedRow] = []
    last: Position | None = None
    more = not complete
    for position, thing in candidates:
        if len(chosen) == wanted.limit:
            more = True
            break
        last = position
        if isinstance(thing, FeedRow):
            type_ = IndicatorType(thing.type)
            if type_ in NO_PATTERN or (whitelist and whitelist.matches(type_, thing.value)):
                continue
        chosen.append(thing)
    built = _indicator_entries(connection, [t for t in chosen if isinstance(t, FeedRow)])
    # An indicator deleted since the page was chosen is simply not sent.
    entries = [t if isinstance(t, Entry) else built.get(t.id) for t in chosen]
    return Page([e for e in entries if e is not None], last if more else None)
