"""Integrations: list, show (secrets masked), configure, enable, disable, run now, runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from tipwire.api.deps import Admin, Context, Viewer
from tipwire.api.responses import Json, item, listing
from tipwire.exchange import catalog, launch, runs
from tipwire.store import audit

router = APIRouter(prefix="/integrations", tags=["integrations"])

Name = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]


@router.get("")
def list_integrations(shared: Context, _principal: Viewer) -> Json:
    """Installed integrations: enabled or not, schedule, last run (broken ones with why)."""
    entries = catalog.summaries(shared.store.engine, shared.registry)
    return listing(entries, len(entries))


@router.get("/{name}")
def show_integration(shared: Context, _principal: Viewer, name: Name) -> Json:
    """One integration, its settings with secret values masked, and its config schema."""
    details = catalog.details(shared.configs, name)
    details["config_schema"] = shared.registry.get(name).Config.model_json_schema()
    return item(details)


@router.put("/{name}/config")
def configure_integration(
    shared: Context,
    principal: Admin,
    name: Name,
    changes: Annotated[
        dict[str, Any],
        Body(description="Settings to change; null returns a setting to its default."),
    ],
) -> Json:
    """Change some settings; the whole config is validated, each bad field named."""
    configs = shared.configs
    before = catalog.details(configs, name)["settings"]
    unset = [key for key, value in changes.items() if value is None]
    configs.configure(name, {k: v for k, v in changes.items() if v is not None}, unset=unset)
    after = catalog.details(configs, name)
    with shared.store.write() as connection:
        audit.record(
            connection,
            principal.actor,
            "integration.configure",
            "integration",
            name,
            before=before,
            after=after["settings"],
        )
    return item(after)


def _switch(shared: Context, principal: Admin, name: str, enabled: bool) -> Json:
    shared.configs.set_enabled(name, enabled)
    with shared.store.write() as connection:
        audit.record(
            connection,
            principal.actor,
            "integration.enable" if enabled else "integration.disable",
            "integration",
            name,
            after={"enabled": enabled},
        )
    return item(catalog.details(shared.configs, name))


@router.post("/{name}/enable")
def enable_integration(shared: Context, principal: Admin, name: Name) -> Json:
    """Switch an integration on (only when its settings are valid)."""
    return _switch(shared, principal, name, True)


@router.post("/{name}/disable")
def disable_integration(shared: Context, principal: Admin, name: Name) -> Json:
    """Switch an integration off."""
    return _switch(shared, principal, name, False)


@router.post("/{name}/run", status_code=202)
def run_integration(shared: Context, principal: Admin, name: Name) -> Json:
    """Start a run now, in the background; follow it in the runs log."""
    shared.configs.ready(name)  # refuse now, clearly, what the child would refuse later
    child = launch.start_run(name)
    with shared.store.write() as connection:
        audit.record(connection, principal.actor, "integration.run", "integration", name)
    return item({"name": name, "started": True, "pid": child.pid}, status_code=202)


@router.get("/{name}/runs")
def integration_runs(
    shared: Context,
    _principal: Viewer,
    name: Name,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Json:
    """The activity log: the integration's runs, newest first, with counts and errors."""
    shared.registry.get(name)
    with shared.store.read() as connection:
        found = runs.list_runs(connection, name, limit)
    return listing([r.as_dict() for r in found], len(found))
