"""Integration settings forms, generated from each integration's pydantic config model."""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Union, get_args, get_origin

from pydantic.fields import FieldInfo

from tipwire.exchange.config import IntegrationConfig, secret_fields


@dataclass(frozen=True, slots=True)
class FormField:
    """One input of a settings form."""

    name: str
    label: str
    kind: str
    """text, secret, list, number, bool or select."""
    value: str
    required: bool
    help: str = ""
    options: tuple[str, ...] = ()
    is_set: bool = False
    """For a secret: whether a value is stored (it is never shown)."""
    errors: list[str] = field(default_factory=list)


def _bare(annotation: Any) -> Any:
    """The annotation without ``| None``."""
    if get_origin(annotation) in (Union, types.UnionType):
        others = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(others) == 1:
            return others[0]
    return annotation


def _kind(name: str, info: FieldInfo, secrets: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    """The input kind of a field, and its options when it is a choice."""
    if name in secrets:
        return "secret", ()
    annotation = _bare(info.annotation)
    if get_origin(annotation) in (list, tuple, set, frozenset):
        return "list", ()
    if annotation is bool:
        return "bool", ()
    if annotation in (int, float):
        return "number", ()
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "select", tuple(str(member.value) for member in annotation)
    return "text", ()


_ACRONYMS = {"api": "API", "url": "URL", "cidr": "CIDR", "ip": "IP", "fqdn": "FQDN"}


def _label(name: str) -> str:
    """``cidr_blocks`` -> ``CIDR blocks``."""
    label = " ".join(_ACRONYMS.get(word, word) for word in name.split("_"))
    return label[:1].upper() + label[1:]


def _help(name: str, info: FieldInfo, kind: str, default_schedule: str) -> str:
    if info.description:
        return info.description
    if name == "schedule":
        return f"Cron expression, UTC; leave empty for the default ({default_schedule})."
    if kind == "list":
        return "Comma-separated."
    if kind == "secret":
        return "Write-only: leave empty to keep the stored value."
    return ""


def _shown(value: Any) -> str:
    """A setting's value as the text of an input."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value)


def build(
    model: type[IntegrationConfig],
    settings: Mapping[str, Any],
    default_schedule: str,
    submitted: Mapping[str, str] | None = None,
    problems: list[tuple[str, str]] | None = None,
) -> list[FormField]:
    """The form's fields: stored values (secrets never), or what was submitted, with errors."""
    secrets = secret_fields(model)
    found: list[FormField] = []
    for name, info in model.model_fields.items():
        kind, options = _kind(name, info, secrets)
        if kind == "secret":
            value = ""
        elif submitted is not None:
            value = submitted.get(name, "")
        else:
            value = _shown(settings.get(name))
        errors = [message for where, message in problems or [] if _root(where) == name]
        found.append(
            FormField(
                name=name,
                label=_label(name),
                kind=kind,
                value=value,
                required=info.is_required(),
                help=_help(name, info, kind, default_schedule),
                options=options,
                is_set=kind == "secret" and bool(settings.get(name)),
                errors=errors,
            )
        )
    return found


def _root(location: str) -> str:
    """The field a problem's location names: ``cidr_blocks.1`` -> ``cidr_blocks``."""
    return location.split(".", maxsplit=1)[0].split("[", maxsplit=1)[0]


def changes_from(
    model: type[IntegrationConfig],
    fields: Mapping[str, str],
    settings: Mapping[str, Any],
    chosen: set[str],
) -> tuple[dict[str, Any], list[str]]:
    """The settings a submitted form changes, and those it returns to their default.

    An empty secret keeps the stored one; a field left at its default that was never chosen
    stays unchosen, so a later change of the integration's default still applies to it.
    """
    secrets = secret_fields(model)
    changes: dict[str, Any] = {}
    unset: list[str] = []
    for name, info in model.model_fields.items():
        kind, _ = _kind(name, info, secrets)
        raw = fields.get(name, "").strip()
        if kind == "secret":
            if raw:
                changes[name] = raw
            continue
        if kind == "bool":
            value: Any = bool(raw)
        elif kind == "list":
            value = [item.strip() for item in raw.split(",") if item.strip()]
        else:
            value = raw
        if name not in chosen and raw == _shown(settings.get(name)):
            continue
        if raw == "" and kind != "bool" and not info.is_required():
            unset.append(name)
        else:
            changes[name] = value
    return changes, unset
