"""NetworkSet throughput from address strings, against pytricia and a stdlib ipaddress loop.

A page of distinct random addresses (IPv4, with 10% IPv6) is matched against 10,000 and
100,000 monitored blocks. About 1% of the addresses are drawn inside a monitored block;
the rest are uniform over the whole address space, as sinkhole hits from the internet are.
Block prefix lengths run /8-/30 (IPv4) and /32-/64 (IPv6), drawn with weight 2^(0.8*len):
small blocks are common and large ones rare, so that the blocks cover well under 1% of the
space, as an organisation's do. One block in ten is nested inside another one.

Every method is timed from the strings, parsing included, in the same run, and checked to
give the same answers. pytricia needs one trie per family; the loop dispatches on ':'.
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import socket
import statistics
import time
from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
import pytricia

from tipwire.match import NetworkSet

V6_SHARE = 0.10
INSIDE_SHARE = 0.01
NESTED_SHARE = 0.10
PREFIXES = {4: range(8, 31), 6: range(32, 65)}
BITS = {4: 32, 6: 128}
PAGE = 1_000  # a typical provider page, to show the fixed cost of each call


@cache
def prefix_weights(version: int) -> list[float]:
    """Probability of each prefix length: longer (smaller) blocks are more common."""
    weights = [2.0 ** (0.8 * (p - PREFIXES[version][0])) for p in PREFIXES[version]]
    return [weight / sum(weights) for weight in weights]


def random_ints(rng: np.random.Generator, bits: int, count: int) -> list[int]:
    """Uniform random integers of the given width, as Python ints."""
    words = rng.integers(0, 1 << 32, size=(count, bits // 32), dtype=np.uint64).tolist()
    values = []
    for row in words:
        value = 0
        for word in row:
            value = (value << 32) | word
        values.append(value)
    return values


def make_blocks(rng: np.random.Generator, count: int) -> list[tuple[int, int, int]]:
    """Distinct (version, network, prefix length) blocks, one in ten nested in another."""
    blocks: dict[tuple[int, int, int], None] = {}
    while len(blocks) < count:
        version = 6 if rng.random() < V6_SHARE else 4
        bits, longest = BITS[version], PREFIXES[version][-1]
        length = int(rng.choice(PREFIXES[version], p=prefix_weights(version)))
        base = random_ints(rng, bits, 1)[0]
        if blocks and rng.random() < NESTED_SHARE:
            parent_version, parent, parent_length = next(reversed(blocks))
            if parent_version == version and parent_length < longest:
                length = int(rng.integers(parent_length + 1, longest + 1))
                base = parent | (base & ((1 << (bits - parent_length)) - 1))
        network = base >> (bits - length) << (bits - length)
        blocks[(version, network, length)] = None
    return list(blocks)


def to_text(version: int, value: int) -> str:
    """An address in its usual text form."""
    if version == 4:
        return socket.inet_ntop(socket.AF_INET, value.to_bytes(4, "big"))
    return socket.inet_ntop(socket.AF_INET6, value.to_bytes(16, "big"))


def make_addresses(
    rng: np.random.Generator, count: int, blocks: Sequence[tuple[int, int, int]]
) -> list[str]:
    """Distinct addresses: 1% inside a random block, the rest anywhere; shuffled."""
    chosen: dict[tuple[int, int], None] = {}
    for version, share in ((4, 1 - V6_SHARE), (6, V6_SHARE)):
        wanted = len(chosen) + round(count * share)
        bits = BITS[version]
        family = [b for b in blocks if b[0] == version]
        inside = round(count * share * INSIDE_SHARE)
        for index in rng.integers(0, len(family), size=inside).tolist():
            _, network, length = family[index]
            offset = random_ints(rng, bits, 1)[0] & ((1 << (bits - length)) - 1)
            chosen[(version, network | offset)] = None
        while len(chosen) < wanted:
            for value in random_ints(rng, bits, wanted - len(chosen)):
                chosen[(version, value)] = None
    values = list(chosen)
    # Strings are made in page order, as a provider's decoded page has them in memory.
    return [to_text(*values[i]) for i in rng.permutation(len(values)).tolist()]


def block_texts(blocks: Sequence[tuple[int, int, int]]) -> list[str]:
    """Blocks as CIDR strings."""
    return [f"{to_text(version, network)}/{length}" for version, network, length in blocks]


def pytricia_lookup(cidrs: Sequence[str]) -> Callable[[Sequence[str]], list[int | None]]:
    """Build one trie per family; return a page lookup giving each address's block index."""
    v4, v6 = pytricia.PyTricia(32), pytricia.PyTricia(128)
    for label, cidr in enumerate(cidrs):
        (v6 if ":" in cidr else v4)[cidr] = label

    def lookup(addresses: Sequence[str]) -> list[int | None]:
        get4, get6 = v4.get, v6.get
        return [get6(a) if ":" in a else get4(a) for a in addresses]

    return lookup


