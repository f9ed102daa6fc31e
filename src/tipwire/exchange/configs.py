"""Integration settings in the database: merged, validated, secrets encrypted, shown masked."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import cached_property
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Connection, Engine, select, update

from tipwire.config import Settings
from tipwire.errors import ConfigurationError
from tipwire.exchange.config import (
    IntegrationConfig,
    check_known,
    secret_fields,
    validate_settings,
)
from tipwire.exchange.registry import IntegrationClass, Registry
from tipwire.exchange.secrets import MASK, SecretBox
from tipwire.store.dialect import upsert
from tipwire.store.engine import write_transaction
from tipwire.store.schema import IntegrationConfigRow, table

_configs = table(IntegrationConfigRow)
# How a secret value is stored: {"encrypted": "<Fernet token>"}, never the value itself.
_ENCRYPTED = "encrypted"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredIntegration:
    """An integration's row: its switch, its stored settings and its committed cursor."""

    name: str
    enabled: bool
    settings: dict[str, Any]
    cursor: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Ready:
    """An enabled integration with its validated settings, ready to run."""

    integration: IntegrationClass
    config: IntegrationConfig
    cursor: str | None


def load(
    connection: Connection, name: str, *, for_update: bool = False
) -> StoredIntegration | None:
    """The stored row of one integration, or None if it was never configured.

    ``for_update`` locks the row until the transaction ends (PostgreSQL; SQLite's write
    transactions are exclusive anyway), so a read-change-write loses no concurrent change.
    """
    query = select(_configs).where(_configs.c.name == name)
    row = connection.execute(query.with_for_update() if for_update else query).first()
    return _stored(row) if row else None


def load_all(connection: Connection) -> dict[str, StoredIntegration]:
    """The stored rows of every configured integration, by name."""
    return {row.name: _stored(row) for row in connection.execute(select(_configs))}


def _stored(row: Any) -> StoredIntegration:
    return StoredIntegration(
        row.name, bool(row.enabled), json.loads(row.settings), row.cursor, row.updated_at
    )


def _write(connection: Connection, name: str, **values: Any) -> None:
    """Insert the integration's row or update the given columns of it."""
    now = datetime.now(UTC)
    row = {"enabled": False, "settings": "{}", "cursor": None} | values
    statement = upsert(connection, _configs).values(
        name=name, created_at=now, updated_at=now, **row
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[_configs.c.name], set_={"updated_at": now, **values}
        )
    )


def set_cursor(connection: Connection, name: str, cursor: str) -> None:
    """Record the cursor a run reached (in the transaction that stored the data it covers)."""
    connection.execute(update(_configs).where(_configs.c.name == name).values(cursor=cursor))


class ConfigStore:
    """Reads and changes integration settings, encrypting secret values on the way in."""

    def __init__(self, engine: Engine, registry: Registry, settings: Settings) -> None:
        self.engine = engine
        self.registry = registry
        self.settings = settings

    @cached_property
    def box(self) -> SecretBox:
        """The key for secret values, loaded (or created) only when a secret is touched."""
        return SecretBox.from_settings(self.settings)

    def configure(
        self, name: str, changes: Mapping[str, Any], unset: Iterable[str] = ()
    ) -> IntegrationConfig:
        """Change only the given keys, validate the merged settings as a whole, then save."""
        integration = self.registry.get(name)
        removed = set(unset)
        check_known(name, integration.Config, [*changes, *removed])
        with write_transaction(self.engine) as connection:
            stored = load(connection, name, for_update=True)
            kept = {
                key: value
                for key, value in (stored.settings if stored else {}).items()
                if key not in changes and key not in removed
            }
            merged = self._plain(name, integration, kept) | dict(changes)
            config = validate_settings(name, integration.Config, merged)
            _write(connection, name, settings=json.dumps(self._for_storage(config)))
        return config

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Switch an integration on (only if its settings are valid) or off."""
        integration = self.registry.get(name)
        with write_transaction(self.engine) as connection:
            if enabled:
                stored = load(connection, name)
                self._validated(name, integration, stored.settings if stored else {})
            _write(connection, name, enabled=enabled)

    def ready(self, name: str) -> Ready:
        """The integration with its decrypted, validated settings; raise if it may not run."""
        integration = self.registry.get(name)
        with self.engine.connect() as connection:
            stored = load(connection, name)
        if stored is None or not stored.enabled:
            raise ConfigurationError(
                f"{name} is disabled: configure it, then `tipwire integrations enable {name}`"
            )
        config = self._validated(name, integration, stored.settings)
        return Ready(integration, config, stored.cursor)

    def validated(self, name: str) -> IntegrationConfig:
        """An integration's decrypted, validated settings, enabled or not (for imports)."""
        integration = self.registry.get(name)
        with self.engine.connect() as connection:
            stored = load(connection, name)
        if stored is None:
            raise ConfigurationError(
                f"{name} is not configured: tipwire integrations configure {name} --set ..."
            )
        return self._validated(name, integration, stored.settings)

    def masked(self, name: str) -> tuple[StoredIntegration | None, dict[str, Any]]:
        """The stored row and every setting's value as shown to people: secrets masked."""
        integration = self.registry.get(name)
        with self.engine.connect() as connection:
            stored = load(connection, name)
        values = stored.settings if stored else {}
        secrets = secret_fields(integration.Config)
        shown: dict[str, Any] = {}
        for field, info in integration.Config.model_fields.items():
            if field in values:
                shown[field] = MASK if field in secrets and values[field] else values[field]
            elif not info.is_required():
                default = info.get_default(call_default_factory=True)
                shown[field] = _jsonable(default)
        return stored, shown

    def _validated(
        self, name: str, integration: IntegrationClass, stored: Mapping[str, Any]
    ) -> IntegrationConfig:
        return validate_settings(name, integration.Config, self._plain(name, integration, stored))

    def _plain(
        self, name: str, integration: IntegrationClass, stored: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Stored settings with secrets decrypted; settings the plugin dropped are left out."""
        fields = integration.Config.model_fields
        plain: dict[str, Any] = {}
        for key, value in stored.items():
            if key not in fields:
                log.warning("%s: ignoring stored setting %r it no longer has", name, key)
            elif isinstance(value, dict) and set(value) == {_ENCRYPTED}:
                plain[key] = self.box.decrypt(value[_ENCRYPTED], f"{name} {key}")
            else:
                plain[key] = value
        return plain

    def _for_storage(self, config: IntegrationConfig) -> dict[str, Any]:
        """The settings a user chose, as JSON, with each secret value encrypted."""
        chosen = config.model_fields_set
        stored: dict[str, Any] = config.model_dump(mode="json", include=chosen)
        for field in secret_fields(type(config)) & chosen:
            secret = getattr(config, field)
            if isinstance(secret, SecretStr):
                stored[field] = {_ENCRYPTED: self.box.encrypt(secret.get_secret_value())}
        return stored


def _jsonable(value: Any) -> Any:
    """A default value as JSON would show it."""
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
