"""API under load: look-ups by value and event pages, over real HTTP on loopback.

Stores N indicators (default 1,000,000) and E events (default 10,000, five indicators each),
serves them with `tipwire serve` in its own process, and drives it with wrk (C connections,
one thread; falls back to an asyncio httpx generator when wrk is not installed: `make bench`
installs Debian's wrk) for D seconds per scenario. For SQLite and PostgreSQL it prints
requests/s and p50/p95/p99 latency of:

- look-up of an indicator by value (`GET /api/indicators?value=...`, random stored values);
- a 100-event page (`GET /api/events?limit=100&offset=...`, random offsets);

beside two baselines measured in the same run: `GET /api/health` (the server and HTTP floor:
no token, one trivial query) and the same store queries called in-process (no HTTP, no auth).
The load generator shares the machine's two cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text

from ingest import make_values
from tipwire.identity import Role
from tipwire.model import Event, EventType, Indicator, IngestBatch, Relation, Source
from tipwire.store import Store, accounts, make_engine, queries
from tipwire.store.maintenance import maintain

TIPWIRE = str(Path(sys.executable).with_name("tipwire"))


def populate(store: Store, indicators: int, events: int, seed: int) -> list[str]:
    """Store the indicators and events; return the stored indicator values."""
    values = make_values(indicators, seed)
    start = time.perf_counter()
    step = 100_000
    for first in range(0, len(values), step):
        chunk = values[first : first + step]
        store.ingest(IngestBatch(Source("Bench"), indicators=[Indicator(t, v) for t, v in chunk]))
    rng = random.Random(seed)
    begin = datetime(2026, 1, 1, tzinfo=UTC)
    for first in range(0, events, 1000):
        batch = IngestBatch(Source("Bench events"))
        for n in range(first, min(first + 1000, events)):
            event = Event(f"Bench event {n}", EventType.MALWARE, begin + timedelta(minutes=n))
            batch.events.append(event)
            for type_, value in rng.sample(values, 5):
                indicator = Indicator(type_, value)
                batch.indicators.append(indicator)
                batch.relations.append(Relation.between(event, indicator))
        store.ingest(batch)
    print(
        f"  stored {indicators:,} indicators and {events:,} events in "
        f"{time.perf_counter() - start:.0f} s",
        flush=True,
    )
    return [v for _, v in values]


def free_port() -> int:
    """A free loopback port."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def load(
    base: str, token: str, paths: Callable[[], str], seconds: float, connections: int
) -> tuple[float, list[float], int]:
    """Requests/s, latencies (s) and failures of ``connections`` clients for ``seconds``."""
    latencies: list[float] = []
    failures = 0
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as http:
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal failures
            while time.perf_counter() < stop:
                sent = time.perf_counter()
                answer = await http.get(paths())
                latencies.append(time.perf_counter() - sent)
                if answer.status_code != 200:
                    failures += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    return len(latencies) / elapsed, latencies, failures


WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local token = os.getenv("BENCH_TOKEN")
local headers = {}
if token ~= "" then headers["Authorization"] = "Bearer " .. token end
request = function()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
done = function(summary, latency, requests)
  local failed = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), failed))
