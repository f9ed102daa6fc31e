"""Sinkhole monitor end to end: `tipwire run ctac-sinkhole` over a large simulator backlog.

The simulator (its own process) serves N sinkhole hits; the monitor watches 10,000 blocks:
the three documentation ranges the simulator treats as "ours" plus random blocks elsewhere.
The figure is hits/s from the start of `tipwire run` to committed Events, on SQLite and
PostgreSQL, printed beside the pull alone (the same stream through the CTAC client into
typed records, no matching or storing) measured in the same run. The run's peak memory is
the largest sum, sampled every 50 ms, of the resident memory of `tipwire run` and every process
it started (its worker); it is printed for each of `--memory-backlogs` to show whether it grows
with the backlog.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

from sqlalchemy import text

from tipwire.providers.ctac import SINKHOLE, CtacClient
from tipwire.store import make_engine

KEY = "bench-key"
OURS = ["198.51.100.0/24", "203.0.113.0/24", "2001:db8:1000::/36"]


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def blocks(count: int, seed: int) -> list[str]:
    """The demo ranges plus random /24 to /28 blocks in public space."""
    rng = random.Random(seed)
    chosen = list(OURS)
    while len(chosen) < count:
        first = rng.choice([23, 37, 45, 62, 81, 93, 104, 141, 172, 185, 193, 212])
        size = rng.randint(24, 28)
        address = (first << 24) | rng.getrandbits(24)
        address &= ~((1 << (32 - size)) - 1)
        chosen.append(
            f"{address >> 24}.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}/{size}"
        )
    return chosen


def start_simulator(port: int, backlog: int) -> subprocess.Popen[bytes]:
    """The simulator in its own process, so it does not share the run's interpreter."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tipwire.providers.ctac",
            "--port",
            str(port),
            "--api-key",
            KEY,
            "--seed",
            "7",
            "--backlog",
            str(backlog),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    process.kill()
    raise SystemExit("the simulator did not start")


def pull_only(base_url: str) -> float:
    """Hits/s of the bare pull through the client into typed records."""
    start = time.perf_counter()
    count = 0
    with CtacClient(base_url, KEY) as client:
        for page in client.export(SINKHOLE, checkpoint_every=20_000):
            count += len(page.records)
    return count / (time.perf_counter() - start)


def _resident_kib(pid: int) -> tuple[int, int]:
    """Resident memory of one process in KiB, in all and anonymous only; 0 once it has gone.

    The rest is file-backed: mostly SQLite's memory map of the database, pages the kernel
    may drop and read again at will, which grow with the database rather than the run.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return 0, 0
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)

    def kib(name: str) -> int:
        return int(fields.get(name, "0 kB").split()[0])

    return kib("VmRSS"), kib("RssAnon")


def _process_tree(root: int) -> list[int]:
    """``root`` and every process descended from it, from the parent ids in /proc."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        # The name in parentheses may hold spaces: the fields after its ")" are fixed.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children[parent].append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


class TreeMemory:
    """Samples the summed resident memory of a process and its descendants; keeps the peak."""

    def __init__(self, root: int, every: float = 0.05) -> None:
        self.peak_kib = 0
        self.peak_anon_kib = 0
        self.peaks_kib: dict[int, int] = {}
        """Each process's own peak, for telling the run from its worker."""
        self._root = root
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        # Finding the tree scans all of /proc, which would take a few per cent of a core from
        # the run it measures; the tree changes once or twice a run, so it is found afresh
        # only every tenth sample, and the sizes of the processes known are read every time.
        tree: list[int] = []
        for sample in itertools.count():
            if self._stop.is_set():
                return
            if sample % 10 == 0:
                tree = _process_tree(self._root)
            sizes = {pid: _resident_kib(pid) for pid in tree}
            self.peak_kib = max(self.peak_kib, sum(total for total, _ in sizes.values()))
            self.peak_anon_kib = max(self.peak_anon_kib, sum(anon for _, anon in sizes.values()))
            for pid, (size, _) in sizes.items():
                self.peaks_kib[pid] = max(self.peaks_kib.get(pid, 0), size)
            self._stop.wait(self._every)

    def stop(self) -> str:
        """Stop sampling; the peak in MB, with each process's own peak."""
        self._stop.set()
        self._thread.join()
        own = [self.peaks_kib.pop(self._root, 0), *self.peaks_kib.values()]
        parts = " + ".join(f"{kib / 1024:,.0f}" for kib in own if kib)
        return (
            f"{self.peak_kib / 1024:,.0f} MB, {self.peak_anon_kib / 1024:,.0f} MB anonymous "
            f"(process peaks {parts} MB)"
        )


