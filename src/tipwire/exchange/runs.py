"""Run records: the activity log of each integration, written as a run goes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, func, select, update

from tipwire.exchange.base import MAX_SAMPLES, Tally
from tipwire.store.results import IngestResult
from tipwire.store.schema import IntegrationRunRow, table

INTERRUPTED = "interrupted: the run stopped before it finished (its process died or lost its lease)"

_runs = table(IntegrationRunRow)


class RunStatus(StrEnum):
    """Where a run stands; only ``running`` ever changes."""

    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RunTotals:
    """A run's counters as committed so far."""

    batches: int = 0
    fetched: int = 0
    matched: int = 0
    malformed: int = 0
    ingested: IngestResult = field(default_factory=IngestResult)
    errors: tuple[dict[str, str], ...] = ()
    cursor: str | None = None

    def plus(self, tally: Tally, result: IngestResult | None, cursor: str | None) -> RunTotals:
        """These totals with one more batch (or, with no result, only the tally) added."""
        ingested = IngestResult()
        ingested += self.ingested
        if result is not None:
            ingested += result
        room = max(0, MAX_SAMPLES - len(self.errors))
        samples = tuple(
            {"kind": "malformed", "message": reason, "sample": sample}
            for reason, sample in tally.samples[:room]
        )
        return RunTotals(
            batches=self.batches + (result is not None),
            fetched=self.fetched + tally.fetched,
            matched=self.matched + tally.matched,
            malformed=self.malformed + tally.malformed,
            ingested=ingested,
            errors=self.errors + samples,
            cursor=cursor if cursor is not None else self.cursor,
        )

    def failed(self, message: str) -> RunTotals:
        """These totals with the error that stopped the run."""
        return replace(self, errors=(*self.errors, {"kind": "failure", "message": message}))

    def columns(self) -> dict[str, Any]:
        """The run-record columns these totals fill."""
        counts = (self.ingested.indicators, self.ingested.attributes, self.ingested.events)
        return {
            "batches": self.batches,
            "records_fetched": self.fetched,
            "records_matched": self.matched,
            "records_malformed": self.malformed,
            "objects_created": sum(c.created for c in counts) + self.ingested.relations.created,
            "objects_updated": sum(c.updated for c in counts),
            "ingested": json.dumps(self.ingested.as_dict()),
            "errors": json.dumps(list(self.errors)),
            "cursor": self.cursor,
        }


@dataclass(frozen=True, slots=True)
class RunStart:
    """A new run record: where the run fetches from and the origin it keys events with."""

    run_id: int
    cursor: str | None
    origin_cursor: str | None
    interrupted: tuple[int, ...]


def begin(
    connection: Connection,
    name: str,
    holder: str,
    cursor: str | None,
    now: datetime,
    not_before: datetime | None = None,
) -> RunStart | None:
    """Open a run record (None if a run already finished since ``not_before``).

    Call it holding the lease: any record still ``running`` then belongs to a run that died,
    so it is closed as failed and the new run continues its unit of work.
    """
    if (
        not_before is not None
        and connection.execute(
            select(_runs.c.id).where(
                _runs.c.integration == name,
                _runs.c.status != RunStatus.RUNNING,
                _runs.c.started_at >= not_before,
            )
        ).first()
    ):
        return None
    orphans = connection.execute(
        select(_runs.c.id, _runs.c.errors).where(
            _runs.c.integration == name, _runs.c.status == RunStatus.RUNNING
        )
    ).all()
    for orphan in orphans:
        errors = [*json.loads(orphan.errors), {"kind": "failure", "message": INTERRUPTED}]
        connection.execute(
            update(_runs)
            .where(_runs.c.id == orphan.id)
            .values(status=RunStatus.FAILED, finished_at=now, errors=json.dumps(errors))
        )
    last = connection.execute(
        select(_runs.c.status, _runs.c.origin_cursor)
        .where(_runs.c.integration == name)
        .order_by(_runs.c.id.desc())
        .limit(1)
    ).first()
    # A run that did not finish left its unit of work open: continue it, same origin.
    origin = last.origin_cursor if last and last.status == RunStatus.FAILED else cursor
    run_id = connection.execute(
        _runs.insert()
        .values(
            integration=name,
            status=RunStatus.RUNNING,
            holder=holder,
            started_at=now,
            origin_cursor=origin,
            start_cursor=cursor,
            **RunTotals(cursor=cursor).columns(),
        )
        .returning(_runs.c.id)
    ).scalar_one()
    return RunStart(run_id, cursor, origin, tuple(orphan.id for orphan in orphans))


def save_progress(connection: Connection, run_id: int, totals: RunTotals) -> None:
    """Write a running run's counters (in the transaction of the batch they include)."""
    connection.execute(update(_runs).where(_runs.c.id == run_id).values(**totals.columns()))


def finish(
    connection: Connection, run_id: int, status: RunStatus, totals: RunTotals, now: datetime
) -> bool:
    """Close a run record; False if it was already closed (another process found it dead)."""
    statement = (
        update(_runs)
        .where(_runs.c.id == run_id, _runs.c.status == RunStatus.RUNNING)
        .values(status=status, finished_at=now, **totals.columns())
    )
    return bool(connection.execute(statement).rowcount)


@dataclass(frozen=True, slots=True)
class RunView:
    """A run record as people and scripts read it."""

    id: int
    integration: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    records: dict[str, int]
    ingested: dict[str, Any]
    errors: list[dict[str, str]]
    cursors: dict[str, str | None]

    def as_dict(self) -> dict[str, Any]:
        """JSON form: id, status, times, counters, objects created/updated, errors, cursors."""
        return {
            "id": self.id,
            "integration": self.integration,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            **self.records,
            "ingested": self.ingested,
            "errors": self.errors,
            **self.cursors,
        }


def _view(row: Any) -> RunView:
    return RunView(
        id=row.id,
        integration=row.integration,
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        records={
            "batches": row.batches,
            "records_fetched": row.records_fetched,
            "records_matched": row.records_matched,
            "records_malformed": row.records_malformed,
            "objects_created": row.objects_created,
            "objects_updated": row.objects_updated,
        },
        ingested=json.loads(row.ingested),
        errors=json.loads(row.errors),
        cursors={
            "origin_cursor": row.origin_cursor,
            "start_cursor": row.start_cursor,
            "cursor": row.cursor,
        },
    )


def list_runs(connection: Connection, name: str, limit: int = 50) -> list[RunView]:
    """An integration's runs, newest first."""
    rows = connection.execute(
        select(_runs).where(_runs.c.integration == name).order_by(_runs.c.id.desc()).limit(limit)
    )
    return [_view(row) for row in rows]


def latest_runs(connection: Connection) -> dict[str, RunView]:
    """The newest run of each integration, by name."""
    newest = select(func.max(_runs.c.id)).group_by(_runs.c.integration).scalar_subquery()
    rows = connection.execute(select(_runs).where(_runs.c.id.in_(newest)))
    return {row.integration: _view(row) for row in rows}


def last_started(connection: Connection) -> dict[str, datetime]:
    """When each integration's newest run started, by name."""
    rows = connection.execute(
        select(_runs.c.integration, func.max(_runs.c.started_at)).group_by(_runs.c.integration)
    ).tuples()
    return dict(rows.all())
