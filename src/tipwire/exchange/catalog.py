"""What people see of the installed integrations: summaries and masked details."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from tipwire.exchange import runs
from tipwire.exchange.config import secret_fields
from tipwire.exchange.configs import ConfigStore, load_all
from tipwire.exchange.registry import Registry


def summaries(engine: Engine, registry: Registry) -> list[dict[str, Any]]:
    """Each installed integration: enabled or not, schedule, last run; broken ones last."""
    with engine.connect() as connection:
        stored = load_all(connection)
        latest = runs.latest_runs(connection)
    entries: list[dict[str, Any]] = []
    for name, integration in registry.integrations.items():
        row = stored.get(name)
        last = latest.get(name)
        chosen = row.settings.get("schedule") if row else None
        entries.append(
            {
                "name": name,
                "title": integration.title,
                "version": integration.version,
                "enabled": bool(row and row.enabled),
                "schedule": chosen or integration.schedule,
                "last_run": last.as_dict() if last else None,
                "problem": None,
            }
        )
    entries += [{"name": name, "problem": why} for name, why in registry.broken.items()]
    return entries


def details(config_store: ConfigStore, name: str) -> dict[str, Any]:
    """One integration with its settings as shown to people: secrets masked, never plain."""
    integration = config_store.registry.get(name)
    stored, shown = config_store.masked(name)
    return {
        "name": name,
        "title": integration.title,
        "description": integration.description,
        "version": integration.version,
        "enabled": bool(stored and stored.enabled),
        "schedule": shown.get("schedule") or integration.schedule,
        "cursor": stored.cursor if stored else None,
        "settings": shown,
        "chosen": sorted(stored.settings) if stored else [],
        "secret_fields": sorted(secret_fields(integration.Config)),
    }
