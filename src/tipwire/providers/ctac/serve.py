"""Running the CTAC simulator: in a background thread for tests and demos, or in the foreground."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

import uvicorn

from tipwire.providers.ctac.errors import CtacError
from tipwire.providers.ctac.simulator import Simulator, SimulatorConfig, SimulatorStats

_STARTUP_DEADLINE: Final = 30.0


class SimulatorStartError(CtacError):
    """The CTAC simulator could not start serving."""


@dataclass(frozen=True)
class RunningSimulator:
    """A simulator serving on loopback: where to reach it and what it has done so far."""

    base_url: str
    simulator: Simulator

    @property
    def config(self) -> SimulatorConfig:
        """The configuration the simulator runs with."""
        return self.simulator.config

    @property
    def stats(self) -> SimulatorStats:
        """Live counters of requests, faults and records served."""
        return self.simulator.stats


def _server(
    simulator: Simulator,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: tuple[str, str] | None = None,
) -> uvicorn.Server:
    """Return a quiet uvicorn server for the simulator that leaves logging config alone."""
    certfile, keyfile = tls or (None, None)
    config = uvicorn.Config(
        simulator.app,
        host=host,
        port=port,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    return uvicorn.Server(config)


@contextmanager
def run_simulator(
    config: SimulatorConfig | None = None,
    *,
    host: str = "127.0.0.1",
    tls: tuple[str, str] | None = None,
) -> Iterator[RunningSimulator]:
    """Serve a simulator on a free loopback port in a thread; ``tls=(cert, key)`` serves HTTPS."""
    simulator = Simulator(config or SimulatorConfig())
    # Binding the socket here picks a free port with no race and tells us which one it is.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = _server(simulator, host, tls=tls)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"ctac-simulator-{port}", daemon=True
    )
    thread.start()
    try:
        _wait_started(server, thread)
        scheme = "https" if tls else "http"
        yield RunningSimulator(f"{scheme}://{host}:{port}", simulator)
    finally:
        server.should_exit = True
        # uvicorn gives open connections a second (timeout_graceful_shutdown) to finish.
        thread.join(timeout=10)
        sock.close()


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    """Block until the server accepts connections, or raise if it died or hung."""
    deadline = time.monotonic() + _STARTUP_DEADLINE
    while not server.started:
        if not thread.is_alive():
            raise SimulatorStartError("the CTAC simulator thread exited before serving")
        if time.monotonic() > deadline:
            raise SimulatorStartError(f"the CTAC simulator did not start in {_STARTUP_DEADLINE} s")
        time.sleep(0.005)


def serve_forever(config: SimulatorConfig, host: str, port: int) -> None:
    """Serve the simulator in the foreground until interrupted."""
    _server(Simulator(config), host, port).run()
