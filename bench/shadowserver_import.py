"""Shadowserver import throughput: a 1,000,000-row event4_sinkhole_http report, 10,000 blocks.

The report is generated into a temp dir with every column of the current HTTP sinkhole
report, all quoted as Shadowserver writes them; about 1% of its rows come from inside a
monitored block, the rest from anywhere. The blocks are random /24-/28 blocks in public
space. As in bench/sinkhole_e2e.py, the planted hits come from three of them (an
organisation's infected hosts sit in a few of its networks); a second report spreads them
over all 10,000 blocks, which makes an Event per block and so measures the store's cost
per event more than the import. Figures:

- import: what `tipwire import shadowserver` does (read by header, match, map, ingest into
  a fresh SQLite database in one transaction), in process;
- read + match + map: the same without the store;
- csv.DictReader + stdlib ipaddress: each row as a dict, its address parsed and looked up
  in one dict per prefix length (sampled: the first rows only, scaled).

Each figure is a median of runs taken in turn, printed beside the baseline in the same run.
"""

from __future__ import annotations

import argparse
import csv
import gc
import ipaddress
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tipwire.integrations.report_files import FileReport
from tipwire.integrations.shadowserver import ShadowserverConfig, monitor_for
from tipwire.integrations.shadowserver_reports import report_batches
from tipwire.store import Store, make_engine
from tipwire.store.ingest import ingest

REPORT_TYPE = "event4_sinkhole_http"
COLUMNS = [
    "timestamp",
    "protocol",
    "src_ip",
    "src_port",
    "src_asn",
    "src_geo",
    "src_region",
    "src_city",
    "src_hostname",
    "src_naics",
    "src_sector",
    "device_vendor",
    "device_type",
    "device_model",
    "severity",
    "dst_ip",
    "dst_port",
    "dst_asn",
    "dst_geo",
    "dst_region",
    "dst_city",
    "dst_hostname",
    "dst_naics",
    "dst_sector",
    "public_source",
    "infection",
    "family",
    "tag",
    "application",
    "version",
    "event_id",
    "http_url",
    "http_host",
    "http_agent",
    "forwarded_by",
    "ssl_cipher",
    "http_referer",
    "ssl_servername",
    "machine_name",
]
INSIDE_SHARE = 0.01
FAMILIES = ["andromeda", "necurs", "qakbot", "emotet", "conficker", "ramnit"]
HOSTS = [f"c2-{n}.example.net" for n in range(50)]


def make_blocks(rng: random.Random, count: int) -> list[tuple[int, int]]:
    """Distinct random /24 to /28 IPv4 blocks in public space, as (network, prefix length)."""
    chosen: dict[tuple[int, int], None] = {}
    while len(chosen) < count:
        size = rng.randint(24, 28)
        first = rng.choice([23, 37, 45, 62, 81, 93, 104, 141, 172, 185, 193, 212])
        address = ((first << 24) | rng.getrandbits(24)) & ~((1 << (32 - size)) - 1)
        chosen[(address, size)] = None
    return list(chosen)


def dotted(value: int) -> str:
    """An IPv4 address as text."""
    return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"


def write_report(path: Path, rows: int, blocks: list[tuple[int, int]], seed: int) -> int:
    """Write the report, its planted hits from ``blocks``; return how many rows are planted."""
    rng = random.Random(seed)
    inside = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(f'"{c}"' for c in COLUMNS) + "\n")
        for n in range(rows):
            if rng.random() < INSIDE_SHARE:
                network, size = blocks[rng.randrange(len(blocks))]
                address = network | rng.getrandbits(32 - size)
                inside += 1
            else:
                address = rng.getrandbits(32)
            family = FAMILIES[n % len(FAMILIES)]
            host = HOSTS[n % len(HOSTS)]
            values = [
                f"2024-05-01 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}", "tcp",
                dotted(address), str(1024 + n % 60000), str(64500 + n % 500), "DE", "BAYERN",
                "MUNICH", "", "0", "", "", "", "", "medium", "192.0.2.10", "80", "8075", "US",
                "WASHINGTON", "REDMOND", "", "0", "", "", family, "", "", "http", "",
                f"e-{n}", f"GET /gate.php?id={n % 997} HTTP/1.1", host,
                "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1)", "", "", "", "", "",
            ]  # fmt: skip
            out.write(",".join(f'"{v}"' for v in values) + "\n")
    return inside


