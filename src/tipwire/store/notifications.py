"""Notification rules and the delivery log, and the new events a run's notifications are about."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from tipwire.errors import InvalidValueError, NotFoundError
from tipwire.store.dialect import upsert
from tipwire.store.queries import EVENT_VIEW_COLUMNS, EventView, _event_views
from tipwire.store.schema import (
    EventRow,
    NotificationDeliveryRow,
    NotificationRuleRow,
    table,
)

_rules = table(NotificationRuleRow)
_deliveries = table(NotificationDeliveryRow)
_events = table(EventRow)


@dataclass(frozen=True, slots=True)
class StoredRule:
    """A notification rule as stored; ``secret`` is the encrypted token, if any."""

    id: int
    name: str
    trigger: str
    integration: str | None
    event_type: str | None
    channel: str
    target: str
    settings: str
    secret: str | None
    enabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """One delivery in the log."""

    id: int
    rule: str
    kind: str
    subject_id: int | None
    status: str
    attempts: int
    status_code: int | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict form, with times as ISO 8601 strings."""
        return {
            "id": self.id,
            "rule": self.rule,
            "kind": self.kind,
            "subject_id": self.subject_id,
            "status": self.status,
            "attempts": self.attempts,
            "status_code": self.status_code,
            "error": self.error,
            "created_at": self.created_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


def add_rule(connection: Connection, values: dict[str, Any]) -> int:
    """Store a new rule; refuse a name that is taken."""
    taken = connection.execute(select(_rules.c.id).where(_rules.c.name == values["name"])).first()
    if taken is not None:
        raise InvalidValueError("name", values["name"], "is already the name of a rule")
    return int(
        connection.execute(_rules.insert().values(**values).returning(_rules.c.id)).scalar_one()
    )


def list_rules(connection: Connection, *, enabled_only: bool = False) -> list[StoredRule]:
    """Every rule, by name."""
    query = select(_rules).order_by(_rules.c.name)
    if enabled_only:
        query = query.where(_rules.c.enabled.is_(True))
    return [StoredRule(**row._mapping) for row in connection.execute(query)]


def get_rule(connection: Connection, name: str) -> StoredRule:
    """One rule by name, or NotFoundError."""
    for rule in list_rules(connection):
        if rule.name == name:
            return rule
    raise NotFoundError(f"no notification rule is named {name!r}")


def remove_rule(connection: Connection, name: str) -> None:
    """Delete a rule and its delivery log."""
    rule = get_rule(connection, name)
    connection.execute(_deliveries.delete().where(_deliveries.c.rule_id == rule.id))
    connection.execute(_rules.delete().where(_rules.c.id == rule.id))


def open_delivery(
    connection: Connection, rule_id: int, kind: str, subject_id: int | None, now: datetime
) -> int | None:
    """Record a pending delivery; None if this rule already has one for the subject."""
    inserted = connection.execute(
        upsert(connection, _deliveries)
        .values(
            rule_id=rule_id,
            kind=kind,
            subject_id=subject_id,
            status="pending",
            attempts=0,
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(_deliveries.c.id)
    ).first()
    return None if inserted is None else int(inserted.id)


def close_delivery(
    connection: Connection,
    delivery_id: int,
    *,
    status: str,
    attempts: int,
    status_code: int | None,
    error: str | None,
    now: datetime,
) -> None:
    """Record how a delivery ended."""
    connection.execute(
        update(_deliveries)
        .where(_deliveries.c.id == delivery_id)
        .values(
            status=status,
            attempts=attempts,
            status_code=status_code,
            error=error,
            finished_at=now,
        )
    )


def list_deliveries(
    connection: Connection, rule: str | None = None, limit: int = 50
) -> list[DeliveryView]:
    """The newest deliveries, of one rule or all."""
    if not 1 <= limit <= 1000:
        raise InvalidValueError("limit", limit, "must be from 1 to 1000")
    query = (
        select(_deliveries, _rules.c.name.label("rule"))
        .join(_rules, _rules.c.id == _deliveries.c.rule_id)
        .order_by(_deliveries.c.id.desc())
        .limit(limit)
    )
    if rule is not None:
        query = query.where(_rules.c.name == rule)
    return [
        DeliveryView(
            r.id,
            r.rule,
            r.kind,
            r.subject_id,
            r.status,
            r.attempts,
            r.status_code,
            r.error,
            r.created_at,
            r.finished_at,
        )
        for r in connection.execute(query)
    ]


def events_created_since(
    connection: Connection, keys: Iterable[str], since: datetime
) -> list[EventView]:
    """Of the events with these keys, those created at or after ``since``, oldest first."""
    wanted = sorted(set(keys))
    views: list[EventView] = []
    for start in range(0, len(wanted), 500):
        query = (
            select(*EVENT_VIEW_COLUMNS)
            .where(_events.c.key.in_(wanted[start : start + 500]), _events.c.created_at >= since)
            .order_by(_events.c.id)
        )
        views.extend(_event_views(connection, query))
    return sorted(views, key=lambda view: view.id)
