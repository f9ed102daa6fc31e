"""Snapshots of stored intelligence by natural keys, to compare databases filled differently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, func, select

from tipwire.store.schema import (
    EventAttributeRow,
    EventCounterRow,
    EventIndicatorRow,
    EventRelationRow,
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

Rows = list[tuple[Any, ...]]


def _rows(connection: Connection, *columns: Any) -> list[Any]:
    return list(connection.execute(select(*columns)))


def intelligence(engine: Engine) -> dict[str, Rows]:
    """Events, indicators, attributes, sources and relations, named by natural keys.

    Ids and created/updated times are left out: they record when and in which order rows
    were written, not what is known. Seen times come from the data and are kept.
    """
    src, ind, ev = table(SourceRow), table(IndicatorRow), table(EventRow)
    ind_attr, ev_attr = table(IndicatorAttributeRow), table(EventAttributeRow)
    counters = table(EventCounterRow)
    ind_cnt = table(IndicatorCounterRow)
    with engine.connect() as connection:
        sources = {r.id: r.name for r in _rows(connection, src.c.id, src.c.name)}
        indicators = {
            r.id: (r.type, r.value) for r in _rows(connection, ind.c.id, ind.c.type, ind.c.value)
        }
        events = {r.id: r.key for r in _rows(connection, ev.c.id, ev.c.key)}
        snapshot: dict[str, Rows] = {
            "sources": _rows(connection, src.c.name, src.c.tlp),
            "indicators": _rows(
                connection,
                ind.c.type,
                ind.c.value,
                ind.c.status,
                ind.c.score,
                ind.c.first_seen,
                ind.c.last_seen,
            ),
            "indicator_sources": [
                (indicators[r.indicator_id], sources[r.source_id])
                for r in connection.execute(select(table(IndicatorSourceRow)))
            ],
            "indicator_attributes": [
                (indicators[r.indicator_id], sources[r.source_id], *r[4:])
                for r in connection.execute(select(ind_attr).order_by(ind_attr.c.id))
            ],
            "events": _rows(
                connection, ev.c.key, ev.c.title, ev.c.type, ev.c.happened_at, ev.c.description
            ),
            "event_sources": [
                (events[r.event_id], sources[r.source_id])
                for r in connection.execute(select(table(EventSourceRow)))
            ],
            "event_attributes": [
                (events[r.event_id], sources[r.source_id], *r[4:])
                for r in connection.execute(select(ev_attr).order_by(ev_attr.c.id))
            ],
            "event_indicators": [
                (events[r.event_id], indicators[r.indicator_id])
                for r in connection.execute(select(table(EventIndicatorRow)))
            ],
            "indicator_relations": [
                tuple(sorted((indicators[r.a_id], indicators[r.b_id])))
                for r in connection.execute(select(table(IndicatorRelationRow)))
            ],
            "event_counters": [
                (events[r.event_id], r.name, int(r.total))
                for r in connection.execute(
                    select(
                        counters.c.event_id,
                        counters.c.name,
                        func.sum(counters.c.value).label("total"),
                    ).group_by(counters.c.event_id, counters.c.name)
                )
            ],
            "indicator_counters": [
                (indicators[r.indicator_id], sources[r.source_id], r.name, int(r.total))
                for r in connection.execute(
                    select(
                        ind_cnt.c.indicator_id,
                        ind_cnt.c.source_id,
                        ind_cnt.c.name,
                        func.sum(ind_cnt.c.value).label("total"),
                    ).group_by(ind_cnt.c.indicator_id, ind_cnt.c.source_id, ind_cnt.c.name)
                )
            ],
            "event_relations": [
                tuple(sorted((events[r.a_id], events[r.b_id])))
                for r in connection.execute(select(table(EventRelationRow)))
            ],
        }
    return {name: sorted((tuple(row) for row in rows), key=repr) for name, rows in snapshot.items()}
