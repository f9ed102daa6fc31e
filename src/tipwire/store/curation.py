"""Analysts' decisions about stored objects: statuses and scores."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, update

from tipwire.errors import InvalidValueError, NotFoundError
from tipwire.model import Status
from tipwire.store.schema import IndicatorRow, table

_ind = table(IndicatorRow)


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
