"""Integrations: the list, and per integration its settings form, switches, run now and runs."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from tipwire.api.deps import Context
from tipwire.api.routes.integrations import Name
from tipwire.errors import ConfigurationError
from tipwire.exchange import catalog, launch, runs
from tipwire.exchange.config import SettingsError
from tipwire.exchange.runs import RunStatus
from tipwire.identity import Role
from tipwire.store import audit
from tipwire.web import forms
from tipwire.web.pages import AdminAction, Fields, PageRoute, Viewing, redirect, render
from tipwire.web.sessions import Session

router = APIRouter(route_class=PageRoute)

RUNS_SHOWN = 20
AWAIT_SECONDS = 60
"""How long the page keeps refreshing for a started run whose record has not appeared yet."""


@router.get("/integrations")
def integrations_page(request: Request, shared: Context, _session: Viewing) -> Response:
    """Installed integrations: enabled or not, schedule, and how the last run went."""
    entries = catalog.summaries(shared.store.engine, shared.registry)
    return render(request, "integrations.html", integrations=entries)


def _page(
    request: Request,
    shared: Context,
    session: Session,
    name: str,
    *,
    status_code: int = 200,
    error: str = "",
    submitted: dict[str, str] | None = None,
    problems: list[tuple[str, str]] | None = None,
) -> Response:
    details = catalog.details(shared.configs, name)
    integration = shared.registry.get(name)
    with shared.store.read() as connection:
        found = runs.list_runs(connection, name, RUNS_SHOWN)
    newest = found[0].id if found else 0
    admin = session.principal.role.allows(Role.ADMIN)
    fields = (
        forms.build(
            integration.Config, details["settings"], integration.schedule, submitted, problems
        )
        if admin
        else []
    )
    return render(
        request,
        "integration.html",
        status_code=status_code,
        details=details,
        fields=fields,
        can_configure=admin,
        runs=found,
        running=any(run.status == RunStatus.RUNNING for run in found) or _awaited(request, newest),
        error=error,
        problems=problems or [],
    )


def _awaited(request: Request, newest: int) -> bool:
    """Whether a run started from this page has yet to show up in the log (for a while)."""
    try:
        after = int(request.query_params.get("after", ""))
        since = float(request.query_params.get("at", ""))
    except ValueError:
        return False
    return newest <= after and time.time() - since < AWAIT_SECONDS


@router.get("/integrations/{name}")
def integration_page(request: Request, shared: Context, session: Viewing, name: Name) -> Response:
    """One integration: its settings (a form for admins), switches, run now and activity log."""
    return _page(request, shared, session, name)


def _audit(shared: Context, session: Session, action: str, name: str, **states: Any) -> None:
    with shared.store.write() as connection:
        audit.record(connection, session.principal.actor, action, "integration", name, **states)


@router.post("/integrations/{name}/config")
def configure(
    request: Request, shared: Context, session: AdminAction, fields: Fields, name: Name
) -> Response:
    """Save the settings form: validated as a whole, each bad value named beside its field."""
    integration = shared.registry.get(name)
    before = catalog.details(shared.configs, name)
    changes, unset = forms.changes_from(
        integration.Config, fields, before["settings"], set(before["chosen"])
    )
    try:
        shared.configs.configure(name, changes, unset=unset)
    except SettingsError as exc:
        return _page(
            request,
            shared,
            session,
            name,
            status_code=422,
            error="The settings were not saved: fix the fields marked below.",
            submitted=fields,
            problems=exc.problems,
        )
    after = catalog.details(shared.configs, name)["settings"]
    _audit(shared, session, "integration.configure", name, before=before["settings"], after=after)
    return redirect(f"/integrations/{name}", "saved")


def _switch(
    request: Request, shared: Context, session: Session, name: str, enabled: bool
) -> Response:
    try:
        shared.configs.set_enabled(name, enabled)
    except ConfigurationError as exc:
        return _page(request, shared, session, name, status_code=409, error=str(exc))
    action = "integration.enable" if enabled else "integration.disable"
    _audit(shared, session, action, name, after={"enabled": enabled})
    return redirect(f"/integrations/{name}", "enabled" if enabled else "disabled")


@router.post("/integrations/{name}/enable")
def enable(request: Request, shared: Context, session: AdminAction, name: Name) -> Response:
    """Switch the integration on (only when its settings are valid)."""
    return _switch(request, shared, session, name, True)


@router.post("/integrations/{name}/disable")
def disable(request: Request, shared: Context, session: AdminAction, name: Name) -> Response:
    """Switch the integration off."""
    return _switch(request, shared, session, name, False)


@router.post("/integrations/{name}/run")
def run_now(request: Request, shared: Context, session: AdminAction, name: Name) -> Response:
    """Start a run now in the background; it shows in the activity log."""
    try:
        shared.configs.ready(name)  # refuse now, clearly, what the child would refuse later
    except ConfigurationError as exc:
        return _page(request, shared, session, name, status_code=409, error=str(exc))
    with shared.store.read() as connection:
        found = runs.list_runs(connection, name, 1)
    launch.start_run(name)
    _audit(shared, session, "integration.run", name)
    # The child opens its run record a moment later: the page waits for a newer one.
    after = found[0].id if found else 0
    return redirect(f"/integrations/{name}?after={after}&at={time.time():.0f}", "started")
