"""NetworkSet: longest-prefix matching of address pages, checked against the ipaddress module."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tipwire.errors import InvalidValueError
from tipwire.match import NetworkSet
from tipwire.match.addresses import CHUNK_SIZE
from tipwire.match.intervals import IPv4Table

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAPPED = 0xFFFF << 32
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_match(
    blocks: Sequence[str], addresses: Sequence[object]
) -> tuple[list[str | None], list[int]]:
    """Brute force: every block that holds the address, the longest prefix wins."""
    networks: list[Network] = []
    for text in blocks:
        network = ipaddress.ip_network(text.strip(), strict=False)
        mapped = network.network_address.ipv4_mapped if network.version == 6 else None
        if mapped is not None and network.prefixlen >= 96:
            network = ipaddress.IPv4Network((mapped, network.prefixlen - 96))
        networks.append(network)
    found: list[str | None] = []
    invalid: list[int] = []
    for position, item in enumerate(addresses):
        try:
            if not isinstance(item, str):
                raise TypeError(item)
            address = ipaddress.ip_address(item.strip())
        except (TypeError, ValueError):
            invalid.append(position)
            found.append(None)
            continue
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        holding = [n for n in networks if n.version == address.version and address in n]
        best = max(holding, key=lambda network: network.prefixlen, default=None)
        found.append(None if best is None else best.compressed)
    return found, invalid


def assert_matches_reference(blocks: Sequence[str], addresses: Sequence[object]) -> None:
    """NetworkSet gives the reference's block for every address, and the same invalid ones."""
    result = NetworkSet.from_strings(blocks).match(addresses)  # type: ignore[arg-type]
    expected, invalid = reference_match(blocks, addresses)
    assert [result.block(i) for i in range(len(addresses))] == expected
    assert result.invalid.tolist() == invalid


# Addresses and blocks are drawn around a few shared bases so that they nest and overlap.
V4_BASES = [0, 0x0A000000, 0xC0A80100, 0xCB007100, 0xFFFFFFFF]
V6_BASES = [0, 1, 0x20010DB8 << 96, (1 << 128) - 1, MAPPED | 0xCB007100]


@st.composite
def v4_values(draw: st.DrawFn) -> int:
    """An IPv4 address near a shared base, or anywhere."""
    base = draw(st.sampled_from(V4_BASES) | st.integers(0, 2**32 - 1))
    return base ^ draw(st.integers(0, 2 ** draw(st.integers(0, 32)) - 1))


@st.composite
def v6_values(draw: st.DrawFn) -> int:
    """An IPv6 address near a shared base, or anywhere."""
    base = draw(st.sampled_from(V6_BASES) | st.integers(0, 2**128 - 1))
    return base ^ draw(st.integers(0, 2 ** draw(st.integers(0, 128)) - 1))


@st.composite
def block_texts(draw: st.DrawFn) -> str:
    """A CIDR block as a user might configure it: host bits, mapped form, bare address."""
    kind = draw(st.sampled_from(["v4", "v6", "mapped"]))
    if kind == "v4":
        value, length = draw(v4_values()), draw(st.integers(0, 32))
        text = str(ipaddress.IPv4Address(value))
    elif kind == "v6":
        value, length = draw(v6_values()), draw(st.integers(0, 128))
        text = str(ipaddress.IPv6Address(value))
    else:
        value, length = MAPPED | draw(v4_values()), draw(st.integers(80, 128))
        text = f"::ffff:{ipaddress.IPv4Address(value & 0xFFFFFFFF)}"
    return draw(st.sampled_from([f"{text}/{length}", text, f" {text}/{length} "]))


@st.composite
def address_texts(draw: st.DrawFn) -> object:
    """An address as a provider might send it, in any valid spelling, or something invalid."""
    kind = draw(st.sampled_from(["v4", "v6", "mapped", "mapped-hex", "junk", "odd"]))
    if kind == "v4":
        return str(ipaddress.IPv4Address(draw(v4_values())))
    if kind == "v6":
        address = ipaddress.IPv6Address(draw(v6_values()))
        return draw(
            st.sampled_from([address.compressed, address.exploded, address.exploded.upper()])
        )
    if kind == "mapped":
        return f"::ffff:{ipaddress.IPv4Address(draw(v4_values()))}"
    if kind == "mapped-hex":
        return ipaddress.IPv6Address(MAPPED | draw(v4_values())).exploded
    if kind == "junk":
        return draw(st.text(alphabet="0123456789abcdefABCDEF.:%/ \t\n-x", max_size=45))
    odd = [None, 7, b"10.0.0.1", "", " 10.0.0.1", "10.0.0.1\n", "010.0.0.1", "1.2.3.4.5"]
    return draw(st.sampled_from(odd))


