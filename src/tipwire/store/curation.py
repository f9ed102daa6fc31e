"""Analysts' decisions about stored objects: statuses and scores."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, delete, exists, insert, select, update

from tipwire.errors import InvalidValueError, NotFoundError
from tipwire.model import Status
from tipwire.store.keys import attribute_key
from tipwire.store.schema import (
    EventAttributeRow,
    EventIndicatorRow,
    EventRow,
    IndicatorAttributeRow,
    IndicatorRelationRow,
    IndicatorRow,
    table,
)

_ind = table(IndicatorRow)
_ev = table(EventRow)
_rel = table(IndicatorRelationRow)
_ev_ind = table(EventIndicatorRow)
_ind_attr = table(IndicatorAttributeRow)
_ev_attr = table(EventAttributeRow)


def set_status(connection: Connection, indicator_id: int, status: Status) -> None:
    """Set an indicator's status by hand; ingest keeps a status set this way."""
    changed = connection.execute(
        update(_ind)
        .where(_ind.c.id == indicator_id)
        .values(status=status.value, status_manual=True, updated_at=datetime.now(UTC))
    ).rowcount
    if not changed:
        raise NotFoundError(f"indicator {indicator_id} does not exist")


def set_manual_score(connection: Connection, indicator_id: int, score: int | None) -> None:
    """Set (or clear with None) an analyst's score, which wins over the generated one."""
    if score is not None and not 0 <= score <= 10:
        raise InvalidValueError("score", score, "must be an integer from 0 to 10")
    changed = connection.execute(
        update(_ind)
        .where(_ind.c.id == indicator_id)
        .values(manual_score=score, updated_at=datetime.now(UTC))
    ).rowcount
    if not changed:
        raise NotFoundError(f"indicator {indicator_id} does not exist")


def _must_exist(connection: Connection, source: object, what: str, object_id: int) -> None:
    table_ = _ind if source is _ind else _ev
    if not connection.execute(select(exists().where(table_.c.id == object_id))).scalar():
        raise NotFoundError(f"{what} {object_id} does not exist")


def relate_indicators(connection: Connection, a: int, b: int) -> bool:
    """Relate two indicators; False if they already were."""
    if a == b:
        raise InvalidValueError("id", b, "is the indicator itself")
    _must_exist(connection, _ind, "indicator", a)
    _must_exist(connection, _ind, "indicator", b)
    low, high = min(a, b), max(a, b)
    known = select(exists().where(_rel.c.a_id == low, _rel.c.b_id == high))
    if connection.execute(known).scalar():
        return False
    connection.execute(insert(_rel).values(a_id=low, b_id=high, created_at=datetime.now(UTC)))
    return True


def unrelate_indicators(connection: Connection, a: int, b: int) -> bool:
    """Remove the relation between two indicators; False if there was none."""
    low, high = min(a, b), max(a, b)
    gone = connection.execute(delete(_rel).where(_rel.c.a_id == low, _rel.c.b_id == high))
    return bool(gone.rowcount)


def link_event_indicator(connection: Connection, event_id: int, indicator_id: int) -> bool:
    """Relate an indicator to an event; False if it already was."""
    _must_exist(connection, _ev, "event", event_id)
    _must_exist(connection, _ind, "indicator", indicator_id)
    known = select(
        exists().where(_ev_ind.c.event_id == event_id, _ev_ind.c.indicator_id == indicator_id)
    )
    if connection.execute(known).scalar():
        return False
    connection.execute(
        insert(_ev_ind).values(
            event_id=event_id, indicator_id=indicator_id, created_at=datetime.now(UTC)
        )
    )
    return True


def unlink_event_indicator(connection: Connection, event_id: int, indicator_id: int) -> bool:
    """Remove an indicator from an event; False if it was not related."""
    gone = connection.execute(
        delete(_ev_ind).where(
            _ev_ind.c.event_id == event_id, _ev_ind.c.indicator_id == indicator_id
        )
    )
    return bool(gone.rowcount)


def add_event_attribute(
    connection: Connection, event_id: int, source_id: int, name: str, value: str
) -> None:
    """Add an analyst's attribute to an event, or see it again (its last_seen moves)."""
    _must_exist(connection, _ev, "event", event_id)
    now = datetime.now(UTC)
    key = attribute_key(name, value)
    seen = connection.execute(
        update(_ev_attr)
        .where(
            _ev_attr.c.event_id == event_id,
            _ev_attr.c.source_id == source_id,
            _ev_attr.c.key_hash == key,
        )
        .values(last_seen=now)
    ).rowcount
    if not seen:
        connection.execute(
            insert(_ev_attr).values(
                event_id=event_id,
                source_id=source_id,
                key_hash=key,
                name=name,
                value=value,
                first_seen=now,
                last_seen=now,
            )
        )


def remove_attribute(connection: Connection, owner: str, owner_id: int, attribute_id: int) -> None:
    """Remove one attribute of an indicator or event, or NotFoundError."""
    attributes, column = (
        (_ind_attr, _ind_attr.c.indicator_id)
        if owner == "indicator"
        else (_ev_attr, _ev_attr.c.event_id)
    )
    gone = connection.execute(
        delete(attributes).where(attributes.c.id == attribute_id, column == owner_id)
    ).rowcount
    if not gone:
        raise NotFoundError(f"{owner} {owner_id} has no attribute {attribute_id}")


def edit_event(
    connection: Connection,
    event_id: int,
    *,
    title: str | None = None,
    description: str | None = None,
    type_: str | None = None,
) -> None:
    """An analyst's edit of an event; edited text replaces its template (it stops updating)."""
    _must_exist(connection, _ev, "event", event_id)
    values: dict[str, object] = {"updated_at": datetime.now(UTC)}
    if title is not None:
        values |= {"title": title, "title_template": None}
    if description is not None:
        values |= {"description": description, "description_template": None}
    if type_ is not None:
        values["type"] = type_
    connection.execute(update(_ev).where(_ev.c.id == event_id).values(**values))


def delete_event(connection: Connection, event_id: int) -> None:
    """Delete an event; its indicators stay (they may belong to other events)."""
    _must_exist(connection, _ev, "event", event_id)
    # Links without foreign keys (bulk-loaded tables) go by hand; the rest cascade.
    connection.execute(delete(_ev_ind).where(_ev_ind.c.event_id == event_id))
    connection.execute(delete(_ev).where(_ev.c.id == event_id))
