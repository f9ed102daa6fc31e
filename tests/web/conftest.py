"""Fixtures for the web UI: the app on a live loopback server, users of each role, sign-in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tipwire.api import create_app
from tipwire.config import Settings
from tipwire.exchange.registry import Registry
from tipwire.identity import Role, hashing
from tipwire.store import Store, accounts

from ..api.conftest import LiveServer

PASSWORDS = {role: f"{role.value}-web-pass-phrase" for role in Role}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

SignIn = Callable[[Role], httpx.Client]


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
    """The app (API and pages) serving a fresh store."""
    return create_app(settings, store, Registry.discover())


@pytest.fixture
def live(app: FastAPI) -> Iterator[LiveServer]:
    """The app on a real loopback port."""
    with LiveServer(app) as running:
        yield running


@pytest.fixture
def users(store: Store) -> dict[Role, str]:
    """One user of each role, by role: their names."""
    with store.write() as connection:
        for role in Role:
            accounts.create_user(connection, role.value, PASSWORDS[role], role)
    return {role: role.value for role in Role}


def csrf_of(client: httpx.Client, path: str) -> str:
    """The CSRF token in the forms of the page at ``path``."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found is not None, f"no form with a CSRF token on {path}"
    return found[1]


def sign_in(base_url: str, name: str, password: str) -> httpx.Client:
    """A client (cookie jar) signed in through the login form, as a browser does it."""
    client = httpx.Client(base_url=base_url, timeout=30)
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf_of(client, "/login"),
            "username": name,
            "password": password,
            "next": "/",
        },
    )
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture
def signed_in(live: LiveServer, users: dict[Role, str]) -> Iterator[SignIn]:
    """Sign a user of the given role in; the clients close after the test."""
    opened: list[httpx.Client] = []

    def open_as(role: Role) -> httpx.Client:
        opened.append(sign_in(live.url, users[role], PASSWORDS[role]))
        return opened[-1]

    yield open_as
    for client in opened:
        client.close()
