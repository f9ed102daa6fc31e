"""NetworkSet: which monitored CIDR block holds each address of a page (longest prefix wins)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np

from tipwire.errors import InvalidValueError
from tipwire.match.addresses import parse_addresses
from tipwire.match.intervals import IPv4Table, IPv6Table
from tipwire.match.result import PageMatch

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class NetworkMatch(PageMatch):
    """Which monitored block, if any, holds each address of a page."""

    __slots__ = ()

    def block(self, position: int) -> str | None:
        """Return the block holding the address at ``position``, or None."""
        return self.key(position)


class NetworkSet:
    """Monitored CIDR blocks (IPv4 and IPv6), matched a whole page of addresses at a time.

    An address matches its most specific (longest-prefix) block. IPv4-mapped IPv6
    addresses and blocks (``::ffff:0:0/96`` and inside) count as the IPv4 ones they carry;
    otherwise an IPv4 address never falls in an IPv6 block, nor the reverse.
    Each call costs tens of microseconds before the first address, so pass whole pages.
    """

    __slots__ = ("_blocks", "_v4", "_v6")

    def __init__(self, networks: Iterable[_Network]) -> None:
        """Build from ``ipaddress`` networks; repeated blocks are kept once."""
        canonical: dict[_Network, None] = dict.fromkeys(_as_ipv4_if_mapped(n) for n in networks)
        self._blocks = tuple(network.compressed for network in canonical)
        spans: dict[int, list[tuple[int, int, int]]] = {4: [], 6: []}
        for label, network in enumerate(canonical):
            first = int(network.network_address)
            host_bits = network.max_prefixlen - network.prefixlen
            spans[network.version].append((first, first | ((1 << host_bits) - 1), label))
        self._v4 = IPv4Table(spans[4])
        self._v6 = IPv6Table(spans[6])

    @classmethod
    def from_strings(cls, blocks: Iterable[str], *, field: str = "cidr_blocks") -> NetworkSet:
        """Build from block strings such as ``203.0.113.0/24``; host bits are ignored.

        The last few sets built are reused: a run validates its settings and then matches
        with the same blocks, and building a set of 10,000 blocks takes a tenth of a second.
        """
        texts = tuple(blocks)
        if cls is NetworkSet and all(type(text) is str for text in texts):
            return _built_from(texts, field)
        return cls(_parse_block(text, position, field) for position, text in enumerate(texts, 1))

    def __len__(self) -> int:
        """Return the number of distinct blocks."""
        return len(self._blocks)

    def __repr__(self) -> str:
        """Show how many blocks the set holds."""
        return f"NetworkSet({len(self._blocks)} blocks)"

    @property
    def blocks(self) -> tuple[str, ...]:
        """The distinct blocks in canonical form, in the order first given."""
        return self._blocks

    def match(self, addresses: Sequence[str]) -> NetworkMatch:
        """Match a page of address strings; invalid ones match nothing and are listed."""
        parsed = parse_addresses(addresses)
        index = np.full(len(addresses), -1, dtype=np.intp)
        index[parsed.v4_positions] = self._v4.lookup(parsed.v4_values)
        index[parsed.v6_positions] = self._v6.lookup(parsed.v6_high, parsed.v6_low)
        return NetworkMatch(index=index, invalid=parsed.invalid, keys=self._blocks)

    def block_of(self, address: str) -> str | None:
        """Return the most specific block holding one address, or None."""
        return self.match([address]).block(0)


@lru_cache(maxsize=4)
def _built_from(texts: tuple[str, ...], field: str) -> NetworkSet:
    """A set built from block strings, remembered; sets are never changed after building."""
    return NetworkSet(_parse_block(text, position, field) for position, text in enumerate(texts, 1))


def _parse_block(text: object, position: int, field: str) -> _Network:
    """Parse one configured block, naming it and its 1-based position when it is not valid."""
    reason = f"is not a valid CIDR block (item {position})"
    if not isinstance(text, str):
        raise InvalidValueError(field, text, reason)
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise InvalidValueError(field, text, reason) from None


def _as_ipv4_if_mapped(network: _Network) -> _Network:
    """Return an IPv6 block inside ``::ffff:0:0/96`` as the IPv4 block it maps."""
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            return ipaddress.IPv4Network((mapped, network.prefixlen - 96))
    return network
