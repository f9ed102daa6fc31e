"""Credential blocks of an infostealer text dump; a password is seen only to note that one was.

Blocks are separated by lines of ``=`` (or ``-``, ``*``) or by blank lines; each line of a
block is ``Key: value``. Stealer families name the same field differently:

    URL:          URL, Host, Hostname, Url
    login:        Username, Login, USER, User, Email
    password:     Password, PASS, Pass
    application:  Application, Soft, Browser, Software

A block with a URL or a password is a credential; one without a login is malformed. Other
blocks (banners, system information) are not credentials and are passed over. Reasons given
for malformed blocks name the line and the field, never a value.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

FIELDS = {
    "url": "url",
    "host": "url",
    "hostname": "url",
    "username": "login",
    "login": "login",
    "user": "login",
    "email": "login",
    "password": "password",
    "pass": "password",
    "application": "application",
    "soft": "application",
    "software": "application",
    "browser": "application",
}
"""Each prefix a stealer family uses (lower case, without the colon), and what it means."""

_SEPARATOR_CHARS = frozenset("=-*_")
_MAX_KEY = 20  # a longer text before the first colon is not a field name


@dataclass(frozen=True, slots=True)
class StolenCredential:
    """One credential of a dump, as the keylogger mapping takes it; it holds no password."""

    captured_at: datetime
    email: str
    username: str
    leak_url: str
    application: str
    line: int
    password_captured: bool
    keylogger: str = ""
    victim_ip: str = ""
    victim_host: str = ""


@dataclass(frozen=True, slots=True)
class Refused:
    """A block that looks like a credential but cannot be read as one."""

    line: int
    reason: str


def credential_blocks(text: str, captured_at: datetime) -> Iterator[StolenCredential | Refused]:
    """Every credential block of a dump, in order, or why it was refused."""
    block: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or (len(stripped) >= 3 and set(stripped) <= _SEPARATOR_CHARS):
            if block:
                found = _credential(block, captured_at)
                if found is not None:
                    yield found
                block = []
            continue
        block.append((number, stripped))
    if block:
        found = _credential(block, captured_at)
        if found is not None:
            yield found


def without_userinfo(url: str) -> str:
    """A URL without the ``user:password@`` some dumps leave in it."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = authority.rsplit("@", 1)[1]
    return f"{scheme}{separator}{authority}{slash}{path}"


def _credential(
    block: list[tuple[int, str]], captured_at: datetime
) -> StolenCredential | Refused | None:
    """The credential a block holds, a refusal, or None when the block is no credential."""
    values: dict[str, str] = {}
    for _, line in block:
        key, colon, value = line.partition(":")
        if not colon or len(key) > _MAX_KEY:
            continue
        field = FIELDS.get(key.strip().lower())
        if field is not None and field not in values:
            values[field] = value.strip()
    if "url" not in values and "password" not in values:
        return None  # a banner or system information, not a credential
    first = block[0][0]
    login = values.get("login", "")
    if not login:
        return Refused(first, "credential block has no username or login")
    return StolenCredential(
        captured_at=captured_at,
        email=login if "@" in login else "",
        username=login,
        leak_url=without_userinfo(values.get("url", "")),
        application=values.get("application", ""),
        line=first,
        password_captured=bool(values.get("password")),
    )
