"""Fixtures for the API: the app on each kind of database, users of each role and their tokens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tipwire.api import create_app
from tipwire.config import Settings
from tipwire.exchange.registry import Registry
from tipwire.identity import Role, hashing
from tipwire.store import Store, accounts

PASSWORDS = {role: f"{role.value}-pass-phrase" for role in Role}


@pytest.fixture(autouse=True, scope="session")
def cheap_hashes() -> None:
    """argon2id at its lowest cost: the suite creates many accounts (the KDF stays the same)."""
    hashing.set_cost(time_cost=1, memory_kib=1024)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose data dir (and so the key file) is private to the test."""
    return Settings(data_dir=tmp_path / "data", secret_key=None, database_url=None)


@pytest.fixture
def app(store: Store, settings: Settings) -> FastAPI:
    """The API serving a fresh store, with the installed integrations."""
    return create_app(settings, store, Registry.discover())


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveServer:
    """The app served by uvicorn on loopback in a thread: real HTTP, real sockets."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def live(app: FastAPI) -> Iterator[LiveServer]:
    """The app on a real loopback port."""
    with LiveServer(app) as running:
        yield running


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client for the live app."""
    with httpx.Client(base_url=live.url, timeout=30) as http:
        yield http


@pytest.fixture
def users(store: Store) -> dict[Role, str]:
    """One user of each role, by role: their names."""
    with store.write() as connection:
        for role in Role:
            accounts.create_user(connection, role.value, PASSWORDS[role], role)
    return {role: role.value for role in Role}


def login(client: httpx.Client, name: str, password: str) -> dict[str, str]:
    """The token answer of a password grant (asserting it succeeded)."""
    answer = client.post(
        "/api/token", data={"grant_type": "password", "username": name, "password": password}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, str] = answer.json()
    return body


@pytest.fixture
def headers(client: httpx.Client, users: dict[Role, str]) -> dict[Role, dict[str, str]]:
    """Authorization headers for a user of each role."""
    found = {}
    for role, name in users.items():
        token = login(client, name, PASSWORDS[role])["access_token"]
        found[role] = {"Authorization": f"Bearer {token}"}
    return found


TIPWIRE = str(Path(sys.executable).with_name("tipwire"))


def tipwire(env: dict[str, str], *args: str) -> str:
    """Run the `tipwire` command with ``env``; its standard output (asserting success)."""
    done = subprocess.run(
        [TIPWIRE, *args], env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`tipwire serve` on a fresh database of each kind; its URL and environment."""
    env = os.environ | {
        "TIPWIRE_DATA_DIR": str(tmp_path / "data"),
        "TIPWIRE_DATABASE_URL": database_url,
    }
    tipwire(env, "init")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [TIPWIRE, "serve", "--port", str(port), "--no-scheduler"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "tipwire serve did not answer"
            time.sleep(0.1)
        yield url, env
    finally:
        server.terminate()
        server.wait(20)