def tipwire(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run one tipwire command, failing loudly."""
    done = subprocess.run(
        [sys.executable, "-m", "tipwire", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"tipwire {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return done


def run_monitor(env: dict[str, str], base_url: str, monitored: list[str]) -> tuple[float, str, str]:
    """Configure and time one `tipwire run`; return seconds, its peak memory and summary line."""
    tipwire(env, "init")
    blocks_file = Path(env["TIPWIRE_DATA_DIR"]).parent / "blocks.txt"
    blocks_file.write_text("\n".join(monitored) + "\n", encoding="utf-8")
    tipwire(
        env,
        "integrations",
        "configure",
        "ctac-sinkhole",
        "--set",
        f"api_url={base_url}",
        "--set",
        f"api_key={KEY}",
        "--set-from-file",
        f"cidr_blocks={blocks_file}",
    )
    tipwire(env, "integrations", "enable", "ctac-sinkhole")
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "tipwire", "run", "ctac-sinkhole"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    memory = TreeMemory(process.pid)
    out, err = process.communicate()
    elapsed = time.perf_counter() - start
    peak = memory.stop()
    if process.returncode != 0:
        raise SystemExit(f"tipwire run failed: {err.strip()[-500:]}")
    return elapsed, peak, out.strip()


def measure(
    label: str, env: dict[str, str], base_url: str, monitored: list[str], hits: int, pull: float
) -> None:
    """Print one database's end-to-end figure beside the pull-only reference."""
    elapsed, peak, summary = run_monitor(env, base_url, monitored)
    rate = hits / elapsed
    print(
        f"{label:10} end to end {rate:>10,.0f} hits/s ({elapsed:5.1f} s); pull alone "
        f"{pull:,.0f}/s; e2e/pull {rate / pull:.2f}; peak memory of the run {peak}"
    )
    print(f"{'':10} {summary}")


def main() -> None:
    """Run the benchmark on SQLite and PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hits", type=int, default=1_000_000)
    parser.add_argument("--blocks", type=int, default=10_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "TIPWIRE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument(
        "--memory-backlogs",
        type=lambda text: [int(part) for part in text.split(",")],
        help="Further backlogs to run, for memory (default: a fifth of --hits).",
    )
    args = parser.parse_args()
    monitored = blocks(args.blocks, seed=3)
    base = {k: v for k, v in os.environ.items() if not k.startswith("TIPWIRE_")}
    extra = args.memory_backlogs if args.memory_backlogs is not None else [args.hits // 5]
    for hits in sorted({*extra, args.hits}):
        port = free_port()
        simulator = start_simulator(port, hits)
        base_url = f"http://127.0.0.1:{port}"
        try:
            pull = pull_only(base_url)
            print(f"backlog {hits:,} hits, {len(monitored):,} monitored blocks")
            with tempfile.TemporaryDirectory() as tmp:
                env = base | {"TIPWIRE_DATA_DIR": str(Path(tmp) / "data")}
                measure("SQLite", env, base_url, monitored, hits, pull)
            if args.skip_postgres:
                continue
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = make_engine(args.postgres_url)
            with admin.begin() as connection:
                connection.execute(text(f"CREATE SCHEMA {schema}"))
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    url = f"{args.postgres_url}?options=-csearch_path%3D{schema}"
                    env = base | {
                        "TIPWIRE_DATA_DIR": str(Path(tmp) / "data"),
                        "TIPWIRE_DATABASE_URL": url,
                    }
                    measure("PostgreSQL", env, base_url, monitored, hits, pull)
            finally:
                with admin.begin() as connection:
                    connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                admin.dispose()
        finally:
            simulator.terminate()
            simulator.wait(timeout=10)


if __name__ == "__main__":
    main()
