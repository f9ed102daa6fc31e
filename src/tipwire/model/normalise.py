"""Validators and normalisers for indicator values; each returns the canonical form or raises."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

import idna

from tipwire.errors import InvalidValueError

MAX_VALUE_LENGTH = 8192

# Defanging conventions seen in threat reports, mapped back to what they stand for.
_DEFANG = (
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("[://]", "://"),
    ("[:]", ":"),
    ("[/]", "/"),
    ("[@]", "@"),
    ("[at]", "@"),
    ("(at)", "@"),
)
_DEFANG_SCHEME = re.compile(r"^(h[xX]{2}p(s?)|f[xX]p)(?=\[?:)", re.IGNORECASE)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
_HEX = re.compile(r"^[0-9a-f]+$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}
_DIGEST_LENGTHS = {"MD5": 32, "SHA-1": 40, "SHA-256": 64}


def refang(text: str) -> str:
    """Undo common defanging such as ``hxxp://evil[.]com``."""
    if "[" in text or "(" in text or "{" in text:
        for fanged, plain in _DEFANG:
            if fanged in text:
                text = text.replace(fanged, plain)
            upper = fanged.upper()
            if upper != fanged and upper in text:
                text = text.replace(upper, plain)
    match = _DEFANG_SCHEME.match(text)
    if match:
        scheme = (
            "ftp" if match.group(1).lower().startswith("f") else "http" + match.group(2).lower()
        )
        text = scheme + text[match.end() :]
    return text


def _text(type_name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidValueError(type_name, value, "is not text")
    text = value.strip()
    if not text:
        raise InvalidValueError(type_name, value, "is empty")
    if len(text) > MAX_VALUE_LENGTH:
        raise InvalidValueError(type_name, text[:60] + "...", f"is longer than {MAX_VALUE_LENGTH}")
    if "\x00" in text:
        raise InvalidValueError(type_name, value, "contains a NUL character")
    return text


def domain(value: str, type_name: str = "FQDN") -> str:
    """Return a lower-case, punycode domain name or raise naming the value."""
    text = refang(_text(type_name, value)).rstrip(".")
    lowered = text.lower()
    if not lowered.isascii():
        try:
            lowered = idna.encode(text, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise InvalidValueError(
                type_name, value, f"is not a valid domain name ({exc})"
            ) from exc
    labels = lowered.split(".")
    if len(labels) < 2 or len(lowered) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidValueError(type_name, value, "is not a valid domain name")
    if labels[-1].isdigit():
        raise InvalidValueError(type_name, value, "is not a valid domain name")
    return lowered


def ipv4(value: str, type_name: str = "IP Address") -> str:
    """Return the dotted-quad form of an IPv4 address."""
    text = refang(_text(type_name, value))
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise InvalidValueError(type_name, value, "is not a valid IPv4 address") from None


def ipv6(value: str, type_name: str = "IPv6 Address") -> str:
    """Return the compressed form of an IPv6 address."""
    text = refang(_text(type_name, value)).strip("[]")
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError:
        raise InvalidValueError(type_name, value, "is not a valid IPv6 address") from None


def cidr(value: str, type_name: str = "CIDR Block") -> str:
    """Return a network in canonical form; host bits are cleared."""
    text = refang(_text(type_name, value))
    try:
        return ipaddress.ip_network(text, strict=False).compressed
    except ValueError:
        raise InvalidValueError(type_name, value, "is not a valid CIDR block") from None


def email(value: str, type_name: str = "Email Address") -> str:
    """Return a lower-case email address with a punycode domain."""
    text = refang(_text(type_name, value))
    local, at, host = text.rpartition("@")
    if not at or not local or "@" in local or not _LOCAL_PART.match(local):
        raise InvalidValueError(type_name, value, "is not a valid email address")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidValueError(type_name, value, "is not a valid email address")
    try:
        host = domain(host, type_name)
    except InvalidValueError:
        raise InvalidValueError(type_name, value, "is not a valid email address") from None
    return f"{local.lower()}@{host}"


def _host(host: str, type_name: str, original: str) -> str:
    if host.startswith("["):
        return "[" + ipv6(host.strip("[]"), type_name) + "]"
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    try:
        return domain(host, type_name)
    except InvalidValueError:
        if "." not in host and _LABEL.match(host.lower()):
            return host.lower()  # single-label intranet hosts appear in real URLs
        raise InvalidValueError(type_name, original, "is not a valid URL (bad host)") from None


def url(value: str, type_name: str = "URL") -> str:
    """Return a URL with lower-case scheme and host, default port dropped, and a path."""
    text = refang(_text(type_name, value))
    if any(ch.isspace() for ch in text):
        raise InvalidValueError(type_name, value, "is not a valid URL (contains whitespace)")
    if not _SCHEME.match(text):
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidValueError(type_name, value, "is not a valid URL") from None
    scheme = parts.scheme.lower()
    raw_host = parts.netloc.rpartition("@")[2]
    if raw_host.startswith("["):
        raw_host = raw_host[: raw_host.index("]") + 1]
    elif ":" in raw_host:
        raw_host = raw_host.partition(":")[0]
    if not raw_host:
        raise InvalidValueError(type_name, value, "is not a valid URL (no host)")
    host = _host(raw_host, type_name, value)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + host
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))


def hex_digest(value: str, type_name: str) -> str:
    """Return a lower-case hex digest whose length fits its hash type."""
    text = _text(type_name, value).lower()
    if len(text) != _DIGEST_LENGTHS[type_name] or not _HEX.match(text):
        raise InvalidValueError(type_name, value, f"is not a valid {type_name} hash")
    return text


def asn(value: str, type_name: str = "ASN") -> str:
    """Return an autonomous system number as ``AS<digits>``."""
    text = _text(type_name, value).upper().removeprefix("AS").strip()
    if not text.isdigit() or int(text) > 0xFFFFFFFF:
        raise InvalidValueError(type_name, value, "is not a valid AS number")
    return f"AS{int(text)}"


def plain(value: str, type_name: str = "String") -> str:
    """Return free text with surrounding whitespace removed."""
    return _text(type_name, value)


def single_line(value: str, type_name: str = "String") -> str:
    """Return free text that must fit on one line."""
    text = _text(type_name, value)
    if "\n" in text or "\r" in text:
        raise InvalidValueError(type_name, value, "must be a single line")
    return text
