"""Read side: filtered, sorted, paginated lists, look-ups by value, pivots and text search."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Select, bindparam, func, or_, select

from tipwire.errors import InvalidValueError, NotFoundError
from tipwire.model import EventType, IndicatorType, Status
from tipwire.store.keys import indicator_key
from tipwire.store.schema import (
    EventAttributeRow,
    EventIndicatorRow,
    EventRow,
    EventSourceRow,
    IndicatorAttributeRow,
    IndicatorCounterRow,
    IndicatorRelationRow,
    IndicatorRow,
    IndicatorSourceRow,
    SourceRow,
    table,
)

MAX_PAGE = 1000
T = TypeVar("T")

_ind = table(IndicatorRow)
_ev = table(EventRow)
_src = table(SourceRow)
_ind_src = table(IndicatorSourceRow)
_ev_src = table(EventSourceRow)
_ind_attr = table(IndicatorAttributeRow)
_ev_attr = table(EventAttributeRow)
_ev_ind = table(EventIndicatorRow)
_ind_rel = table(IndicatorRelationRow)
_ind_cnt = table(IndicatorCounterRow)

INDICATOR_SORTS = (
    "id",
    "type",
    "value",
    "status",
    "score",
    "first_seen",
    "last_seen",
    "updated_at",
)
EVENT_SORTS = ("id", "title", "type", "happened_at", "created_at", "updated_at")


@dataclass(slots=True)
class IndicatorView:
    """An indicator as readers see it."""

    id: int
    type: str
    value: str
    status: str
    score: int | None
    first_seen: datetime
    last_seen: datetime
    created_at: datetime
    updated_at: datetime
    sources: list[str] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict form; times stay datetimes, which orjson writes as ISO 8601."""
        return {
            "id": self.id,
            "type": self.type,
            "value": self.value,
            "counters": self.counters,
            "status": self.status,
            "score": self.score,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "sources": self.sources,
        }


@dataclass(slots=True)
class EventView:
    """An event as readers see it."""

    id: int
    title: str
    type: str
    happened_at: datetime
    description: str
    created_at: datetime
    updated_at: datetime
    sources: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict form; times stay datetimes, which orjson writes as ISO 8601."""
        return {
            "id": self.id,
            "title": self.title,
            "type": self.type,
            "happened_at": self.happened_at,
            "description": self.description,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "sources": self.sources,
        }


@dataclass(slots=True)
class AttributeView:
    """An attribute with its source and when it was first and last seen."""

    id: int
    name: str
    value: str
    source: str
    first_seen: datetime
    last_seen: datetime

    def as_dict(self) -> dict[str, Any]:
        """Plain dict form, with times as ISO 8601 strings."""
        return {
            "id": self.id,
            "name": self.name,
            "value": self.value,
            "source": self.source,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
        }


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of results and the total that matched."""

    items: list[T]
    total: int


@dataclass(slots=True)
class IndicatorQuery:
    """Filters for listing indicators; every field is optional."""

    type: IndicatorType | None = None
    status: Status | None = None
    source: str | None = None
    search: str | None = None
    seen_since: datetime | None = None
    sort: str = "-id"
    limit: int = 100
    offset: int = 0
    with_sources: bool = True


@dataclass(slots=True)
class EventQuery:
    """Filters for listing events; every field is optional."""

    type: EventType | None = None
    source: str | None = None
    search: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    created_since: datetime | None = None
    sort: str = "-happened_at"
    limit: int = 100
    offset: int = 0
    with_sources: bool = True


def _order(sort: str, allowed: Sequence[str], table: Any) -> tuple[Any, ...]:
    """The ORDER BY for ``sort``, ids breaking ties in the same direction.

    The same direction lets an index on the column (which SQLite extends with the row id)
    serve the whole ordering; mixed directions cost a sort of every matching row.
    """
    name = sort.lstrip("-")
    if name not in allowed:
        raise InvalidValueError("sort", sort, f"is not sortable (use one of {', '.join(allowed)})")
    column, tie = table.c[name], table.c.id
    if sort.startswith("-"):
        return (column.desc(),) if name == "id" else (column.desc(), tie.desc())
    return (column.asc(),) if name == "id" else (column.asc(), tie.asc())


def paging(limit: int, offset: int) -> tuple[int, int]:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidValueError("limit", limit, f"must be from 1 to {MAX_PAGE}")
    if offset < 0:
        raise InvalidValueError("offset", offset, "must not be negative")
    return limit, offset


