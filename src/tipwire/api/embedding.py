"""``?with=`` embedding and the shapes of indicators and events in answers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from tipwire.errors import InvalidValueError
from tipwire.store import queries
from tipwire.store.queries import EventView, IndicatorView

INDICATOR_EMBEDS = frozenset({"attributes", "sources", "score"})
EVENT_EMBEDS = frozenset({"attributes", "sources"})


def parse_with(text: str | None, allowed: frozenset[str]) -> frozenset[str]:
    """The embeds asked for, or an error naming the unknown one."""
    asked = frozenset(part.strip() for part in (text or "").split(",") if part.strip())
    unknown = sorted(asked - allowed)
    if unknown:
        raise InvalidValueError(
            "with", ",".join(unknown), f"cannot be embedded (use {', '.join(sorted(allowed))})"
        )
    return asked


def indicators(
    connection: Connection, views: list[IndicatorView], embeds: frozenset[str]
) -> list[dict[str, Any]]:
    """Indicators as answered: the core fields plus what ``embeds`` asks for."""
    attributes = (
        queries.indicator_attributes_many(connection, [v.id for v in views])
        if "attributes" in embeds
        else {}
    )
    shaped = []
    for view in views:
        shown = view.as_dict()
        if "sources" not in embeds:
            del shown["sources"]
        if "score" not in embeds:
            del shown["score"]
        if "attributes" in embeds:
            shown["attributes"] = [a.as_dict() for a in attributes[view.id]]
        shaped.append(shown)
    return shaped


def events(
    connection: Connection, views: list[EventView], embeds: frozenset[str]
) -> list[dict[str, Any]]:
    """Events as answered: the core fields plus what ``embeds`` asks for."""
    attributes = (
        queries.event_attributes_many(connection, [v.id for v in views])
        if "attributes" in embeds
        else {}
    )
    shaped = []
    for view in views:
        shown = view.as_dict()
        if "sources" not in embeds:
            del shown["sources"]
        if "attributes" in embeds:
            shown["attributes"] = [a.as_dict() for a in attributes[view.id]]
        shaped.append(shown)
    return shaped
