"""Typed rows of Shadowserver reports: sinkhole hits and compromised accounts.

A ``Columns`` map is worked out once per file from its header, so that each row is read by
index. Empty values and ``0`` mean "absent" in Shadowserver reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tipwire.errors import InvalidValueError
from tipwire.providers.shadowserver.columns import (
    ACCOUNT_ATTRIBUTES,
    ACCOUNT_FIELDS,
    SINKHOLE_ATTRIBUTES,
    SINKHOLE_DROPPED,
    SINKHOLE_FIELDS,
    is_secret_column,
)

_ABSENT = ("", "0")
_MAX_COLUMN_NAME = 100  # longer names are not column names but a broken header


@dataclass(frozen=True, slots=True)
class ReportHit:
    """One sinkhole hit of a report: the host, what it asked for, and the row's other facts."""

    seen_at: datetime
    src_ip: str
    http_host: str
    http_url: str
    http_agent: str
    malware_family: str
    line: int
    extras: tuple[tuple[str, str], ...] = ()
    """(attribute name, value) of the row's other columns."""


@dataclass(frozen=True, slots=True)
class CompromisedAccount:
    """One compromised account of a report; Shadowserver reports no password."""

    captured_at: datetime
    email: str
    username: str
    keylogger: str
    leak_url: str
    application: str
    line: int
    extras: tuple[tuple[str, str], ...] = ()
    victim_ip: str = ""
    victim_host: str = ""


def parse_time(text: str) -> datetime:
    """A report timestamp (``2024-05-01 00:00:12``, ``...Z`` or ISO 8601) as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValueError("timestamp", text, "is not a date and time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Columns:
    """Where each field of a report sits in its header, and which columns become attributes."""

    def __init__(
        self,
        header: Sequence[str],
        fields: Mapping[str, tuple[str, ...]],
        attributes: Mapping[str, str],
        dropped: frozenset[str] = frozenset(),
        *,
        required: tuple[str, ...],
        file_name: str,
    ) -> None:
        position = {name: index for index, name in reversed(list(enumerate(header)))}
        self.index: dict[str, int | None] = {}
        used: set[str] = set()
        for name, aliases in fields.items():
            found = next((alias for alias in aliases if alias in position), None)
            self.index[name] = position[found] if found is not None else None
            used.update(alias for alias in aliases if alias in position)
        for name in required:
            if self.index[name] is None:
                names = " or ".join(fields[name])
                raise InvalidValueError(
                    file_name, ", ".join(header)[:200], f"has no {names} column in its header"
                )
        self.extras = [
            (index, attributes.get(name, name))
            for name, index in sorted(position.items(), key=lambda item: item[1])
            if name
            and len(name) <= _MAX_COLUMN_NAME
            and name not in used
            and name not in dropped
            and not is_secret_column(name)
        ]

    def get(self, row: Sequence[str], name: str) -> str:
        """A field's value in a row ('' when the column is absent or the value is 0)."""
        index = self.index[name]
        if index is None:
            return ""
        value = row[index].strip()
        return "" if value in _ABSENT else value

    def extra_values(self, row: Sequence[str]) -> tuple[tuple[str, str], ...]:
        """The row's other columns that have a value, as (attribute name, value)."""
        found = []
        for index, name in self.extras:
            value = row[index].strip()
            if value not in _ABSENT:
                found.append((name, value))
        return tuple(found)


def sinkhole_columns(header: Sequence[str], file_name: str) -> Columns:
    """The columns of a sinkhole report (current, IPv6, Microsoft or legacy drone)."""
    return Columns(
        header,
        SINKHOLE_FIELDS,
        SINKHOLE_ATTRIBUTES,
        SINKHOLE_DROPPED,
        required=("timestamp", "src_ip"),
        file_name=file_name,
    )


def account_columns(header: Sequence[str], file_name: str) -> Columns:
    """The columns of a compromised-account report."""
    return Columns(
        header,
        ACCOUNT_FIELDS,
        ACCOUNT_ATTRIBUTES,
        required=("timestamp", "email"),
        file_name=file_name,
    )


def sinkhole_hit(columns: Columns, row: Sequence[str], line: int) -> ReportHit:
    """The hit a sinkhole report row records; raises naming a bad timestamp."""
    return ReportHit(
        seen_at=parse_time(columns.get(row, "timestamp")),
        src_ip=columns.get(row, "src_ip"),
        http_host=columns.get(row, "http_host"),
        http_url=columns.get(row, "http_url"),
        http_agent=columns.get(row, "http_agent"),
        malware_family=columns.get(row, "infection") or columns.get(row, "family"),
        line=line,
        extras=columns.extra_values(row),
    )


def compromised_account(columns: Columns, row: Sequence[str], line: int) -> CompromisedAccount:
    """The account a compromised-account row records; raises naming a bad timestamp."""
    return CompromisedAccount(
        captured_at=parse_time(columns.get(row, "timestamp")),
        email=columns.get(row, "email"),
        username=columns.get(row, "username"),
        keylogger=columns.get(row, "infection"),
        leak_url=columns.get(row, "source_url"),
        application=columns.get(row, "service"),
        line=line,
        extras=columns.extra_values(row),
    )
