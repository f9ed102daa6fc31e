"""Blocklists: the Active values of one indicator type, one per line, never a whitelisted one."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection

from tipwire.errors import InvalidValueError
from tipwire.model import IndicatorType
from tipwire.store import exports
from tipwire.store.whitelist import load_matcher

BLOCKLIST_TYPES = (
    IndicatorType.IP_ADDRESS,
    IndicatorType.IPV6_ADDRESS,
    IndicatorType.CIDR_BLOCK,
    IndicatorType.FQDN,
    IndicatorType.URL,
    IndicatorType.EMAIL_ADDRESS,
    IndicatorType.MD5,
    IndicatorType.SHA1,
    IndicatorType.SHA256,
)


def blocklist_type(name: str) -> IndicatorType:
    """The indicator type a blocklist is asked for, or an error naming the value."""
    type_ = IndicatorType.parse(name)
    if type_ not in BLOCKLIST_TYPES:
        known = ", ".join(t.value for t in BLOCKLIST_TYPES)
        raise InvalidValueError("type", name, f"has no blocklist (use one of {known})")
    return type_


def blocklist_values(connection: Connection, type_: IndicatorType) -> Iterator[str]:
    """The Active values of ``type_`` in id order, read a chunk at a time.

    Whitelist rules are applied again here: a rule added after an indicator became Active
    applies at the next ingest only, and a blocking tool must not wait for that.
    """
    whitelist = load_matcher(connection)
    for _, value in exports.active_values(connection, type_):
        if whitelist and whitelist.matches(type_, value):
            continue
        yield value


def blocklist_lines(connection: Connection, type_: IndicatorType) -> Iterator[str]:
    """The blocklist as lines of text ending in a newline, for a file or an HTTP response."""
    for value in blocklist_values(connection, type_):
        yield value + "\n"
