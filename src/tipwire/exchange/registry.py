"""Finds installed integrations through the entry-point group ``tipwire.integrations``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from croniter import croniter

from tipwire.errors import ConfigurationError, NotFoundError
from tipwire.exchange.base import Integration
from tipwire.exchange.config import IntegrationConfig

ENTRY_POINT_GROUP = "tipwire.integrations"
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_REQUIRED_TEXT = ("title", "description", "version")

IntegrationClass = type[Integration[Any]]


@dataclass(frozen=True, slots=True)
class Registry:
    """The integrations that loaded, and why the others did not."""

    integrations: Mapping[str, IntegrationClass] = field(default_factory=dict)
    broken: Mapping[str, str] = field(default_factory=dict)
    unloaded: frozenset[str] = frozenset()
    """Installed integrations left unloaded because the caller asked only for others."""

    @classmethod
    def discover(cls, *only: str) -> Registry:
        """Load every installed integration, built-in and third-party alike, or ``only`` those.

        A command about one integration (``tipwire run``) names it, and imports no other.
        """
        return cls.from_entry_points(entry_points(group=ENTRY_POINT_GROUP), only=only)

    @classmethod
    def from_entry_points(
        cls, points: Iterable[EntryPoint], *, only: Iterable[str] = ()
    ) -> Registry:
        """Load the given entry points; one that fails is listed as broken, not fatal."""
        wanted = set(only)
        unloaded: set[str] = set()
        loaded: dict[str, IntegrationClass] = {}
        broken: dict[str, str] = {}
        origins: dict[str, str] = {}
        for point in points:
            origin = point.dist.name if point.dist else point.value
            if point.name in origins:
                broken[point.name] = f"provided twice: by {origins[point.name]} and by {origin}"
                loaded.pop(point.name, None)
                continue
            origins[point.name] = origin
            if wanted and point.name not in wanted:
                unloaded.add(point.name)
                continue
            try:
                candidate = point.load()
            except Exception as exc:  # a broken plugin must not take the others down
                broken[point.name] = f"cannot be loaded: {type(exc).__name__}: {exc}"
                continue
            problem = contract_problem(candidate, point.name)
            if problem:
                broken[point.name] = problem
            else:
                loaded[point.name] = candidate
        unloaded -= broken.keys()
        return cls(dict(sorted(loaded.items())), dict(sorted(broken.items())), frozenset(unloaded))

    @classmethod
    def of(cls, *integrations: IntegrationClass) -> Registry:
        """A registry of the given classes, checked as entry points would be (for tests)."""
        for integration in integrations:
            problem = contract_problem(integration, integration.name)
            if problem:
                raise ConfigurationError(f"{integration.name}: {problem}")
        return cls({integration.name: integration for integration in integrations})

    def get(self, name: str) -> IntegrationClass:
        """The integration called ``name``; raise naming the installed ones if there is none."""
        if name in self.integrations:
            return self.integrations[name]
        if name in self.broken:
            raise ConfigurationError(f"integration {name} {self.broken[name]}")
        known = ", ".join(sorted({*self.integrations, *self.unloaded})) or "none"
        raise NotFoundError(f"no integration called {name!r} is installed (installed: {known})")


def contract_problem(candidate: object, entry_name: str) -> str | None:  # noqa: PLR0911
    """Why ``candidate`` is not a usable integration named ``entry_name``, or None."""
    if not (isinstance(candidate, type) and issubclass(candidate, Integration)):
        return f"is not an Integration subclass: {candidate!r}"
    name = getattr(candidate, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        return f"has no valid name (lower-case letters, digits, inner hyphens): {name!r}"
    if name != entry_name:
        return f"is registered as {entry_name!r} but is named {name!r}"
    for attribute in _REQUIRED_TEXT:
        if not isinstance(getattr(candidate, attribute, None), str):
            return f"does not declare its {attribute}"
    config = getattr(candidate, "Config", None)
    if not (isinstance(config, type) and issubclass(config, IntegrationConfig)):
        return "has no Config model derived from IntegrationConfig"
    if not croniter.is_valid(candidate.schedule):
        return f"has an invalid default schedule {candidate.schedule!r}"
    if getattr(candidate.run, "__isabstractmethod__", False):
        return "does not implement run()"
    return None