@PROPERTY
@given(st.lists(block_texts(), max_size=12), st.lists(address_texts(), max_size=40))
def test_matches_brute_force_longest_prefix_search(
    blocks: list[str], addresses: list[object]
) -> None:
    assert_matches_reference(blocks, addresses)


@PROPERTY
@given(
    st.lists(
        st.text(alphabet="0123456789.:abcdefABCDEF% \t\n\x00", max_size=20)
        | st.builds(str, st.ip_addresses())
        | st.text(max_size=8),
        max_size=30,
    )
)
def test_address_is_valid_exactly_when_ipaddress_accepts_it(addresses: list[str]) -> None:
    assert_matches_reference(["0.0.0.0/0", "::/0"], addresses)


def test_most_specific_block_wins() -> None:
    networks = NetworkSet.from_strings(["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24"])
    result = networks.match(["10.1.2.3", "10.1.3.4", "10.2.0.1", "11.0.0.1"])
    assert [result.block(i) for i in range(4)] == ["10.1.2.0/24", "10.1.0.0/16", "10.0.0.0/8", None]
    assert result.index.tolist() == [2, 1, 0, -1]


def test_ipv4_mapped_ipv6_address_matches_its_ipv4_block() -> None:
    networks = NetworkSet.from_strings(["203.0.113.0/24"])
    result = networks.match(["::ffff:203.0.113.7", "::FFFF:CB00:7107", "::203.0.113.7"])
    assert [result.block(i) for i in range(3)] == ["203.0.113.0/24", "203.0.113.0/24", None]


def test_ipv4_mapped_block_is_kept_as_the_ipv4_block_it_maps() -> None:
    networks = NetworkSet.from_strings(["::ffff:198.51.100.0/120", "198.51.100.0/24"])
    assert networks.blocks == ("198.51.100.0/24",)
    assert networks.block_of("198.51.100.9") == "198.51.100.0/24"


def test_ipv4_address_is_never_inside_an_ipv6_block() -> None:
    networks = NetworkSet.from_strings(["::/0"])
    result = networks.match(["192.0.2.1", "::ffff:192.0.2.1", "2001:db8::1"])
    assert [result.block(i) for i in range(3)] == [None, None, "::/0"]


def test_ipv6_hit_outside_blocks_is_dropped() -> None:
    networks = NetworkSet.from_strings(["2001:db8:1::/48", "2001:db8:1:2::/64"])
    result = networks.match(["2001:db8:1:2::5", "2001:db8:1:3::5", "2001:db8:2::1"])
    assert [result.block(i) for i in range(3)] == ["2001:db8:1:2::/64", "2001:db8:1::/48", None]


def test_blocks_at_the_edges_of_the_address_space() -> None:
    top = "ffff:ffff:ffff:ffff:ffff:ffff:ffff"
    blocks = ["0.0.0.0/0", "255.255.255.255/32", "0.0.0.0/32", "::/0", f"{top}:ffff/128"]
    addresses = ["0.0.0.0", "0.0.0.1", "255.255.255.254", "255.255.255.255"]  # noqa: S104
    addresses += ["::", "::1", f"{top}:fffe", f"{top}:ffff"]
    assert_matches_reference(blocks, addresses)


def test_invalid_addresses_are_reported_and_match_nothing() -> None:
    networks = NetworkSet.from_strings(["0.0.0.0/0", "::/0"])
    page = ["192.0.2.1", "not an address", None, "", "192.0.2.256", "1.2.3.4\n5.6.7.8"]
    page += ["01.2.3.4", "::1"]
    result = networks.match(page)  # type: ignore[arg-type]
    assert result.invalid.tolist() == [1, 2, 3, 4, 5, 6]
    assert result.index.tolist() == [0, -1, -1, -1, -1, -1, -1, 1]


