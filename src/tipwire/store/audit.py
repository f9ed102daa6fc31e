"""The audit log: every change, who made it, the state before and after, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, func, insert, select

from tipwire.store.queries import Page, paging
from tipwire.store.schema import AuditRow, table

_audit = table(AuditRow)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded change."""

    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: Any
    after: Any

    def as_dict(self) -> dict[str, Any]:
        """Plain dict form."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "before": self.before,
            "after": self.after,
        }


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, default=str).decode()


def record(
    connection: Connection,
    actor: str,
    action: str,
    object_type: str,
    object_id: object,
    before: Any = None,
    after: Any = None,
) -> None:
    """Record a change in the same transaction as the change itself."""
    connection.execute(
        insert(_audit).values(
            at=datetime.now(UTC),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=_json(before),
            after=_json(after),
        )
    )


def list_entries(
    connection: Connection,
    *,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Page[AuditEntry]:
    """Audit entries, newest first, optionally for one actor or object."""
    limit, offset = paging(limit, offset)
    base = select(_audit)
    if actor:
        base = base.where(_audit.c.actor == actor)
    if object_type:
        base = base.where(_audit.c.object_type == object_type)
    if object_id:
        base = base.where(_audit.c.object_id == object_id)
    total = connection.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = connection.execute(base.order_by(_audit.c.id.desc()).limit(limit).offset(offset))
    entries = [
        AuditEntry(
            r.id,
            r.at,
            r.actor,
            r.action,
            r.object_type,
            r.object_id,
            orjson.loads(r.before) if r.before else None,
            orjson.loads(r.after) if r.after else None,
        )
        for r in rows
    ]
    return Page(entries, int(total))
