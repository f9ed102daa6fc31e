"""Whitelist rules: values and blocks that must never be treated as threats."""

from __future__ import annotations

from fastapi import APIRouter

from tipwire.api.deps import Analyst, Context, Viewer
from tipwire.api.responses import Json, item, listing
from tipwire.api.routes.common import ObjectId
from tipwire.api.schemas import WhitelistRuleIn
from tipwire.model.whitelist import WhitelistRule
from tipwire.store import audit, whitelist

router = APIRouter(prefix="/whitelist", tags=["whitelist"])


def _shown(rule_id: int, rule: WhitelistRule) -> dict[str, object]:
    return {"id": rule_id, "type": rule.type.value, "pattern": rule.pattern}


@router.get("")
def list_rules(shared: Context, _principal: Viewer) -> Json:
    """Every whitelist rule."""
    with shared.store.read() as connection:
        rules = whitelist.list_rules(connection)
    return listing([_shown(i, r) for i, r in rules], len(rules))


@router.post("", status_code=201)
def add_rule(shared: Context, principal: Analyst, body: WhitelistRuleIn) -> Json:
    """Add a rule; indicators it matches become Whitelisted now and on every later ingest."""
    rule = WhitelistRule.parse(body.type, body.pattern)
    with shared.store.write() as connection:
        rule_id, changed = whitelist.add_rule(connection, rule)
        shown = _shown(rule_id, rule)
        audit.record(
            connection, principal.actor, "whitelist.add", "whitelist_rule", rule_id, after=shown
        )
    return item({**shown, "whitelisted": changed}, status_code=201)


@router.delete("/{rule_id}")
def remove_rule(shared: Context, principal: Analyst, rule_id: ObjectId) -> Json:
    """Remove a rule (indicators it whitelisted keep their status)."""
    with shared.store.write() as connection:
        rules = dict(whitelist.list_rules(connection))
        whitelist.remove_rule(connection, rule_id)
        before = _shown(rule_id, rules[rule_id]) if rule_id in rules else None
        audit.record(
            connection,
            principal.actor,
            "whitelist.remove",
            "whitelist_rule",
            rule_id,
            before=before,
        )
    return item({"id": rule_id, "removed": True})
