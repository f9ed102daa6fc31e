"""Typed CTAC records: a record that exists has passed every check of the wire model."""

from __future__ import annotations

import ipaddress
import socket
from datetime import UTC, datetime
from typing import Annotated, Final, NewType

import msgspec
from msgspec.structs import force_setattr

from tipwire.errors import InvalidValueError

Cursor = NewType("Cursor", str)
"""An opaque position in a CTAC feed: records newer than it are the ones not yet pulled."""

Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]
RecordId = Annotated[int, msgspec.Meta(ge=1)]
# A timestamp without an offset is ambiguous, so the model refuses it rather than guess UTC.
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]

REDACTED_PASSWORD: Final = "********"  # noqa: S105 - the mask CTAC serves, not a secret

_inet_pton = socket.inet_pton
_inet_ntop = socket.inet_ntop
_AF_INET: Final = socket.AF_INET
_AF_INET6: Final = socket.AF_INET6
_MAX_SHOWN: Final = 80


def _shown(value: str) -> str:
    """Cut a rejected value short so a hostile record cannot flood reports and logs."""
    return value if len(value) <= _MAX_SHOWN else value[:_MAX_SHOWN] + "..."


def canonical_ip(field: str, value: str) -> str:
    """Return ``value`` as a canonical IPv4 or compressed lower-case IPv6 text, or raise."""
    # inet_pton is an order of magnitude faster than ipaddress and just as strict
    # (no leading zeros, no zone ids, no trailing blanks), which matters at 10^6 records.
    try:
        if ":" not in value:
            _inet_pton(_AF_INET, value)
            return value
        return _inet_ntop(_AF_INET6, _inet_pton(_AF_INET6, value))
    except (OSError, ValueError):
        raise InvalidValueError(field, _shown(value), "is not an IP address") from None


def _utc(value: datetime) -> datetime:
    """Return an aware datetime expressed in UTC."""
    return value if value.tzinfo is UTC else value.astimezone(UTC)


class SinkholeHit(msgspec.Struct, frozen=True, gc=False):
    """One infected host reaching a sinkholed malicious domain."""

    id: RecordId
    seen_at: AwareDatetime
    src_ip: str
    src_port: Port
    sinkhole_ip: str
    dst_port: Port
    http_host: str
    http_url: str
    http_agent: str
    malware_family: str

    def __post_init__(self) -> None:
        """Canonicalise addresses and the timestamp, refusing values that are not ones."""
        # Most addresses are IPv4 already in canonical form: check those with one C call
        # and leave IPv6 (which may need rewriting) and errors to the slower path.
        try:
            _inet_pton(_AF_INET, self.src_ip)
        except (OSError, ValueError):
            force_setattr(self, "src_ip", canonical_ip("src_ip", self.src_ip))
        try:
            _inet_pton(_AF_INET, self.sinkhole_ip)
        except (OSError, ValueError):
            force_setattr(self, "sinkhole_ip", canonical_ip("sinkhole_ip", self.sinkhole_ip))
        if self.seen_at.tzinfo is not UTC:
            force_setattr(self, "seen_at", _utc(self.seen_at))

    @property
    def src_address(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        """The infected host's address as an ``ipaddress`` object."""
        return ipaddress.ip_address(self.src_ip)


class KeyloggerCapture(msgspec.Struct, frozen=True, gc=False):
    """One credential captured by a keylogger; only whether a password was captured is kept."""

    id: RecordId
    captured_at: AwareDatetime
    email: str
    username: str
    keylogger: str
    leak_url: str
    application: str
    victim_ip: str
    victim_host: str
    password_captured: bool

    def __post_init__(self) -> None:
        """Canonicalise the victim's address and the timestamp, refusing bad values."""
        force_setattr(self, "victim_ip", canonical_ip("victim_ip", self.victim_ip))
        if self.captured_at.tzinfo is not UTC:
            force_setattr(self, "captured_at", _utc(self.captured_at))

    @property
    def victim_address(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        """The victim machine's address as an ``ipaddress`` object."""
        return ipaddress.ip_address(self.victim_ip)


_QUOTE: Final = ord('"')
_NULL_START: Final = ord("n")


class KeyloggerWire(msgspec.Struct, frozen=True, gc=False):
    """A keylogger capture as served; its password stays raw JSON bytes and is never a str."""

    id: RecordId
    captured_at: AwareDatetime
    email: str
    username: str
    keylogger: str
    leak_url: str
    application: str
    victim_ip: str
    victim_host: str
    # Raw keeps the JSON token undecoded, so the password never becomes a Python str
    # that could reach a repr, a log line or an error message.
    password: msgspec.Raw = msgspec.Raw()

    def to_capture(self) -> KeyloggerCapture:
        """Return the capture without the password, keeping only whether one was captured."""
        return KeyloggerCapture(
            id=self.id,
            captured_at=self.captured_at,
            email=self.email,
            username=self.username,
            keylogger=self.keylogger,
            leak_url=self.leak_url,
            application=self.application,
            victim_ip=self.victim_ip,
            victim_host=self.victim_host,
            password_captured=_password_captured(self.password),
        )


def _password_captured(raw: msgspec.Raw) -> bool:
    """Say whether a raw JSON password token holds a password; refuse non-string tokens."""
    # Looking at single bytes in place means not even a bytes copy of the password is made.
    token = memoryview(raw)
    if not token:
        return False  # the field was absent
    if token[0] == _QUOTE:
        return len(token) > 2  # '""' is the empty string: nothing was captured
    if token[0] == _NULL_START:
        return False  # the JSON was valid, so a token starting with "n" is null
    # Say what kind of token it was, never the token itself.
    raise InvalidValueError("password", "<withheld>", "is neither a string nor null")
