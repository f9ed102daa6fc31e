"""Whitelist rules: an indicator type with a ``*`` wildcard pattern, or a CIDR block."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from tipwire.errors import InvalidValueError
from tipwire.model.types import IndicatorType

ADDRESS_TYPES = frozenset({IndicatorType.IP_ADDRESS, IndicatorType.IPV6_ADDRESS})
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class WhitelistRule:
    """One rule; ``network`` is set when the rule is a CIDR block for an address type."""

    type: IndicatorType
    pattern: str
    network: Network | None = None

    @classmethod
    def parse(cls, type_name: str | IndicatorType, pattern: str) -> WhitelistRule:
        """Validate a rule and return it in canonical form, or raise naming the bad pattern."""
        rule_type = (
            type_name if isinstance(type_name, IndicatorType) else IndicatorType.parse(type_name)
        )
        text = pattern.strip() if isinstance(pattern, str) else ""
        if not text or len(text) > 1024:
            raise InvalidValueError("pattern", pattern, "must be 1 to 1024 characters")
        if rule_type in ADDRESS_TYPES and "*" not in text:
            try:
                network = ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise InvalidValueError(
                    "pattern", pattern, "is not an address or CIDR block"
                ) from None
            return cls(rule_type, network.compressed, network)
        if "*" not in text:
            text = rule_type.normalise(text)
        return cls(rule_type, text)

    def matches(self, type_: IndicatorType, value: str) -> bool:
        """Whether this rule whitelists the indicator (type, value)."""
        return WhitelistMatcher([self]).matches(type_, value)


class WhitelistMatcher:
    """All rules compiled for fast checks: one regex per type plus networks for addresses."""

    def __init__(self, rules: Iterable[WhitelistRule]) -> None:
        patterns: dict[IndicatorType, list[str]] = {}
        self._networks: list[Network] = []
        for rule in rules:
            if rule.network is not None:
                self._networks.append(rule.network)
            else:
                wildcard = ".*".join(re.escape(part) for part in rule.pattern.split("*"))
                patterns.setdefault(rule.type, []).append(wildcard)
        self._regex = {
            t: re.compile("|".join(f"(?:{p})" for p in ps), re.IGNORECASE | re.DOTALL)
            for t, ps in patterns.items()
        }

    def __bool__(self) -> bool:
        return bool(self._regex or self._networks)

    def matches(self, type_: IndicatorType, value: str) -> bool:
        """Whether any rule whitelists the indicator (type, value)."""
        regex = self._regex.get(type_)
        if regex is not None and regex.fullmatch(value):
            return True
        if self._networks and type_ in ADDRESS_TYPES:
            address = ipaddress.ip_address(value)
            return any(address in network for network in self._networks)
        return False
