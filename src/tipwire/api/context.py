"""What every request handler shares: settings, the store, the integrations, the throttle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from tipwire.config import Settings
from tipwire.exchange.configs import ConfigStore
from tipwire.exchange.registry import Registry
from tipwire.identity.throttle import LoginThrottle
from tipwire.store import Store


@dataclass
class AppContext:
    """The long-lived parts of a running server."""

    settings: Settings
    store: Store
    registry: Registry
    throttle: LoginThrottle = field(default_factory=LoginThrottle)

    @property
    def configs(self) -> ConfigStore:
        """Integration settings, with secrets encrypted."""
        return ConfigStore(self.store.engine, self.registry, self.settings)

    @property
    def access_lifetime(self) -> timedelta:
        """How long a bearer token lives."""
        return timedelta(minutes=self.settings.access_token_minutes)

    @property
    def refresh_lifetime(self) -> timedelta:
        """How long a refresh token lives."""
        return timedelta(days=self.settings.refresh_token_days)