def stdlib_lookup(cidrs: Sequence[str]) -> Callable[[Sequence[str]], list[int | None]]:
    """Longest-prefix match with the ipaddress module: one dict per prefix length."""
    by_length: dict[tuple[int, int], dict[object, int]] = {}
    for label, cidr in enumerate(cidrs):
        network = ipaddress.ip_network(cidr)
        by_length.setdefault((network.version, network.prefixlen), {}).setdefault(network, label)
    lengths = {
        version: sorted((n for v, n in by_length if v == version), reverse=True)
        for version in (4, 6)
    }

    def lookup(addresses: Sequence[str]) -> list[int | None]:
        found: list[int | None] = []
        for text in addresses:
            address = ipaddress.ip_address(text)
            label = None
            for length in lengths[address.version]:
                network = ipaddress.ip_network((address, length), strict=False)
                label = by_length[(address.version, length)].get(network)
                if label is not None:
                    break
            found.append(label)
        return found

    return lookup


def median_seconds(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time of each run; runs take turns, so that load drift hits them all alike.

    The garbage collector is paused while a run is timed, as timeit does.
    """
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            gc.collect()
            gc.disable()
            try:
                started = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - started)
            finally:
                gc.enable()
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def bench(block_count: int, address_count: int, sample: int, repeats: int, seed: int) -> None:
    """Time the three methods against one block set and print a line each."""
    rng = np.random.default_rng([seed, block_count])
    blocks = make_blocks(rng, block_count)
    cidrs = block_texts(blocks)
    addresses = make_addresses(rng, address_count, blocks)

    started = time.perf_counter()
    networks = NetworkSet.from_strings(cidrs)
    build = time.perf_counter() - started
    trie = pytricia_lookup(cidrs)
    stdlib = stdlib_lookup(cidrs)

    result = networks.match(addresses)
    expected = trie(addresses)
    assert result.index.tolist() == [-1 if label is None else label for label in expected]
    assert stdlib(addresses[:sample]) == expected[:sample]
    hits = len(result.matched())

    sampled = addresses[:sample]
    pages = [addresses[start : start + PAGE] for start in range(0, address_count, PAGE)]
    timings = median_seconds(
        {
            "ours": lambda: networks.match(addresses),
            "pages": lambda: [networks.match(page) for page in pages],
            "pytricia": lambda: trie(addresses),
        },
        repeats,
    )
    ours, theirs = timings["ours"], timings["pytricia"]
    loop = median_seconds({"stdlib": lambda: stdlib(sampled)}, 1)["stdlib"]
    loop *= address_count / sample
    print(
        f"{block_count:>7,} blocks (built in {build:.2f} s), {address_count:,} addresses, "
        f"{hits / address_count:.2%} inside a block:"
    )
    for name, seconds in (
        ("NetworkSet.match", ours),
        (f"NetworkSet.match, in pages of {PAGE:,}", timings["pages"]),
        ("pytricia, one trie per family", theirs),
        (f"stdlib ipaddress loop ({sample:,} sampled)", loop),
    ):
        print(f"  {name:<42} {address_count / seconds:>13,.0f} addresses/s")
    print(f"  NetworkSet / pytricia: {theirs / ours:.2f}x\n")


def main() -> None:
    """Parse the command line and run the benchmark for each block count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    address_count = 20_000 if args.quick else 1_000_000
    sample = 2_000 if args.quick else 20_000
    repeats = 3 if args.quick else args.repeats
    block_counts = (1_000,) if args.quick else (10_000, 100_000)
    print(f"numpy {np.__version__}, median of {repeats} run(s), seed {args.seed}\n")
    for block_count in block_counts:
        bench(block_count, address_count, sample, repeats, args.seed)


if __name__ == "__main__":
    main()
