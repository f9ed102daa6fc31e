"""Notification rules: what fires them (a new event, a failing run) and where they go."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from tipwire.errors import InvalidValueError
from tipwire.model import EventType
from tipwire.model.normalise import email

MAX_RULE_NAME = 64


class Trigger(StrEnum):
    """What fires a rule."""

    NEW_EVENT = "new-event"
    RUN_FAILURE = "run-failure"
    """A run that failed, or ended partial (some records were malformed)."""

    @classmethod
    def parse(cls, name: str) -> Trigger:
        """The trigger named ``name`` or an error naming it."""
        for trigger in cls:
            if trigger.value == str(name).strip().lower():
                return trigger
        raise InvalidValueError("trigger", name, "is not a trigger (new-event, run-failure)")


class Channel(StrEnum):
    """How a notification travels."""

    WEBHOOK = "webhook"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Rule:
    """A validated rule; ``secret`` is plaintext here and only ever stored encrypted."""

    name: str
    trigger: Trigger
    channel: Channel
    target: str
    integration: str | None = None
    event_type: EventType | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    secret: str | None = None

    def __post_init__(self) -> None:
        name = self.name.strip() if isinstance(self.name, str) else ""
        if not name or len(name) > MAX_RULE_NAME or any(c.isspace() for c in name):
            raise InvalidValueError("name", self.name, "must be 1-64 characters without spaces")
        object.__setattr__(self, "name", name)
        if self.event_type is not None and self.trigger is not Trigger.NEW_EVENT:
            raise InvalidValueError(
                "event type", self.event_type.value, "filters new-event rules only"
            )
        if self.channel is Channel.WEBHOOK:
            object.__setattr__(self, "target", webhook_url(self.target))
        else:
            object.__setattr__(self, "target", ", ".join(recipients(self.target)))

    def fires_on_event(self, integration: str, event_type: str) -> bool:
        """Whether a new event of this type, made by this integration, fires the rule."""
        return (
            self.trigger is Trigger.NEW_EVENT
            and self.integration in (None, integration)
            and (self.event_type is None or self.event_type.value == event_type)
        )

    def fires_on_run(self, integration: str, status: str) -> bool:
        """Whether a run of this integration that ended with ``status`` fires the rule."""
        return (
            self.trigger is Trigger.RUN_FAILURE
            and self.integration in (None, integration)
            and status in ("failed", "partial")
        )


def webhook_url(text: str) -> str:
    """A webhook URL: http or https with a host, or an error naming the value."""
    url = str(text).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidValueError("url", text, "must be an http:// or https:// URL with a host")
    return url


def recipients(text: str) -> list[str]:
    """Email addresses separated by commas, each validated."""
    found = [email(part, "to") for part in str(text).split(",") if part.strip()]
    if not found:
        raise InvalidValueError("to", text, "must name at least one email address")
    return found
