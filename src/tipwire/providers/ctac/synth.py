"""Deterministic random draws by record id, and the address pool infected hosts come from.

Every value of record *n* is a pure function of (seed, feed, n): draws hash the id with
splitmix64 in numpy, so any id range renders in one vectorised pass and nothing is built
at startup. That is what lets a million-record backlog start instantly and makes the data
independent of the arrival rate.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Final

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

_MASK64: Final = (1 << 64) - 1
_GOLDEN: Final = 0x9E3779B97F4A7C15
_MIX1: Final = 0xBF58476D1CE4E5B9
_MIX2: Final = 0x94D049BB133111EB
_FIELD_STRIDE: Final = 0x632BE59BD9B4E019
ALPHANUMERIC: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER_ALPHANUMERIC: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

# The demo organisation's networks (documentation ranges) and the share of hits inside them.
ORG_NETWORKS: Final = ("198.51.100.0/24", "203.0.113.0/24", "2001:db8:1000::/36")
_ORG_V4A_SHARE: Final = 0.004  # 198.51.100.0/24
_ORG_V4B_SHARE: Final = 0.003  # 203.0.113.0/24
_ORG_V6_SHARE: Final = 0.003  # 2001:db8:1000::/36
_NEAR_V6_SHARE: Final = 0.003  # 2001:db8:2000::-4fff::, next door but outside the org
_PUBLIC_V6_SHARE: Final = 0.14
# Address bands, in the order of their shares above; everything else is public IPv4.
_ORG_V4A, _ORG_V4B, _ORG_V6, _NEAR_V6, _PUBLIC_V6, _PUBLIC_V4 = range(6)


def mix_int(value: int) -> int:
    """Return the splitmix64 hash of a Python int (same function as ``mix``)."""
    z = (value + _GOLDEN) & _MASK64
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK64
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK64
    return z ^ (z >> 31)


def mix(values: U64) -> U64:
    """Return the splitmix64 hash of each value (uint64 arithmetic wraps, as intended)."""
    z = values + np.uint64(_GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_MIX2)
    return z ^ (z >> np.uint64(31))


def stream_key(seed: int, name: str) -> int:
    """Return the 64-bit key of one named random stream of one seed."""
    key = mix_int(seed & _MASK64)
    for byte in name.encode():
        key = mix_int(key ^ byte)
    return key


class Draws:
    """Independent random fields for a range of record ids, reproducible from the seed."""

    def __init__(self, ids: I64, key: int) -> None:
        self.ids = ids
        self._base = mix(ids.astype(np.uint64) ^ np.uint64(key))

    def __len__(self) -> int:
        """Return how many records the draws are for."""
        return len(self.ids)

    def bits(self, field: int) -> U64:
        """Return 64 random bits per record for field number ``field``."""
        return mix(self._base + np.uint64((field * _FIELD_STRIDE) & _MASK64))

    def uniform(self, field: int) -> F64:
        """Return a uniform number in [0, 1) per record."""
        return (self.bits(field) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))

    def below(self, field: int, bound: int) -> I64:
        """Return a uniform integer in [0, bound) per record."""
        return (self.bits(field) % np.uint64(bound)).astype(np.int64)

    def weighted(self, field: int, cumulative: F64) -> I64:
        """Return an index drawn with the weights whose normalised running sum is given."""
        return np.searchsorted(cumulative, self.uniform(field), side="right").astype(np.int64)

    def text(self, field: int, length: int, alphabet: bytes) -> list[str]:
        """Return a random string of ``length`` characters from ``alphabet`` per record."""
        table = np.frombuffer(alphabet, dtype=np.uint8)
        bits = self.bits(field)
        columns = []
        for position in range(length):
            # A fresh hash per position: 64 bits are not enough entropy for long strings.
            bits = mix(bits + np.uint64(position + 1))
            columns.append(table[(bits % np.uint64(len(table))).astype(np.int64)])
        raw = np.stack(columns, axis=1).tobytes()
        return [raw[i : i + length].decode("ascii") for i in range(0, len(raw), length)]


def cumulative(weights: list[float] | tuple[float, ...]) -> F64:
    """Return the normalised running sum of ``weights`` for ``Draws.weighted``."""
    sums = np.cumsum(np.asarray(weights, dtype=np.float64))
    result: F64 = sums / sums[-1]
    result[-1] = 1.0 + 1e-12  # a draw of 0.999... must never fall off the end
    return result


def timestamps(ids: I64, draws: Draws, field: int, epoch: datetime, step: float) -> list[str]:
    """Return an ISO 8601 UTC time per record: about ``step`` seconds apart, in id order."""
    offsets = (ids.astype(np.float64) + draws.uniform(field)) * step
    seconds = np.int64(int(epoch.timestamp())) + offsets.astype(np.int64)
    texts = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s", timezone="UTC")
    return [str(text) for text in texts.tolist()]


@dataclass(frozen=True)
class _Tables:
    """Text of small numbers, as object arrays that numpy can index and concatenate."""

    v4_hosts: npt.NDArray[np.object_]  # "c.d" for every host of a /16 but .0 and .255
    decimal: npt.NDArray[np.object_]  # "0" to "255"
    hex16: npt.NDArray[np.object_]  # "0" to "ffff"


@cache
def _tables() -> _Tables:
    """Build the text tables once per process (about 30 ms)."""
    return _Tables(
        v4_hosts=np.asarray([f"{c}.{d}" for c in range(256) for d in range(1, 255)], dtype=object),
        decimal=np.asarray([str(value) for value in range(256)], dtype=object),
        hex16=np.asarray([f"{value:x}" for value in range(65536)], dtype=object),
    )


def _v6_network(rng: random.Random, tops: tuple[str, ...]) -> str:
    """Return a random public /32 as "xxxx:yyyy:", never inside 2001:db8::/32."""
    while True:
        top, second = rng.choice(tops), rng.randrange(0x100, 0xFFFF)
        if (top, second) != ("2001", 0xDB8):
            return f"{top}:{second:x}:"


# First octets never handed out to end users, or used here for the org and the sinkholes.
_RESERVED_FIRST_OCTETS: Final = frozenset({0, 10, 100, 127, 169, 172, 192, 198, 203})
_V6_TOPS: Final = ("2001", "2003", "2400", "2404", "2600", "2605", "2800", "2a00", "2a02", "2c0f")


class AddressPool:
    """Where infected hosts sit: thousands of public v4 and v6 networks plus the org ranges."""

    def __init__(self, rng: random.Random, v4_networks: int = 4096, v6_networks: int = 512) -> None:
        octets = [o for o in range(1, 224) if o not in _RESERVED_FIRST_OCTETS]
        self._v4 = [f"{rng.choice(octets)}.{rng.randrange(256)}." for _ in range(v4_networks)]
        self._v6 = [_v6_network(rng, _V6_TOPS) for _ in range(v6_networks)]
        # Infections cluster: a few networks hold many hosts (Zipf-like weights).
        self._v4_weights = cumulative([1.0 / (rank + 1) ** 0.8 for rank in range(v4_networks)])
        self._v6_weights = cumulative([1.0 / (rank + 1) ** 0.8 for rank in range(v6_networks)])
        shares = [_ORG_V4A_SHARE, _ORG_V4B_SHARE, _ORG_V6_SHARE, _NEAR_V6_SHARE, _PUBLIC_V6_SHARE]
        self._bands = cumulative([*shares, 1.0 - sum(shares)])
        # One prefix table for all bands; a band's first prefix is at _band_prefix[band].
        fixed = ["198.51.100.", "203.0.113.", "2001:db8:"]
        self._prefixes = np.asarray([*self._v4, *self._v6, *fixed], dtype=object)
        public_v6_start, fixed_start = v4_networks, v4_networks + v6_networks
        self._band_prefix = np.asarray(
            [fixed_start, fixed_start + 1, fixed_start + 2, fixed_start + 2, public_v6_start, 0],
            dtype=np.int64,
        )

    def addresses(self, draws: Draws, field: int) -> list[str]:
        """Return one address per record, using fields ``field`` to ``field + 4``."""
        band = draws.weighted(field, self._bands)
        # Every address is prefix + suffix; adding numpy object arrays concatenates the
        # strings in a C loop, several times faster than a Python loop over the records.
        prefixes = self._prefixes[self._prefix_indexes(band, draws.uniform(field + 1))]
        suffixes = _suffixes(band, draws.bits(field + 2), draws, field + 3)
        addresses: list[str] = (prefixes + suffixes).tolist()
        return addresses

    def _prefix_indexes(self, band: I64, network: F64) -> I64:
        """Return each record's index in the prefix table: its band's first plus its network."""
        v4_network = np.searchsorted(self._v4_weights, network, side="right")
        v6_network = np.searchsorted(self._v6_weights, network, side="right")
        offset = np.where(
            band == _PUBLIC_V4, v4_network, np.where(band == _PUBLIC_V6, v6_network, 0)
        )
        indexes: I64 = self._band_prefix[band] + offset
        return indexes


def _suffixes(band: I64, host: U64, draws: Draws, field: int) -> npt.NDArray[np.object_]:
    """Return the host part of each address: "c.d" or "d" for IPv4, "g3:g4::g8" for IPv6."""
    tables = _tables()
    last = ((host >> np.uint64(16)) % np.uint64(254) + np.uint64(1)).astype(np.int64)
    suffixes = np.empty(len(band), dtype=object)
    public_v4 = band == _PUBLIC_V4
    host_index = (host[public_v4] % np.uint64(len(tables.v4_hosts))).astype(np.int64)
    suffixes[public_v4] = tables.v4_hosts[host_index]
    org_v4 = band <= _ORG_V4B
    suffixes[org_v4] = tables.decimal[last[org_v4]]
    v6 = ~(public_v4 | org_v4)
    group3 = draws.below(field, 0xFFFF)[v6] + 1
    group4 = draws.below(field + 1, 0xFFFF)[v6] + 1
    v6_band = band[v6]
    # The third group picks the /36: 0x1000-0x1fff is the org, 0x2000-0x4fff next door.
    third = np.where(
        v6_band == _ORG_V6,
        0x1000 + group3 % 0x1000,
        np.where(v6_band == _NEAR_V6, 0x2000 + group3 % 0x3000, group3),
    )
    hexes = tables.hex16
    suffixes[v6] = hexes[third] + ":" + hexes[group4] + "::" + hexes[last[v6]]
    return suffixes


# Ways a served record can be wrong, as the client must survive them.
MALFORMATIONS: Final = ("missing field", "bad address", "bad timestamp")
_BAD_ADDRESSES: Final = ("999.12.0.1", "10.0.0", "2001:db8::g1", "fe80::1%eth0", "not-an-address")
_BAD_TIMES: Final = ("2025-13-45T25:61:00Z", "yesterday", "2025-01-01 12:00:00", "")


def malformed_mask(draws: Draws, field: int, rate: float) -> list[int]:
    """Return the positions of the records served malformed (about ``rate`` of them)."""
    if rate <= 0:
        return []
    return [int(i) for i in np.flatnonzero(draws.uniform(field) < rate)]


def malform(line: str, choice: int, drop_key: str, address_key: str, time_key: str) -> str:
    """Return ``line`` broken in one of the MALFORMATIONS ways, picked by ``choice``."""
    how, variant = choice % 3, choice // 3
    if how == 0:
        return re.sub(rf',"{drop_key}":("[^"]*"|[^,}}]*)', "", line, count=1)
    key, bad = (
        (address_key, _BAD_ADDRESSES[variant % len(_BAD_ADDRESSES)])
        if how == 1
        else (time_key, _BAD_TIMES[variant % len(_BAD_TIMES)])
    )
    return re.sub(rf'"{key}":"[^"]*"', f'"{key}":"{bad}"', line, count=1)
