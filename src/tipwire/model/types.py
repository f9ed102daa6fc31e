"""Indicator types as users see them, each owning its normaliser."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache

from tipwire.errors import InvalidValueError
from tipwire.model import normalise


class IndicatorType(StrEnum):
    """The kinds of indicator TipWire stores; values are the names users see."""

    IP_ADDRESS = "IP Address"
    IPV6_ADDRESS = "IPv6 Address"
    CIDR_BLOCK = "CIDR Block"
    FQDN = "FQDN"
    URL = "URL"
    EMAIL_ADDRESS = "Email Address"
    USER_AGENT = "User-agent"
    USERNAME = "Username"
    MD5 = "MD5"
    SHA1 = "SHA-1"
    SHA256 = "SHA-256"
    FILENAME = "Filename"
    ASN = "ASN"
    STRING = "String"

    @classmethod
    def parse(cls, name: str) -> IndicatorType:
        """Return the type named ``name`` (case-insensitive) or raise naming it."""
        try:
            return _BY_LOWER_NAME[name.strip().lower()]
        except (KeyError, AttributeError):
            known = ", ".join(t.value for t in cls)
            raise InvalidValueError(
                "type", name, f"is not an indicator type (known: {known})"
            ) from None

    def normalise(self, value: str) -> str:
        """Validate ``value`` for this type and return its canonical form."""
        if type(value) is str:
            return _normalised(self, value)
        return _NORMALISERS[self](value, self.value)


# Feeds repeat the same hosts, URLs and agents thousands of times, and normalising a URL
# costs microseconds; normalisers are pure, so recent answers are kept (errors are not).
@lru_cache(maxsize=1 << 14)
def _normalised(type_: IndicatorType, value: str) -> str:
    return _NORMALISERS[type_](value, type_.value)


_NORMALISERS: dict[IndicatorType, Callable[[str, str], str]] = {
    IndicatorType.IP_ADDRESS: normalise.ipv4,
    IndicatorType.IPV6_ADDRESS: normalise.ipv6,
    IndicatorType.CIDR_BLOCK: normalise.cidr,
    IndicatorType.FQDN: normalise.domain,
    IndicatorType.URL: normalise.url,
    IndicatorType.EMAIL_ADDRESS: normalise.email,
    IndicatorType.USER_AGENT: normalise.single_line,
    IndicatorType.USERNAME: normalise.single_line,
    IndicatorType.MD5: normalise.hex_digest,
    IndicatorType.SHA1: normalise.hex_digest,
    IndicatorType.SHA256: normalise.hex_digest,
    IndicatorType.FILENAME: normalise.single_line,
    IndicatorType.ASN: normalise.asn,
    IndicatorType.STRING: normalise.plain,
}
_BY_LOWER_NAME = {t.value.lower(): t for t in IndicatorType} | {
    t.name.lower(): t for t in IndicatorType
}