def test_whitespace_around_an_address_is_ignored() -> None:
    networks = NetworkSet.from_strings(["192.0.2.0/24"])
    assert networks.match([" 192.0.2.1", "192.0.2.1\t", " 192.0.2.1\n"]).index.tolist() == [0, 0, 0]


def test_pages_longer_than_a_chunk_keep_their_order() -> None:
    values = np.random.default_rng(7).integers(0, 2**32, size=2 * CHUNK_SIZE + 5, dtype=np.uint64)
    page: list[object] = [str(ipaddress.IPv4Address(int(v))) for v in values]
    for position in (3, CHUNK_SIZE - 1, CHUNK_SIZE, 2 * CHUNK_SIZE + 4):
        page[position] = None if position % 2 else "bad\naddress"
    page[CHUNK_SIZE + 1] = "2001:db8::1"
    blocks = ["0.0.0.0/1", "128.0.0.0/2", "2001:db8::/32", "10.0.0.0/8"]
    assert_matches_reference(blocks, page)


def test_invalid_block_is_named_with_its_position() -> None:
    with pytest.raises(InvalidValueError) as raised:
        NetworkSet.from_strings(["10.0.0.0/8", "10.0.0.0/33"])
    assert str(raised.value) == "cidr_blocks: '10.0.0.0/33' is not a valid CIDR block (item 2)"
    with pytest.raises(InvalidValueError, match=r"sinkhole_blocks: None .*\(item 1\)"):
        NetworkSet.from_strings([None], field="sinkhole_blocks")  # type: ignore[list-item]


def test_duplicate_blocks_are_kept_once_in_canonical_form() -> None:
    networks = NetworkSet.from_strings(["10.1.2.3/8", "10.0.0.0/8", "2001:DB8::/32", "192.0.2.1"])
    assert networks.blocks == ("10.0.0.0/8", "2001:db8::/32", "192.0.2.1/32")
    assert len(networks) == 3


def test_empty_set_and_empty_page() -> None:
    assert NetworkSet.from_strings([]).match(["192.0.2.1", "x"]).invalid.tolist() == [1]
    result = NetworkSet.from_strings(["10.0.0.0/8"]).match([])
    assert len(result) == 0
    assert result.invalid.tolist() == []


def test_hits_name_each_matched_position_and_block() -> None:
    networks = NetworkSet.from_strings(["10.0.0.0/8", "192.0.2.0/24"])
    result = networks.match(["192.0.2.9", "8.8.8.8", "10.9.9.9"])
    assert list(result.hits()) == [(0, "192.0.2.0/24"), (2, "10.0.0.0/8")]
    assert result.matched().tolist() == [0, 2]


@pytest.mark.parametrize("count", [0, 1, 1000, 50_000])
def test_ipv4_lookup_agrees_with_a_plain_binary_search(count: int) -> None:
    rng = np.random.default_rng(count)
    blocks = []
    for label, length in enumerate(rng.integers(8, 31, size=3000).tolist()):
        first = int(rng.integers(0, 2**32)) >> (32 - length) << (32 - length)
        blocks.append((first, first | ((1 << (32 - length)) - 1), label))
    table = IPv4Table(blocks)
    values = rng.integers(0, 2**32, size=count, dtype=np.uint64).astype(np.uint32)
    values[:3] = [0, 2**32 - 1, table.starts[-1]][:count]
    expected = table.labels[np.searchsorted(table.starts, values, side="right") - 1]
    assert table.lookup(values).tolist() == expected.tolist()


def test_the_same_blocks_give_the_same_set_and_a_bad_block_fails_every_time() -> None:
    # A run validates its settings and then matches: the set is built once for both.
    blocks = ["198.51.100.0/24", "2001:db8::/32"]
    assert NetworkSet.from_strings(blocks) is NetworkSet.from_strings(list(blocks))
    for _ in range(2):
        with pytest.raises(InvalidValueError, match="item 2"):
            NetworkSet.from_strings(["198.51.100.0/24", "198.51.100.0/33"])