def import_once(
    config: ShadowserverConfig, path: Path, template: Path | None
) -> tuple[FileReport, float]:
    """Import the report as `tipwire import` does, into a copy of a migrated SQLite file
    (or, without ``template``, without storing); return its report and the seconds it took.
    """
    engine = None
    if template is not None:
        database = template.with_name(f"run-{time.perf_counter_ns()}.db")
        shutil.copy(template, database)
        engine = make_engine(f"sqlite:///{database}")
    gc.collect()
    started = time.perf_counter()
    monitor = monitor_for(config)
    report = FileReport(path.name, REPORT_TYPE)
    batches = report_batches(monitor, path, REPORT_TYPE, report)
    if engine is None:
        for _ in batches:
            pass
        return report, time.perf_counter() - started
    try:
        with Store(engine).write() as connection:
            for batch in batches:
                if len(batch):
                    ingest(connection, batch)
        return report, time.perf_counter() - started
    finally:
        engine.dispose()
        for leftover in template.parent.glob(f"{database.name}*"):
            leftover.unlink()


def baseline(path: Path, blocks: list[str], sample: int) -> int:
    """csv.DictReader and ipaddress: rows of the first ``sample`` that fall in a block."""
    by_length: dict[int, set[ipaddress.IPv4Network]] = {}
    for block in blocks:
        network = ipaddress.ip_network(block)
        by_length.setdefault(network.prefixlen, set()).add(network)
    lengths = sorted(by_length, reverse=True)
    found = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if number >= sample:
                break
            address = ipaddress.ip_address(row["src_ip"])
            for length in lengths:
                if ipaddress.ip_network((address, length), strict=False) in by_length[length]:
                    found += 1
                    break
    return found


def median_seconds(runs: dict[str, Callable[[], float]], repeats: int) -> dict[str, float]:
    """Median of the seconds each run reports; runs take turns so load drift hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            times[name].append(run())
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def main() -> None:
    """Parse the command line, write the report, and print each figure beside the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--blocks", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240501)
    args = parser.parse_args()
    rows = 20_000 if args.quick else args.rows
    repeats = 1 if args.quick else args.repeats
    sample = min(rows, 50_000)
    rng = random.Random(args.seed)
    blocks = make_blocks(rng, args.blocks)
    cidrs = [f"{dotted(network)}/{size}" for network, size in blocks]
    config = ShadowserverConfig(cidr_blocks=cidrs)
    print(f"{rows:,} rows, {len(cidrs):,} blocks, median of {repeats}\n")
    with tempfile.TemporaryDirectory(prefix="tipwire-bench-") as temp:
        folder = Path(temp)
        template = folder / "template.db"
        engine = make_engine(f"sqlite:///{template}")
        Store(engine).upgrade()
        engine.dispose()
        for label, planted, runs in (
            ("hits from 3 blocks", blocks[:3], repeats),
            ("hits spread over every block", blocks, 1),
        ):
            path = folder / f"2024-05-01-{REPORT_TYPE}-bench-asn.csv"
            started = time.perf_counter()
            inside = write_report(path, rows, planted, args.seed)
            written = time.perf_counter() - started
            print(
                f"{label}: {inside:,} planted rows "
                f"({path.stat().st_size / 1e6:,.0f} MB written in {written:.1f} s)"
            )
            check, _ = import_once(config, path, template)
            # Random addresses land in a block now and then, so at least the planted ones match.
            assert check.rows == rows, check
            assert check.matched >= inside, check
            assert not check.malformed, check
            timings = median_seconds(
                {
                    "import": lambda path=path: import_once(config, path, template)[1],
                    "read": lambda path=path: import_once(config, path, None)[1],
                },
                runs,
            )
            started = time.perf_counter()
            baseline(path, cidrs, sample)
            loop = (time.perf_counter() - started) * rows / sample
            base = rows / loop
            for name, seconds in (
                ("tipwire import (read, match, map, ingest: SQLite)", timings["import"]),
                ("read + match + map (no store)", timings["read"]),
                (f"csv.DictReader + ipaddress ({sample:,} sampled)", loop),
            ):
                figure = rows / seconds
                print(f"  {name:<52} {figure:>11,.0f} rows/s  {figure / base:5.1f}x baseline")
            verdict = "meets" if rows / timings["import"] >= 200_000 else "misses"
            print(f"  import {verdict} the 200,000 rows/s target\n")
            path.unlink()


if __name__ == "__main__":
    main()
