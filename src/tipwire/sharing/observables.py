"""STIX patterns and cyber observables (SCOs) for each indicator type."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import stix2

from tipwire.model import IndicatorType

_HASH_NAMES = {
    IndicatorType.MD5: "MD5",
    IndicatorType.SHA1: "SHA-1",
    IndicatorType.SHA256: "SHA-256",
}
NO_PATTERN = {
    IndicatorType.STRING: "free text has no STIX observable to match on",
}


@dataclass(frozen=True, slots=True)
class Observable:
    """A STIX pattern for an indicator and the observable it describes (None if no SCO fits)."""

    pattern: str
    sco_type: type[Any] | None
    sco_fields: dict[str, Any]

    def sco(self, markings: list[str]) -> Any | None:
        """The observable as a STIX object with these marking ids, or None."""
        if self.sco_type is None:
            return None
        return self.sco_type(object_marking_refs=markings, **self.sco_fields)


def quote(value: str) -> str:
    """A STIX pattern string literal: single quotes, with quotes and backslashes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def observable(type_: IndicatorType, value: str) -> Observable | None:
    """The pattern and observable for an indicator, or None for types STIX cannot express."""
    if type_ in NO_PATTERN:
        return None
    if type_ in (IndicatorType.IP_ADDRESS, IndicatorType.IPV6_ADDRESS, IndicatorType.CIDR_BLOCK):
        return _address(value)
    if type_ in _HASH_NAMES:
        name = _HASH_NAMES[type_]
        return Observable(
            f"[file:hashes.{quote(name)} = {quote(value)}]", stix2.File, {"hashes": {name: value}}
        )
    if type_ is IndicatorType.ASN:
        number = int(value.removeprefix("AS"))
        return Observable(
            f"[autonomous-system:number = {number}]", stix2.AutonomousSystem, {"number": number}
        )
    if type_ is IndicatorType.USER_AGENT:
        # A network-traffic object needs endpoints we do not have: the pattern stands alone.
        pattern = (
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = "
            f"{quote(value)}]"
        )
        return Observable(pattern, None, {})
    simple = {
        IndicatorType.FQDN: ("domain-name:value", stix2.DomainName, "value"),
        IndicatorType.URL: ("url:value", stix2.URL, "value"),
        IndicatorType.EMAIL_ADDRESS: ("email-addr:value", stix2.EmailAddress, "value"),
        IndicatorType.USERNAME: ("user-account:account_login", stix2.UserAccount, "account_login"),
        IndicatorType.FILENAME: ("file:name", stix2.File, "name"),
    }
    path, sco_type, field_name = simple[type_]
    return Observable(f"[{path} = {quote(value)}]", sco_type, {field_name: value})


def _address(value: str) -> Observable:
    network = ipaddress.ip_network(value, strict=False)
    if network.num_addresses == 1:
        value = str(network.network_address)
    kind = "ipv4-addr" if network.version == 4 else "ipv6-addr"
    sco_type = stix2.IPv4Address if network.version == 4 else stix2.IPv6Address
    return Observable(f"[{kind}:value = {quote(value)}]", sco_type, {"value": value})
