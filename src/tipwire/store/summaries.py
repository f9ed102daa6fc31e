"""Event titles and descriptions that name counters and stored facts, filled in after ingest."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, bindparam, func, or_, select, update

from tipwire.store.dialect import upsert
from tipwire.store.schema import (
    EventAttributeRow,
    EventCounterRow,
    EventIndicatorRow,
    EventRow,
    IndicatorRow,
    table,
)

PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w]*|related:[^{}]+|attribute:[^{}]+)\}")

# Events rendered per round trip: stays under SQLite's bound-parameter limit.
CHUNK = 500
_events = table(EventRow)
_counters = table(EventCounterRow)
_links = table(EventIndicatorRow)
_indicators = table(IndicatorRow)
_attributes = table(EventAttributeRow)


def is_template(text: str) -> bool:
    """Whether ``text`` names anything the store fills in."""
    return PLACEHOLDER.search(text) is not None


def record_counters_many(
    connection: Connection, contributions: Iterable[tuple[int, str, Mapping[str, int]]]
) -> None:
    """Store batches' contributions to event counters, each replacing an earlier copy of it."""
    rows = [
        {"event_id": event_id, "part": part, "name": name, "value": value}
        for event_id, part, counters in contributions
        for name, value in counters.items()
    ]
    if not rows:
        return
    stmt = upsert(connection, _counters)
    connection.execute(
        stmt.on_conflict_do_update(
            index_elements=[_counters.c.event_id, _counters.c.part, _counters.c.name],
            set_={"value": stmt.excluded.value},
        ),
        rows,
    )


def render_summaries(connection: Connection, event_ids: Iterable[int]) -> None:
    """Fill in the templates of these events from their counters, relations and attributes."""
    wanted = list(event_ids)
    for start in range(0, len(wanted), CHUNK):
        _render_chunk(connection, wanted[start : start + CHUNK])


def _render_chunk(connection: Connection, event_ids: list[int]) -> None:
    rows = connection.execute(
        select(
            _events.c.id,
            _events.c.title,
            _events.c.description,
            _events.c.title_template,
            _events.c.description_template,
        ).where(
            _events.c.id.in_(event_ids),
            or_(_events.c.title_template.is_not(None), _events.c.description_template.is_not(None)),
        )
    ).all()
    if not rows:
        return
    facts = _facts(connection, [row.id for row in rows])
    changes = []
    for row in rows:
        known = facts.get(row.id, {})
        title = _fill(row.title_template, known) if row.title_template else row.title
        description = (
            _fill(row.description_template, known) if row.description_template else row.description
        )
        if (title, description) != (row.title, row.description):
            changes.append({"id_": row.id, "title_": title[:512], "description_": description})
    if changes:
        connection.execute(
            update(_events)
            .where(_events.c.id == bindparam("id_"))
            .values(title=bindparam("title_"), description=bindparam("description_")),
            changes,
        )


def _facts(connection: Connection, event_ids: list[int]) -> dict[int, dict[str, str]]:
    """Counter totals, related-indicator counts and attribute values of each event, by id."""
    facts: dict[int, dict[str, str]] = {event_id: {} for event_id in event_ids}
    for event_id, name, total in connection.execute(
        select(_counters.c.event_id, _counters.c.name, func.sum(_counters.c.value))
        .where(_counters.c.event_id.in_(event_ids))
        .group_by(_counters.c.event_id, _counters.c.name)
    ):
        facts[event_id][name] = str(int(total))
    for event_id, type_name, count in connection.execute(
        select(_links.c.event_id, _indicators.c.type, func.count())
        .select_from(_links.join(_indicators, _indicators.c.id == _links.c.indicator_id))
        .where(_links.c.event_id.in_(event_ids))
        .group_by(_links.c.event_id, _indicators.c.type)
    ):
        facts[event_id][f"related:{type_name}"] = str(count)
    values: dict[int, dict[str, list[str]]] = {event_id: {} for event_id in event_ids}
    for event_id, name, value in connection.execute(
        select(_attributes.c.event_id, _attributes.c.name, _attributes.c.value)
        .where(_attributes.c.event_id.in_(event_ids))
        .order_by(_attributes.c.event_id, _attributes.c.value)
    ):
        seen = values[event_id].setdefault(name, [])
        if value not in seen:
            seen.append(value)
    for event_id, named in values.items():
        for name, found in named.items():
            facts[event_id][f"attribute:{name}"] = ", ".join(found)
    return facts


def _fill(template: str, facts: Mapping[str, str]) -> str:
    def lookup(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in facts:
            return facts[key]
        # A counter or relation that has nothing yet reads as zero; a missing attribute as none.
        return "none" if key.startswith("attribute:") else "0"

    return PLACEHOLDER.sub(lookup, template)
