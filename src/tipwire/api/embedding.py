"""``?with=`` embedding and the shapes of indicators and events in answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection

from tipwire.errors import InvalidValueError
from tipwire.store import queries
from tipwire.store.queries import AttributeView, EventView, IndicatorView

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


def _shaped(
    views: Sequence[IndicatorView | EventView],
    embeds: frozenset[str],
    optional: frozenset[str],
    attributes: Callable[[list[int]], dict[int, list[AttributeView]]],
) -> list[dict[str, Any]]:
    """Each view's fields, without the ``optional`` ones not asked for, plus its attributes."""
    found = attributes([v.id for v in views]) if "attributes" in embeds else {}
    shaped = []
    for view in views:
        shown = view.as_dict()
        for name in optional - embeds:
            del shown[name]
        if "attributes" in embeds:
            shown["attributes"] = [a.as_dict() for a in found[view.id]]
        shaped.append(shown)
    return shaped


def indicators(
    connection: Connection, views: list[IndicatorView], embeds: frozenset[str]
) -> list[dict[str, Any]]:
    """Indicators as answered: the core fields plus what ``embeds`` asks for."""
    return _shaped(
        views,
        embeds,
        frozenset({"sources", "score"}),
        lambda ids: queries.indicator_attributes_many(connection, ids),
    )


def events(
    connection: Connection, views: list[EventView], embeds: frozenset[str]
) -> list[dict[str, Any]]:
    """Events as answered: the core fields plus what ``embeds`` asks for."""
    return _shaped(
        views,
        embeds,
        frozenset({"sources"}),
        lambda ids: queries.event_attributes_many(connection, ids),
    )
