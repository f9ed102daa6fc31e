"""Benchmark: pull a CTAC sinkhole backlog through the client into typed records.

Starts the simulator in its own process (so it does not share the GIL with the client
being measured), then times, in the same run:

- the client's NDJSON export and its paginated endpoint, decoding into ``SinkholeHit``;
- the baseline: the same HTTP pulls decoded with the standard ``json`` module into dicts;
- decoding alone (no HTTP, no simulator): the export's bytes, typed vs ``json``, which shows
  the client's own cost when the simulator, not the client, limits the pulls above.

Usage: python bench/ctac_pull.py [--records 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import httpx

from tipwire.providers.ctac import SINKHOLE, CtacClient
from tipwire.providers.ctac.ndjson import CheckpointSplitter

API_KEY = "bench-key"
TARGET_PER_SECOND = 200_000


def _free_port() -> int:
    """Return a loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def simulator(records: int) -> Iterator[str]:
    """Run the simulator as a subprocess with a backlog of ``records``; yield its base URL."""
    port = _free_port()
    command = [
        sys.executable, "-m", "tipwire.providers.ctac", "--port", str(port),
        "--backlog", str(records), "--seed", "1", "--api-key", API_KEY,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                httpx.get(base_url + "/", timeout=1.0)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    raise SystemExit("the simulator exited before serving") from None
                time.sleep(0.05)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def typed_export(base_url: str) -> int:
    """Pull the export with the client into SinkholeHit records; return the record count."""
    with CtacClient(base_url, API_KEY) as client:
        return sum(len(page.records) for page in client.export(SINKHOLE, checkpoint_every=5000))


def typed_pages(base_url: str) -> int:
    """Pull the paginated endpoint with the client into SinkholeHit records."""
    with CtacClient(base_url, API_KEY, per_page=10_000) as client:
        return sum(len(page.records) for page in client.pages(SINKHOLE))


def baseline_export(base_url: str) -> int:
    """Pull the same export with httpx and decode each line with ``json`` into a dict."""
    count = 0
    headers = {"X-Api-Key": API_KEY}
    url = f"{base_url}/api/v1/sinkhole/export"
    with (
        httpx.Client(timeout=60) as http,
        http.stream("GET", url, params={"checkpoint_every": 5000}, headers=headers) as response,
    ):
        for line in response.iter_lines():
            record = json.loads(line)
            if "id" in record:
                count += 1
    return count


def baseline_pages(base_url: str) -> int:
    """Pull the same pages with httpx and decode each body with ``json`` into dicts."""
    count = 0
    headers = {"X-Api-Key": API_KEY}
    url: str | None = f"{base_url}/api/v1/sinkhole?per_page=10000"
    with httpx.Client(timeout=60) as http:
        while url:
            page = json.loads(http.get(url, headers=headers).content)
            count += len(page["data"])
            url = page["next_page_url"]
    return count


def export_bytes(base_url: str) -> bytes:
    """Return the raw NDJSON export, for timing decoding without HTTP."""
    url = f"{base_url}/api/v1/sinkhole/export?checkpoint_every=5000"
    return httpx.get(url, headers={"X-Api-Key": API_KEY}, timeout=60).content


def typed_decode(body: bytes) -> int:
    """Decode export bytes the way the client does: split at checkpoints, msgspec structs."""
    count = 0
    step = 64 * 1024  # the size of the reads the client gets from the socket
    splitter = CheckpointSplitter()
    for start in range(0, len(body), step):
        for segment in splitter.feed(body[start : start + step]):
            count += len(SINKHOLE.decode_lines(segment.lines).records)
    return count


def baseline_decode(body: bytes) -> int:
    """Decode export bytes with ``json`` into dicts, one line at a time."""
    count = 0
    for line in body.splitlines():
        if "id" in json.loads(line):
            count += 1
    return count


def measure(name: str, run: Callable[[], int], expected: int) -> float:
    """Time one run and return records per second, checking it got every record."""
    started = time.perf_counter()
    count = run()
    elapsed = time.perf_counter() - started
    if count != expected:
        raise SystemExit(f"{name} got {count} records, expected {expected}")
    return count / elapsed


def main() -> None:
    """Parse arguments, run the pulls, print records/s and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pulls = [typed_export, baseline_export, typed_pages, baseline_pages]
    decoders = [typed_decode, baseline_decode]
    rates: dict[str, list[float]] = {f.__name__: [] for f in [*pulls, *decoders]}
    with simulator(args.records) as base_url:
        typed_pages(base_url)  # warm-up: imports, first connections, numpy tables
        body = export_bytes(base_url)
        runs: list[tuple[str, Callable[[], int]]] = [
            *((pull.__name__, partial(pull, base_url)) for pull in pulls),
            *((decode.__name__, partial(decode, body)) for decode in decoders),
        ]
        for round_number in range(1, args.repeat + 1):
            for name, run in runs:
                rate = measure(name, run, args.records)
                rates[name].append(rate)
                print(f"  round {round_number}: {name:<16} {rate:>12,.0f} records/s")
    median = {name: statistics.median(values) for name, values in rates.items()}
    print(f"\nCTAC sinkhole pull of {args.records:,} records, median of {args.repeat}:")
    for name, value in median.items():
        print(f"  {name:<16} {value:>12,.0f} records/s")
    for mode in ("export", "pages", "decode"):
        ratio = median[f"typed_{mode}"] / median[f"baseline_{mode}"]
        print(f"  {mode}: typed is {ratio:.2f}x the json-into-dicts baseline")
    best = max(median["typed_export"], median["typed_pages"])
    verdict = "meets" if best >= TARGET_PER_SECOND else "MISSES"
    print(f"  best typed pull {best:,.0f} records/s {verdict} the {TARGET_PER_SECOND:,}/s target")


if __name__ == "__main__":
    main()