def _plain_text(field: str, text: str) -> str:
    """A filter's text, refused when it holds a NUL character (PostgreSQL cannot take one)."""
    if "\x00" in text:
        raise InvalidValueError(field, text, "contains a NUL character")
    return text


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _sources_of(owner: Any) -> Select[Any]:
    """(owner id, source name) for the owners in ``:ids``; ``owner`` is a link-table column."""
    link = owner.table
    return (
        select(owner, _src.c.name)
        .join(_src, _src.c.id == link.c.source_id)
        .where(owner.in_(bindparam("ids", expanding=True)))
        .order_by(_src.c.name)
    )


# The statements every look-up runs, built once: building one costs more than running it.
_INDICATOR_SOURCES = _sources_of(_ind_src.c.indicator_id)
_EVENT_SOURCES = _sources_of(_ev_src.c.event_id)
_INDICATOR_COUNTERS = (
    select(_ind_cnt.c.indicator_id, _ind_cnt.c.name, func.sum(_ind_cnt.c.value))
    .where(_ind_cnt.c.indicator_id.in_(bindparam("ids", expanding=True)))
    .group_by(_ind_cnt.c.indicator_id, _ind_cnt.c.name)
)
# The columns of IndicatorView and EventView in field order: views are built from rows as is.
INDICATOR_VIEW_COLUMNS = (
    _ind.c.id,
    _ind.c.type,
    _ind.c.value,
    _ind.c.status,
    func.coalesce(_ind.c.manual_score, _ind.c.score).label("score"),
    _ind.c.first_seen,
    _ind.c.last_seen,
    _ind.c.created_at,
    _ind.c.updated_at,
)
EVENT_VIEW_COLUMNS = (
    _ev.c.id,
    _ev.c.title,
    _ev.c.type,
    _ev.c.happened_at,
    _ev.c.description,
    _ev.c.created_at,
    _ev.c.updated_at,
)
_INDICATOR_BY_ID = select(*INDICATOR_VIEW_COLUMNS).where(_ind.c.id == bindparam("id"))
_INDICATORS_BY_KEY = select(*INDICATOR_VIEW_COLUMNS).where(
    _ind.c.key_hash.in_(bindparam("keys", expanding=True))
)
_EVENT_BY_ID = select(*EVENT_VIEW_COLUMNS).where(_ev.c.id == bindparam("id"))


def _indicator_views(
    connection: Connection,
    query: Select[Any],
    params: dict[str, Any] | None = None,
    with_sources: bool = True,
) -> list[IndicatorView]:
    views = [IndicatorView(*row) for row in connection.execute(query, params or {})]
    if views:
        by_id = {v.id: v for v in views}
        ids = {"ids": list(by_id)}
        if with_sources:
            for indicator_id, name in connection.execute(_INDICATOR_SOURCES, ids):
                by_id[indicator_id].sources.append(name)
        for indicator_id, name, total in connection.execute(_INDICATOR_COUNTERS, ids):
            by_id[indicator_id].counters[name] = int(total)
    return views


def _event_views(
    connection: Connection,
    query: Select[Any],
    params: dict[str, Any] | None = None,
    with_sources: bool = True,
) -> list[EventView]:
    rows = connection.execute(query, params or {})
    return _events_with_sources(connection, [EventView(*row) for row in rows], with_sources)


def _events_with_sources(
    connection: Connection, views: list[EventView], with_sources: bool
) -> list[EventView]:
    if views and with_sources:
        by_id = {v.id: v for v in views}
        for event_id, name in connection.execute(_EVENT_SOURCES, {"ids": list(by_id)}):
            by_id[event_id].sources.append(name)
    return views


def list_indicators(connection: Connection, query: IndicatorQuery) -> Page[IndicatorView]:
    """Indicators matching ``query``, one page of them, with the total."""
    limit, offset = paging(query.limit, query.offset)
    base = select(*INDICATOR_VIEW_COLUMNS)
    if query.type is not None:
        base = base.where(_ind.c.type == query.type.value)
    if query.status is not None:
        base = base.where(_ind.c.status == query.status.value)
    if query.seen_since is not None:
        base = base.where(_ind.c.last_seen >= query.seen_since)
    if query.source:
        base = base.where(
            _ind.c.id.in_(
                select(_ind_src.c.indicator_id)
                .join(_src, _src.c.id == _ind_src.c.source_id)
                .where(_src.c.name == _plain_text("source", query.source))
            )
        )
    if query.search:
        pattern = _like(_plain_text("search", query.search))
        base = base.where(_ind.c.value.ilike(pattern, escape="\\"))
    total = connection.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    order = _order(query.sort, INDICATOR_SORTS, _ind)
    page = base.order_by(*order).limit(limit).offset(offset)
    return Page(_indicator_views(connection, page, with_sources=query.with_sources), int(total))


