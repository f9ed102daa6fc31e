"""Whitelist rules in the database, and their effect on stored indicators."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, delete, select, update

from tipwire.errors import NotFoundError
from tipwire.model import PROTECTED_STATUSES, Status
from tipwire.model.whitelist import WhitelistMatcher, WhitelistRule
from tipwire.store.dialect import upsert
from tipwire.store.schema import IndicatorRow, WhitelistRuleRow, table

_rules = table(WhitelistRuleRow)
_indicators = table(IndicatorRow)


def list_rules(connection: Connection) -> list[tuple[int, WhitelistRule]]:
    """All rules with their ids, oldest first."""
    rows = connection.execute(
        select(_rules.c.id, _rules.c.type, _rules.c.pattern).order_by(_rules.c.id)
    )
    return [(row.id, WhitelistRule.parse(row.type, row.pattern)) for row in rows]


def load_matcher(connection: Connection) -> WhitelistMatcher:
    """Compile every stored rule for use during one ingest."""
    return WhitelistMatcher(rule for _, rule in list_rules(connection))


def add_rule(connection: Connection, rule: WhitelistRule) -> tuple[int, int]:
    """Store ``rule`` (once) and whitelist the stored indicators it matches.

    Returns the rule id and how many indicators changed status. Indicators whose status an
    analyst set by hand keep it, as at ingest.
    """
    connection.execute(
        upsert(connection, _rules)
        .values(type=rule.type.value, pattern=rule.pattern, created_at=datetime.now(UTC))
        .on_conflict_do_nothing()
    )
    rule_id = connection.execute(
        select(_rules.c.id).where(
            _rules.c.type == rule.type.value, _rules.c.pattern == rule.pattern
        )
    ).scalar_one()
    candidates = select(_indicators.c.id, _indicators.c.value).where(
        _indicators.c.type == rule.type.value,
        _indicators.c.status_manual.is_(False),
        _indicators.c.status.not_in([s.value for s in PROTECTED_STATUSES]),
    )
    if rule.network is None:
        like = rule.pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        candidates = candidates.where(
            _indicators.c.value.ilike(like.replace("*", "%"), escape="\\")
        )
    matcher = WhitelistMatcher([rule])
    ids = [
        row.id for row in connection.execute(candidates) if matcher.matches(rule.type, row.value)
    ]
    for start in range(0, len(ids), 1000):
        connection.execute(
            update(_indicators)
            .where(_indicators.c.id.in_(ids[start : start + 1000]))
            .values(status=Status.WHITELISTED.value, updated_at=datetime.now(UTC))
        )
    return int(rule_id), len(ids)


def remove_rule(connection: Connection, rule_id: int) -> None:
    """Delete a rule; indicators it whitelisted keep their status (it is protected)."""
    if connection.execute(delete(_rules).where(_rules.c.id == rule_id)).rowcount == 0:
        raise NotFoundError(f"whitelist rule {rule_id} does not exist")