end
"""


def wrk_load(
    base: str, token: str, paths: list[str], seconds: float, connections: int, workdir: Path
) -> tuple[float, float, float, float, int]:
    """wrk's requests/s, p50/p95/p99 (ms) and failures over ``paths`` at random."""
    script, listing = workdir / "load.lua", workdir / "paths.txt"
    script.write_text(WRK_SCRIPT)
    listing.write_text("\n".join(paths) + "\n")
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(script), base],
        env=os.environ | {"BENCH_PATHS": str(listing), "BENCH_TOKEN": token},
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(row for row in done.stdout.splitlines() if row.startswith("RESULT"))
    requests, micros, p50, p95, p99, failed = (int(part) for part in line.split()[1:])
    return requests / (micros / 1e6), p50 / 1000, p95 / 1000, p99 / 1000, failed


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` fall, in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def in_process(store: Store, call: Callable[[object], object], rounds: int) -> float:
    """Median milliseconds of one store call, in-process."""
    timings = []
    with store.read() as connection:
        for _ in range(rounds):
            start = time.perf_counter()
            call(connection)
            timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000


def run_case(
    name: str, env: dict[str, str], store: Store, args: argparse.Namespace, workdir: Path
) -> None:
    """Populate, serve and load one database."""
    print(f"{name}:", flush=True)
    store.upgrade()
    values = populate(store, args.indicators, args.events, args.seed)
    # A bulk load leaves the planner without statistics and, on PostgreSQL, the visibility
    # map unset until autovacuum comes by (if it is on); `tipwire db maintain` does it now.
    start = time.perf_counter()
    maintain(store.engine)
    print(f"  tipwire db maintain after the load: {time.perf_counter() - start:.1f} s", flush=True)
    with store.write() as connection:
        client, secret = accounts.create_client(connection, "bench-load", Role.VIEWER)
    client_id = client.client_id
    port = free_port()
    server = subprocess.Popen(
        [TIPWIRE, "serve", "--port", str(port), "--no-scheduler", "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
            if time.monotonic() > deadline:
                sys.exit("tipwire serve did not start")
        assert client_id is not None
        token = httpx.post(
            f"{base}/api/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
        ).json()["access_token"]
        rng = random.Random(args.seed + 1)
        pages = max(1, args.events // 100)
        lookups = [
            "/api/indicators?" + str(httpx.QueryParams(value=v))
            for v in rng.sample(values, min(len(values), 20_000))
        ]
        scenarios: list[tuple[str, str, list[str]]] = [
            ("health (floor)", "", ["/api/health"]),
            ("look-up by value", token, lookups),
            (
                "100-event page",
                token,
                [f"/api/events?limit=100&offset={p * 100}" for p in range(pages)],
            ),
        ]
        use_wrk = shutil.which("wrk") is not None and not args.httpx
        print(f"  load generator: {'wrk' if use_wrk else 'httpx async'}", flush=True)
        for label, bearer, paths in scenarios:
            if use_wrk:
                wrk_load(base, bearer, paths, 1.0, args.connections, workdir)  # warm up
                rate, p50, p95, p99, failures = wrk_load(
                    base, bearer, paths, args.seconds, args.connections, workdir
                )
            else:

                def pick(paths: list[str] = paths) -> str:
                    return rng.choice(paths)

                asyncio.run(load(base, bearer, pick, 1.0, args.connections))  # warm up
                rate, latencies, failures = asyncio.run(
                    load(base, bearer, pick, args.seconds, args.connections)
                )
                p50, p95, p99 = (percentile(latencies, f) for f in (0.50, 0.95, 0.99))
            print(
                f"  {label:18} {rate:8,.0f} req/s  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
                f"p99 {p99:6.1f} ms  failures {failures}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(20)
    lookup = in_process(
        store,
        lambda c: queries.find_indicators(c, rng.choice(values)),
        2000,  # type: ignore[arg-type]
    )
    page = in_process(
        store,
        lambda c: queries.list_events(  # type: ignore[arg-type]
            c, queries.EventQuery(limit=100, offset=rng.randrange(pages) * 100)
        ),
        200,
    )
    print(
        f"  in-process store call (no HTTP, no auth): look-up {lookup:.2f} ms, "
        f"100-event page {page:.2f} ms (medians)",
        flush=True,
    )


def main() -> None:
    """Run the load on SQLite, then PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "TIPWIRE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--httpx", action="store_true", help="use the httpx generator, not wrk")
    args = parser.parse_args()
    print(
        f"API load: {args.connections} connections, {args.workers} server workers, "
        f"{args.seconds:.0f} s per scenario"
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'tipwire.db'}"
        env = os.environ | {"TIPWIRE_DATA_DIR": tmp, "TIPWIRE_DATABASE_URL": url}
        store = Store(make_engine(url))
        run_case("SQLite", env, store, args, Path(tmp))
        store.close()
        if args.skip_postgres:
            return
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.postgres_url)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        pg_url = f"{args.postgres_url}?options=-csearch_path%3D{schema}"
        try:
            store = Store(make_engine(pg_url))
            run_case("PostgreSQL", env | {"TIPWIRE_DATABASE_URL": pg_url}, store, args, Path(tmp))
            store.close()
        finally:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


if __name__ == "__main__":
    main()