def list_events(connection: Connection, query: EventQuery) -> Page[EventView]:
    """Events matching ``query``, one page of them, with the total."""
    limit, offset = paging(query.limit, query.offset)
    base = select(*EVENT_VIEW_COLUMNS)
    if query.type is not None:
        base = base.where(_ev.c.type == query.type.value)
    if query.since is not None:
        base = base.where(_ev.c.happened_at >= query.since)
    if query.until is not None:
        base = base.where(_ev.c.happened_at < query.until)
    if query.created_since is not None:
        base = base.where(_ev.c.created_at >= query.created_since)
    if query.source:
        base = base.where(
            _ev.c.id.in_(
                select(_ev_src.c.event_id)
                .join(_src, _src.c.id == _ev_src.c.source_id)
                .where(_src.c.name == _plain_text("source", query.source))
            )
        )
    if query.search:
        pattern = _like(_plain_text("search", query.search))
        base = base.where(
            or_(
                _ev.c.title.ilike(pattern, escape="\\"),
                _ev.c.description.ilike(pattern, escape="\\"),
            )
        )
    counted = select(func.count()).select_from(base.subquery())
    order = _order(query.sort, EVENT_SORTS, _ev)
    # The total rides along with the page (one statement, one round trip); only a page past
    # the end, which has no row to carry it, asks for it on its own.
    page = base.add_columns(counted.scalar_subquery()).order_by(*order).limit(limit).offset(offset)
    rows = connection.execute(page).all()
    total = rows[0][-1] if rows else connection.execute(counted).scalar_one()
    views = [EventView(*row[:-1]) for row in rows]
    return Page(_events_with_sources(connection, views, query.with_sources), int(total))


def get_indicator(connection: Connection, indicator_id: int) -> IndicatorView:
    """One indicator by id, or NotFoundError."""
    views = _indicator_views(connection, _INDICATOR_BY_ID, {"id": indicator_id})
    if not views:
        raise NotFoundError(f"indicator {indicator_id} does not exist")
    return views[0]


def get_event(connection: Connection, event_id: int) -> EventView:
    """One event by id, or NotFoundError."""
    views = _event_views(connection, _EVENT_BY_ID, {"id": event_id})
    if not views:
        raise NotFoundError(f"event {event_id} does not exist")
    return views[0]


def find_indicators(
    connection: Connection,
    value: str,
    type_: IndicatorType | None = None,
    with_sources: bool = True,
) -> list[IndicatorView]:
    """Indicators whose normalised value equals ``value`` (of any type that accepts it)."""
    candidates = [type_] if type_ is not None else list(IndicatorType)
    keys = []
    for candidate in candidates:
        try:
            keys.append(indicator_key(candidate.value, candidate.normalise(value)))
        except InvalidValueError:
            continue
    if not keys:
        return []
    return _indicator_views(connection, _INDICATORS_BY_KEY, {"keys": keys}, with_sources)


def indicator_attributes(connection: Connection, indicator_id: int) -> list[AttributeView]:
    """Attributes of an indicator, by name then first seen."""
    return indicator_attributes_many(connection, [indicator_id])[indicator_id]


def event_attributes(connection: Connection, event_id: int) -> list[AttributeView]:
    """Attributes of an event, by name then first seen."""
    return event_attributes_many(connection, [event_id])[event_id]


def event_indicators(
    connection: Connection, event_id: int, limit: int = MAX_PAGE, offset: int = 0
) -> Page[IndicatorView]:
    """Pivot: the indicators related to an event."""
    limit, offset = paging(limit, offset)
    ids = select(_ev_ind.c.indicator_id).where(_ev_ind.c.event_id == event_id)
    total = connection.execute(select(func.count()).select_from(ids.subquery())).scalar_one()
    query = (
        select(*INDICATOR_VIEW_COLUMNS)
        .where(_ind.c.id.in_(ids))
        .order_by(_ind.c.type, _ind.c.value)
    )
    return Page(_indicator_views(connection, query.limit(limit).offset(offset)), int(total))


def indicator_events(connection: Connection, indicator_id: int) -> list[EventView]:
    """Pivot: the events an indicator is related to, newest first."""
    ids = select(_ev_ind.c.event_id).where(_ev_ind.c.indicator_id == indicator_id)
    query = (
        select(*EVENT_VIEW_COLUMNS)
        .where(_ev.c.id.in_(ids))
        .order_by(_ev.c.happened_at.desc(), _ev.c.id)
    )
    return _event_views(connection, query.limit(MAX_PAGE))


def related_indicators(connection: Connection, indicator_id: int) -> list[IndicatorView]:
    """Pivot: the indicators directly related to an indicator."""
    left = select(_ind_rel.c.b_id).where(_ind_rel.c.a_id == indicator_id)
    right = select(_ind_rel.c.a_id).where(_ind_rel.c.b_id == indicator_id)
    query = (
        select(*INDICATOR_VIEW_COLUMNS)
        .where(or_(_ind.c.id.in_(left), _ind.c.id.in_(right)))
        .order_by(_ind.c.type, _ind.c.value)
    )
    return _indicator_views(connection, query.limit(MAX_PAGE))


