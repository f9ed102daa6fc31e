"""The config store: partial changes merged and validated whole, secrets encrypted and masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tipwire.config import Settings
from tipwire.errors import ConfigurationError, NotFoundError
from tipwire.exchange.configs import ConfigStore
from tipwire.exchange.registry import Registry
from tipwire.exchange.secrets import MASK
from tipwire.store import Store, make_engine
from tipwire.store.schema import IntegrationConfigRow

NAME = "example-sightings"
GOOD = {"api_url": "http://feed.example", "api_key": "S3cretKey-XYZ", "cidr_blocks": "10.0.0.0/8"}


def stored_settings(engine: Engine) -> dict[str, object]:
    with engine.connect() as connection:
        raw = connection.execute(select(IntegrationConfigRow.settings)).scalar_one()
    settings: dict[str, object] = json.loads(raw)
    return settings


def test_configure_changes_only_the_keys_given(config_store: ConfigStore) -> None:
    config_store.configure(NAME, GOOD | {"page_size": "50"})
    config = config_store.configure(NAME, {"cidr_blocks": "192.0.2.0/24, 2001:db8::/32"})
    assert config.model_dump(include={"api_url", "page_size", "cidr_blocks"}) == {
        "api_url": "http://feed.example",
        "page_size": 50,
        "cidr_blocks": ["192.0.2.0/24", "2001:db8::/32"],
    }
    assert config.api_key.get_secret_value() == "S3cretKey-XYZ"


def test_an_invalid_merge_saves_nothing(config_store: ConfigStore, engine: Engine) -> None:
    config_store.configure(NAME, GOOD)
    before = stored_settings(engine)
    with pytest.raises(ConfigurationError, match=r"cidr_blocks: '10\.0\.0\.0/33'.*\(item 2\)"):
        config_store.configure(NAME, {"cidr_blocks": "10.0.0.0/8,10.0.0.0/33", "page_size": "9"})
    assert stored_settings(engine) == before


def test_a_first_configure_must_be_complete(config_store: ConfigStore) -> None:
    with pytest.raises(ConfigurationError, match="api_key: is required"):
        config_store.configure(
            NAME, {"api_url": "http://feed.example", "cidr_blocks": "10.0.0.0/8"}
        )


def test_secrets_are_stored_encrypted_and_shown_masked(
    config_store: ConfigStore, engine: Engine
) -> None:
    config_store.configure(NAME, GOOD)
    settings = stored_settings(engine)
    assert "S3cretKey-XYZ" not in json.dumps(settings)
    assert set(settings["api_key"]) == {"encrypted"}
    stored, shown = config_store.masked(NAME)
    assert stored is not None and not stored.enabled
    assert shown["api_key"] == MASK
    assert shown["page_size"] == 500  # defaults are shown too
    assert shown["host_status"] == "Review"


def test_unset_returns_a_setting_to_its_default(config_store: ConfigStore) -> None:
    config_store.configure(NAME, GOOD | {"page_size": "7"})
    assert config_store.configure(NAME, {}, unset=["page_size"]).page_size == 500
    with pytest.raises(ConfigurationError, match="api_key: is required"):
        config_store.configure(NAME, {}, unset=["api_key"])


def test_enable_needs_valid_settings_and_run_needs_enable(config_store: ConfigStore) -> None:
    with pytest.raises(ConfigurationError, match="api_url: is required"):
        config_store.set_enabled(NAME, True)
    config_store.configure(NAME, GOOD)
    with pytest.raises(ConfigurationError, match="example-sightings is disabled"):
        config_store.ready(NAME)
    config_store.set_enabled(NAME, True)
    ready = config_store.ready(NAME)
    assert ready.config.api_key.get_secret_value() == "S3cretKey-XYZ"
    config_store.set_enabled(NAME, False)
    with pytest.raises(ConfigurationError, match="disabled"):
        config_store.ready(NAME)


def test_unknown_integrations_and_settings_are_named(config_store: ConfigStore) -> None:
    with pytest.raises(NotFoundError, match="installed: example-sightings, example-synthetic"):
        config_store.configure("nope", {})
    with pytest.raises(ConfigurationError, match="has no setting colour"):
        config_store.configure(NAME, GOOD | {"colour": "red"})


def test_secret_is_unreadable_in_the_raw_database_files(
    tmp_path: Path, registry: Registry, settings: Settings
) -> None:
    database = tmp_path / "raw.db"
    engine = make_engine(f"sqlite:///{database}")
    Store(engine).upgrade()
    config_store = ConfigStore(engine, registry, settings)
    config_store.configure(NAME, GOOD)
    config_store.set_enabled(NAME, True)
    files = [p for p in tmp_path.iterdir() if p.name.startswith(database.name)]
    assert files
    for path in files:
        assert b"S3cretKey-XYZ" not in path.read_bytes()
    assert config_store.ready(NAME).config.api_key.get_secret_value() == "S3cretKey-XYZ"
    engine.dispose()
