"""Settings read from the environment (prefix ``TIPWIRE_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "tipwire"


class Settings(BaseSettings):
    """Where TipWire keeps its data and how it reaches its database."""

    model_config = SettingsConfigDict(env_prefix="TIPWIRE_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    secret_key: str | None = None
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    # Notification deliveries: attempts, and the first wait between them (tripled each time).
    notify_attempts: int = Field(default=4, ge=1, le=10)
    notify_backoff_seconds: float = Field(default=2.0, ge=0, le=600)

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'tipwire.db'}"
