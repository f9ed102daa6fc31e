"""Event titles and descriptions that name counters and stored facts, filled in after ingest."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, func, select, update

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

_events = table(EventRow)
_counters = table(EventCounterRow)
_links = table(EventIndicatorRow)
_indicators = table(IndicatorRow)
_attributes = table(EventAttributeRow)


def is_template(text: str) -> bool:
    """Whether ``text`` names anything the store fills in."""
    return PLACEHOLDER.search(text) is not None


def record_counters(
    connection: Connection, event_id: int, part: str, counters: Mapping[str, int]
) -> None:
    """Store one batch's contribution to an event's counters, replacing an earlier copy of it."""
    for name, value in counters.items():
        stmt = upsert(connection, _counters).values(
            event_id=event_id, part=part, name=name, value=value
        )
        connection.execute(
            stmt.on_conflict_do_update(
                index_elements=[_counters.c.event_id, _counters.c.part, _counters.c.name],
                set_={"value": stmt.excluded.value},
            )
        )


def render_summaries(connection: Connection, event_ids: Iterable[int]) -> None:
    """Fill in the templates of these events from their counters, relations and attributes."""
    for event_id in event_ids:
        row = connection.execute(
            select(
                _events.c.title,
                _events.c.description,
                _events.c.title_template,
                _events.c.description_template,
            ).where(_events.c.id == event_id)
        ).one()
        if row.title_template is None and row.description_template is None:
            continue
        facts = _facts(connection, event_id)
        title = _fill(row.title_template, facts) if row.title_template else row.title
        description = (
            _fill(row.description_template, facts) if row.description_template else row.description
        )
        if (title, description) != (row.title, row.description):
            connection.execute(
                update(_events)
                .where(_events.c.id == event_id)
                .values(title=title[:512], description=description)
            )


def _facts(connection: Connection, event_id: int) -> dict[str, str]:
    facts: dict[str, str] = {}
    for name, total in connection.execute(
        select(_counters.c.name, func.sum(_counters.c.value))
        .where(_counters.c.event_id == event_id)
        .group_by(_counters.c.name)
    ):
        facts[name] = str(int(total))
    for type_name, count in connection.execute(
        select(_indicators.c.type, func.count())
        .select_from(_links.join(_indicators, _indicators.c.id == _links.c.indicator_id))
        .where(_links.c.event_id == event_id)
        .group_by(_indicators.c.type)
    ):
        facts[f"related:{type_name}"] = str(count)
    values: dict[str, list[str]] = {}
    for name, value in connection.execute(
        select(_attributes.c.name, _attributes.c.value)
        .where(_attributes.c.event_id == event_id)
        .order_by(_attributes.c.value)
    ):
        if value not in values.setdefault(name, []):
            values[name].append(value)
    for name, found in values.items():
        facts[f"attribute:{name}"] = ", ".join(found)
    return facts


def _fill(template: str, facts: Mapping[str, str]) -> str:
    def lookup(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in facts:
            return facts[key]
        # A counter or relation that has nothing yet reads as zero; a missing attribute as none.
        return "none" if key.startswith("attribute:") else "0"

    return PLACEHOLDER.sub(lookup, template)