@dataclass(slots=True)
class SearchResult:
    """Indicators whose value and events whose title contain the searched text."""

    indicators: list[IndicatorView]
    events: list[EventView]


def search(connection: Connection, text: str, limit: int = 50) -> SearchResult:
    """Text search over indicator values and event titles; exact matches come first."""
    text = text.strip()
    if not text:
        raise InvalidValueError("query", text, "must not be empty")
    exact = find_indicators(connection, text)
    seen = {v.id for v in exact}
    contains = list_indicators(connection, IndicatorQuery(search=text, limit=limit)).items
    indicators = exact + [v for v in contains if v.id not in seen]
    events = list_events(connection, EventQuery(search=text, limit=limit)).items
    return SearchResult(indicators[:limit], events)


def _attributes_by_owner(
    connection: Connection, owner: Any, ids: Sequence[int]
) -> dict[int, list[AttributeView]]:
    """Attributes of several owners (``owner``: an attribute table's owner-id column) at once."""
    found: dict[int, list[AttributeView]] = {i: [] for i in ids}
    if not ids:
        return found
    attributes = owner.table
    rows = connection.execute(
        select(owner.label("owner"), attributes, _src.c.name.label("source"))
        .join(_src, _src.c.id == attributes.c.source_id)
        .where(owner.in_(list(ids)))
        .order_by(attributes.c.name, attributes.c.first_seen, attributes.c.id)
    )
    for r in rows:
        found[r.owner].append(
            AttributeView(r.id, r.name, r.value, r.source, r.first_seen, r.last_seen)
        )
    return found


def indicator_attributes_many(
    connection: Connection, indicator_ids: Sequence[int]
) -> dict[int, list[AttributeView]]:
    """Attributes of several indicators at once (for ``?with=attributes`` on a page)."""
    return _attributes_by_owner(connection, _ind_attr.c.indicator_id, indicator_ids)


def event_attributes_many(
    connection: Connection, event_ids: Sequence[int]
) -> dict[int, list[AttributeView]]:
    """Attributes of several events at once (for ``?with=attributes`` on a page)."""
    return _attributes_by_owner(connection, _ev_attr.c.event_id, event_ids)


@dataclass(frozen=True, slots=True)
class SourceView:
    """A source with its TLP and how many indicators and events it gave."""

    id: int
    name: str
    tlp: str
    indicators: int
    events: int

    def as_dict(self) -> dict[str, Any]:
        """Plain dict form."""
        return {
            "id": self.id,
            "name": self.name,
            "tlp": self.tlp,
            "indicators": self.indicators,
            "events": self.events,
        }


def list_sources(connection: Connection, names: Sequence[str] | None = None) -> list[SourceView]:
    """Every source (or those named), by name, with counts of what it gave."""
    indicators = (
        select(func.count())
        .select_from(_ind_src)
        .where(_ind_src.c.source_id == _src.c.id)
        .scalar_subquery()
    )
    events = (
        select(func.count())
        .select_from(_ev_src)
        .where(_ev_src.c.source_id == _src.c.id)
        .scalar_subquery()
    )
    query = select(_src.c.id, _src.c.name, _src.c.tlp, indicators, events).order_by(_src.c.name)
    if names is not None:
        query = query.where(_src.c.name.in_(list(names)))
    return [SourceView(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in connection.execute(query)]


def event_ids_by_key(connection: Connection, keys: Sequence[str]) -> dict[str, int]:
    """Event ids of the given keys (those that exist)."""
    rows = connection.execute(select(_ev.c.key, _ev.c.id).where(_ev.c.key.in_(list(keys))))
    return {key: int(event_id) for key, event_id in rows}


def indicator_ids_by_value(
    connection: Connection, pairs: Sequence[tuple[IndicatorType, str]]
) -> dict[tuple[str, str], int]:
    """Indicator ids of normalised (type, value) pairs (those that exist)."""
    keys = {indicator_key(t.value, v): (t.value, v) for t, v in pairs}
    found: dict[tuple[str, str], int] = {}
    for start in range(0, len(keys), 900):  # stays under SQLite's bound-parameter limit
        chunk = list(keys)[start : start + 900]
        rows = connection.execute(
            select(_ind.c.key_hash, _ind.c.id).where(_ind.c.key_hash.in_(chunk))
        )
        for key_hash, indicator_id in rows:
            found[keys[bytes(key_hash)]] = int(indicator_id)
    return found
