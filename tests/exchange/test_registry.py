"""The registry: entry points load into integrations; a broken plugin is reported, not fatal."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from tipwire.errors import ConfigurationError, NotFoundError
from tipwire.exchange.registry import ENTRY_POINT_GROUP, Registry

from .conftest import SightingsIntegration

GOOD = "tipwire_example.sightings:SightingsIntegration"


def point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def test_good_and_broken_plugins_are_told_apart() -> None:
    registry = Registry.from_entry_points(
        [
            point("example-sightings", GOOD),
            point("missing", "tipwire_no_such_module:Plugin"),
            point("renamed", GOOD),
            point("not-a-plugin", "tipwire.model:Source"),
        ]
    )
    assert registry.integrations == {"example-sightings": SightingsIntegration}
    assert registry.broken["missing"].startswith("cannot be loaded: ModuleNotFoundError")
    assert registry.broken["renamed"] == (
        "is registered as 'renamed' but is named 'example-sightings'"
    )
    assert registry.broken["not-a-plugin"].startswith("is not an Integration subclass")
    with pytest.raises(ConfigurationError, match="integration missing cannot be loaded"):
        registry.get("missing")
    with pytest.raises(NotFoundError, match=r"no integration called 'x' .*example-sightings"):
        registry.get("x")


def test_a_name_provided_twice_is_refused_rather_than_guessed() -> None:
    registry = Registry.from_entry_points(
        [point("example-sightings", GOOD), point("example-sightings", GOOD)]
    )
    assert registry.integrations == {}
    assert "provided twice" in registry.broken["example-sightings"]


def test_asking_for_one_integration_loads_no_other() -> None:
    registry = Registry.from_entry_points(
        [
            point("example-sightings", GOOD),
            point("missing", "tipwire_no_such_module:Plugin"),
            point("twice", GOOD),
            point("twice", GOOD),
        ],
        only=["example-sightings"],
    )
    assert registry.integrations == {"example-sightings": SightingsIntegration}
    assert registry.broken == {"twice": "provided twice: by " + GOOD + " and by " + GOOD}
    with pytest.raises(NotFoundError, match=r"installed: example-sightings, missing\)"):
        registry.get("x")


def test_asking_for_a_name_provided_twice_still_refuses_it() -> None:
    registry = Registry.from_entry_points(
        [point("example-sightings", GOOD), point("example-sightings", GOOD)],
        only=["example-sightings"],
    )
    assert registry.integrations == {}
    assert "provided twice" in registry.broken["example-sightings"]
