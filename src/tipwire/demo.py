"""``make demo``: TipWire on SQLite against the bundled CTAC simulator, end to end.

It starts the simulator, initialises a demo data dir, configures the sinkhole monitor for the
documentation ranges and the keylogger monitor for the email domains the simulator treats as
"our organisation", runs both once, shows what they found, and serves the API (and web UI)
on http://127.0.0.1:8000 with the scheduler running both monitors every minute, so each slot
picks up the records that keep arriving (600 a minute). It prints how to log in as the demo
admin, whose generated password is kept in the demo data dir (mode 0600) across runs.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

DEMO_BLOCKS = "198.51.100.0/24,203.0.113.0/24,2001:db8:1000::/36"
DEMO_DOMAINS = "example.com, example.org"
DEMO_KEY = "demo-key"
SIM_PORT = int(os.environ.get("TIPWIRE_DEMO_SIM_PORT", "8900"))
PORT = int(os.environ.get("TIPWIRE_DEMO_PORT", "8000"))
ADMIN = "admin"


def tipwire(*args: str, check: bool = True) -> int:
    """Run one ``tipwire`` command as a user would, echoing it first."""
    print(f"$ tipwire {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, "-m", "tipwire", *args], check=False)
    if check and done.returncode != 0:
        sys.exit(f"demo: `tipwire {' '.join(args)}` failed with status {done.returncode}")
    return done.returncode


def wait_for_port(port: int, seconds: float = 30.0) -> None:
    """Wait until something listens on the loopback port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    sys.exit(f"demo: the CTAC simulator did not start on port {port}")


def admin_password(data_dir: Path) -> str:
    """The demo admin's password: made (and the user created) on the first run, then reused."""
    kept = data_dir / "demo-admin-password"
    if kept.exists():
        return kept.read_text().strip()
    print(f"$ tipwire users create {ADMIN} --role admin --generate --json", flush=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tipwire",
            "users",
            "create",
            ADMIN,
            "--role",
            "admin",
            "--generate",
            "--json",
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"demo: cannot create the demo admin: {done.stderr.strip()}")
    password = str(json.loads(done.stdout)["password"])
    kept.touch(mode=0o600)
    kept.write_text(password + "\n")
    return password


def main() -> None:
    """Set up and run the demo until interrupted."""
    data_dir = Path(os.environ.get("TIPWIRE_DATA_DIR", Path.cwd() / ".demo"))
    os.environ["TIPWIRE_DATA_DIR"] = str(data_dir)
    os.environ.pop("TIPWIRE_DATABASE_URL", None)
    print(f"demo data dir: {data_dir} (SQLite)", flush=True)
    simulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tipwire.providers.ctac",
            "--port",
            str(SIM_PORT),
            "--api-key",
            DEMO_KEY,
            "--seed",
            "7",
            "--backlog",
            "20000",
            "--rate",
            "600",
            # The backlog spans about 14 hours: start it 15 hours ago so the demo looks current.
            "--epoch",
            (datetime.now(UTC) - timedelta(hours=15)).strftime("%Y-%m-%dT%H:%M:%S"),
        ]
    )
    try:
        wait_for_port(SIM_PORT)
        tipwire("init")
        tipwire(
            "integrations",
            "configure",
            "ctac-sinkhole",
            "--set",
            f"api_url=http://127.0.0.1:{SIM_PORT}",
            "--set",
            f"api_key={DEMO_KEY}",
            "--set",
            f"cidr_blocks={DEMO_BLOCKS}",
            "--set",
            "schedule=* * * * *",
        )
        tipwire("integrations", "enable", "ctac-sinkhole")
        tipwire(
            "integrations",
            "configure",
            "ctac-keylogger",
            "--set",
            f"api_url=http://127.0.0.1:{SIM_PORT}",
            "--set",
            f"api_key={DEMO_KEY}",
            "--set",
            f"domains={DEMO_DOMAINS}",
            "--set",
            "schedule=* * * * *",
        )
        tipwire("integrations", "enable", "ctac-keylogger")
        tipwire("run", "ctac-sinkhole", check=False)
        tipwire("run", "ctac-keylogger", check=False)
        tipwire("runs", "ctac-sinkhole")
        tipwire("events", "list", "--limit", "10")
        password = admin_password(data_dir)
        print(
            f"\nTipWire is serving on http://127.0.0.1:{PORT}/ (API docs at /api/docs).\n"
            f"Log in as user {ADMIN!r} with password {password!r}, or get an API token:\n"
            f"  curl -d grant_type=password -d username={ADMIN} -d password={password} "
            f"http://127.0.0.1:{PORT}/api/token\n"
            "The scheduler runs both monitors every minute; Ctrl-C stops everything.\n",
            flush=True,
        )
        tipwire("serve", "--port", str(PORT), check=False)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.send_signal(signal.SIGTERM)
        simulator.wait(timeout=10)


if __name__ == "__main__":
    main()
