"""Building blocks of integration settings: the base model, field types and readable errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, get_args

from croniter import croniter
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    SecretStr,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import ErrorDetails

from tipwire.errors import ConfigurationError, InvalidValueError
from tipwire.match import DomainSet, NetworkSet
from tipwire.model import EventType, Status


def split_commas(value: object) -> object:
    """Turn ``"a, b,c"`` into ``["a", "b", "c"]``; lists and other values pass through."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _check_cron(expression: str) -> str:
    text = " ".join(expression.split())
    if not text.startswith("@") and len(text.split(" ")) != 5:
        raise ValueError(
            f"{expression!r} is not a cron schedule (five fields, e.g. '*/15 * * * *')"
        )
    if not croniter.is_valid(text):
        raise ValueError(f"{expression!r} is not a valid cron schedule")
    return text


def _check_blocks(blocks: list[str], info: ValidationInfo) -> list[str]:
    NetworkSet.from_strings(blocks, field=info.field_name or "cidr_blocks")
    return blocks


def _check_domains(domains: list[str], info: ValidationInfo) -> list[str]:
    return list(DomainSet.from_strings(domains, field=info.field_name or "domains").domains)


def _check_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in ("http", "https") or not rest.strip("/"):
        raise ValueError(f"{url!r} is not an http:// or https:// URL")
    return url.rstrip("/")


def _parse_status(value: object) -> object:
    return Status.parse(value) if isinstance(value, str) else value


def _parse_event_type(value: object) -> object:
    return EventType.parse(value) if isinstance(value, str) else value


CommaList = Annotated[list[str], BeforeValidator(split_commas)]
"""A list of strings that also accepts one comma-separated string."""

CidrBlocks = Annotated[list[str], BeforeValidator(split_commas), AfterValidator(_check_blocks)]
"""IPv4 and IPv6 CIDR blocks, comma-separated or a list; a bad block is named with its position."""

Domains = Annotated[list[str], BeforeValidator(split_commas), AfterValidator(_check_domains)]
"""Domain names, comma-separated or a list, normalised to lower-case punycode (IDN-aware)."""

HttpUrl = Annotated[str, AfterValidator(_check_url)]
"""An http(s) base URL, kept without its trailing slash so paths can be appended."""

CronSchedule = Annotated[str, AfterValidator(_check_cron)]
"""A five-field cron expression (UTC), or an alias such as ``@hourly``."""

StatusName = Annotated[Status, BeforeValidator(_parse_status)]
"""An indicator status, named case-insensitively."""

EventTypeName = Annotated[EventType, BeforeValidator(_parse_event_type)]
"""An event type, named case-insensitively."""


class IntegrationConfig(BaseModel):
    """Base of every integration's settings; secret fields are typed ``SecretStr``."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    schedule: CronSchedule | None = None
    """When to run (cron, UTC); unset means the integration's own default schedule."""


def secret_fields(model: type[BaseModel]) -> frozenset[str]:
    """The names of the fields that hold credentials (typed ``SecretStr``)."""
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if info.annotation is SecretStr or SecretStr in get_args(info.annotation)
    )


class SettingsError(ConfigurationError):
    """Settings that do not validate, with one (field, problem) pair per bad field or item."""

    def __init__(
        self, integration: str, problems: list[tuple[str, str]], message: str | None = None
    ) -> None:
        self.integration = integration
        self.problems = problems
        lines = "\n".join(f"  {problem}" for _, problem in problems)
        super().__init__(message or f"invalid settings for {integration}:\n{lines}")


def validate_settings(
    integration: str, model: type[IntegrationConfig], values: Mapping[str, Any]
) -> IntegrationConfig:
    """Validate ``values`` as a whole; raise one error that names every bad field and item."""
    check_known(integration, model, values)
    try:
        return model.model_validate(dict(values))
    except ValidationError as exc:
        secrets = secret_fields(model)
        problems = [
            (".".join(str(part) for part in error["loc"]), _describe(error, secrets))
            for error in exc.errors()
        ]
        raise SettingsError(integration, problems) from None


def check_known(integration: str, model: type[IntegrationConfig], keys: Iterable[str]) -> None:
    """Raise naming any key that is not a setting of the integration."""
    unknown = sorted(set(keys) - set(model.model_fields))
    if unknown:
        known = ", ".join(model.model_fields)
        raise SettingsError(
            integration,
            [
                (key, f"{key}: {integration} has no such setting (its settings: {known})")
                for key in unknown
            ],
            f"{integration} has no setting {', '.join(unknown)} (its settings: {known})",
        )


def _describe(error: ErrorDetails, secrets: frozenset[str]) -> str:
    """One line per problem: the field, the bad item when it is not secret, and why."""
    field = ".".join(str(part) for part in error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, InvalidValueError):
        return f"{field}: {cause.value!r} {cause.reason}"
    if error["type"] == "missing":
        return f"{field}: is required"
    message = str(cause) if isinstance(cause, ValueError) else error["msg"]
    message = message[:1].lower() + message[1:]
    if str(error["loc"][0]) in secrets or isinstance(cause, ValueError):
        return f"{field}: {message}"
    return f"{field}: {error['input']!r} {message}"
