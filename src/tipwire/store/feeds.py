"""Read side for feeds that are polled: Active indicators in the order they last changed."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Select, and_, or_, select

from tipwire.model import Status
from tipwire.store.exports import SourceRecord
from tipwire.store.schema import IndicatorRow, IndicatorSourceRow, SourceRow, table

_ind = table(IndicatorRow)
_src = table(SourceRow)
_ind_src = table(IndicatorSourceRow)


@dataclass(frozen=True, slots=True)
class FeedRow:
    """An indicator's place in a feed: when it last changed, and what it is."""

    id: int
    updated_at: datetime
    type: str
    value: str


@dataclass(slots=True)
class FeedQuery:
    """A page of a feed: Active indicators (of one source), changed after a point.

    ``after`` is the last (updated_at, id) a reader has seen; ``changed_after`` keeps only
    indicators changed strictly later; ``ids`` keeps only these indicators.
    """

    source: str | None = None
    after: tuple[datetime, int] | None = None
    changed_after: datetime | None = None
    ids: Collection[int] | None = None
    limit: int = 100


def _feed(source: str | None) -> Select[tuple[int, datetime, str, str]]:
    query = select(_ind.c.id, _ind.c.updated_at, _ind.c.type, _ind.c.value).where(
        _ind.c.status == Status.ACTIVE.value
    )
    if source is not None:
        reported = (
            select(_ind_src.c.indicator_id)
            .join(_src, _src.c.id == _ind_src.c.source_id)
            .where(_src.c.name == source)
        )
        query = query.where(_ind.c.id.in_(reported))
    return query


def feed_page(connection: Connection, query: FeedQuery) -> list[FeedRow]:
    """Up to ``query.limit`` indicators of the feed, in (updated_at, id) order."""
    selected = _feed(query.source)
    if query.after is not None:
        moment, last_id = query.after
        selected = selected.where(
            or_(_ind.c.updated_at > moment, and_(_ind.c.updated_at == moment, _ind.c.id > last_id))
        )
    if query.changed_after is not None:
        selected = selected.where(_ind.c.updated_at > query.changed_after)
    if query.ids is not None:
        selected = selected.where(_ind.c.id.in_(sorted(query.ids)))
    selected = selected.order_by(_ind.c.updated_at, _ind.c.id).limit(query.limit)
    return [FeedRow(r.id, r.updated_at, r.type, r.value) for r in connection.execute(selected)]


def feed_values(connection: Connection, source: str | None) -> Iterator[tuple[int, str, str]]:
    """(id, type, value) of every indicator of the feed, in id order, 5,000 rows per query.

    Keyset batches rather than a server-side cursor: reads run outside transactions on
    PostgreSQL (see store.engine.read_engine), where a cursor cannot be declared.
    """
    after = 0
    while True:
        batch = connection.execute(
            _feed(source).where(_ind.c.id > after).order_by(_ind.c.id).limit(5000)
        ).all()
        for row in batch:
            yield row.id, row.type, row.value
        if len(batch) < 5000:
            return
        after = batch[-1].id


def all_sources(connection: Connection) -> list[tuple[int, SourceRecord]]:
    """Every source with its id, in the order they were first heard of."""
    query = select(_src.c.id, _src.c.name, _src.c.tlp, _src.c.created_at).order_by(
        _src.c.created_at, _src.c.id
    )
    return [(r.id, SourceRecord(r.name, r.tlp, r.created_at)) for r in connection.execute(query)]
