"""Whitelist rules: list, add and remove."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tipwire.api.deps import Context
from tipwire.api.routes.common import ObjectId
from tipwire.errors import InvalidValueError
from tipwire.model import IndicatorType
from tipwire.model.whitelist import WhitelistRule
from tipwire.store import audit, whitelist
from tipwire.web.pages import AnalystAction, Fields, PageRoute, Viewing, redirect, render

router = APIRouter(route_class=PageRoute)


def _page(
    request: Request,
    shared: Context,
    *,
    status_code: int = 200,
    error: str = "",
    submitted: dict[str, str] | None = None,
) -> Response:
    with shared.store.read() as connection:
        rules = whitelist.list_rules(connection)
    return render(
        request,
        "whitelist.html",
        status_code=status_code,
        rules=rules,
        types=[t.value for t in IndicatorType],
        error=error,
        submitted=submitted or {},
    )


@router.get("/whitelist")
def whitelist_page(request: Request, shared: Context, _session: Viewing) -> Response:
    """Every whitelist rule, with a form to add one."""
    return _page(request, shared)


@router.post("/whitelist")
def add_rule(request: Request, shared: Context, session: AnalystAction, fields: Fields) -> Response:
    """Add a rule; indicators it matches become Whitelisted now and at every later ingest."""
    try:
        rule = WhitelistRule.parse(fields.get("type", ""), fields.get("pattern", ""))
    except InvalidValueError as exc:
        return _page(request, shared, status_code=422, error=str(exc), submitted=fields)
    with shared.store.write() as connection:
        rule_id, changed = whitelist.add_rule(connection, rule)
        shown = {"id": rule_id, "type": rule.type.value, "pattern": rule.pattern}
        audit.record(
            connection,
            session.principal.actor,
            "whitelist.add",
            "whitelist_rule",
            rule_id,
            after={**shown, "whitelisted": changed},
        )
    return redirect("/whitelist", "rule-added")


@router.post("/whitelist/{rule_id}/remove")
def remove_rule(shared: Context, session: AnalystAction, rule_id: ObjectId) -> Response:
    """Remove a rule (indicators it whitelisted keep their status)."""
    with shared.store.write() as connection:
        rules = dict(whitelist.list_rules(connection))
        whitelist.remove_rule(connection, rule_id)
        rule = rules.get(rule_id)
        before = {"id": rule_id, "type": rule.type.value, "pattern": rule.pattern} if rule else None
        audit.record(
            connection,
            session.principal.actor,
            "whitelist.remove",
            "whitelist_rule",
            rule_id,
            before=before,
        )
    return redirect("/whitelist", "rule-removed")
