"""What a notification says: JSON for webhooks, subject and text for email."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from tipwire.store.queries import EventView

EVENT_CREATED = "event.created"
TEST = "test"


def run_kind(status: str) -> str:
    """The notification kind of a run that ended with ``status``: run.failed, run.partial."""
    return f"run.{status}"


def event_payload(
    event: EventView, integration: str, run_id: int | None, sent_at: datetime
) -> dict[str, Any]:
    """The body of a new-event notification."""
    return {
        "kind": EVENT_CREATED,
        "sent_at": sent_at.isoformat(),
        "integration": integration,
        "run_id": run_id,
        "event": event.as_dict(),
    }


def run_payload(run: dict[str, Any], sent_at: datetime) -> dict[str, Any]:
    """The body of a failed- or partial-run notification; ``run`` is the run record."""
    return {"kind": run_kind(run["status"]), "sent_at": sent_at.isoformat(), "run": run}


def test_payload(rule: str, sent_at: datetime) -> dict[str, Any]:
    """The body of a test notification."""
    return {
        "kind": TEST,
        "sent_at": sent_at.isoformat(),
        "rule": rule,
        "message": "TipWire can reach this endpoint.",
    }


def body(payload: dict[str, Any], delivery_id: int) -> bytes:
    """The JSON bytes sent, carrying the delivery id so receivers can drop repeats."""
    return orjson.dumps({"delivery_id": delivery_id, **payload}, option=orjson.OPT_SORT_KEYS)


def subject(payload: dict[str, Any]) -> str:
    """An email subject line for a payload."""
    kind = payload["kind"]
    if kind == EVENT_CREATED:
        event = payload["event"]
        return f"[TipWire] New {event['type']} event: {event['title']}"[:200]
    if kind == TEST:
        return f"[TipWire] Test notification for rule {payload['rule']}"
    run = payload["run"]
    return f"[TipWire] Run {run['id']} of {run['integration']} ended {run['status']}"


def text(payload: dict[str, Any]) -> str:
    """A plain-text email body: a summary line, then the details as JSON."""
    details = orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    return f"{subject(payload)}\n\n{details}\n"
