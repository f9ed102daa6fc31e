"""`tipwire push misp` run as users run it, against a fake MISP server on loopback."""

from __future__ import annotations

import copy
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymisp import MISPEvent

from .conftest import INFECTED_HOST, Populated
from .fake_misp import FakeMisp, serve_misp

TIPWIRE = shutil.which("tipwire", path=str(Path(sys.executable).parent)) or "tipwire"
KEY = "k3y-0f-the-sync-user-Zq8aP1xT5mW2nR7vB4cL9dH6"


@pytest.fixture
def misp() -> Iterator[FakeMisp]:
    with serve_misp(FakeMisp(KEY)) as fake:
        yield fake


@pytest.fixture
def env(populated: Populated, database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a user whose TipWire store is ``populated``, with the MISP key set."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TIPWIRE_")}
    environment["TIPWIRE_DATA_DIR"] = str(tmp_path / "data")
    environment["TIPWIRE_DATABASE_URL"] = database_url
    environment["TIPWIRE_MISP_KEY"] = KEY
    return environment


def push(env: dict[str, str], event_id: int, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TIPWIRE, "push", "misp", str(event_id), "--url", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def pushed(misp: FakeMisp) -> MISPEvent:
    """The one event the fake holds, loaded as PyMISP loads a server's answer."""
    (stored,) = misp.events.values()
    event = MISPEvent()
    event.load({"Event": copy.deepcopy(stored)})  # loading consumes the dict
    return event


def test_push_adds_the_event_with_typed_attributes(
    env: dict[str, str], populated: Populated, misp: FakeMisp
) -> None:
    done = push(env, populated.c2_event, misp.url)
    assert done.returncode == 0, done.stderr
    assert len(misp.calls("POST", "/events/add")) == 1
    event = pushed(misp)
    assert done.stdout.strip() == f"event {populated.c2_event} is MISP event 1 ({event.uuid})"
    assert event.info == "Zeus C2 seen"
    kinds = {a.value: (a.type, a.category, a.to_ids) for a in event.attributes}
    assert kinds["203.0.113.66"] == ("ip-dst", "Network activity", True)
    assert kinds[INFECTED_HOST] == ("ip-src", "Network activity", False)
    assert kinds["bad.example.net"] == ("domain", "Network activity", True)
    assert kinds["phisher@bad.example.net"] == ("email-src", "Payload delivery", True)
    assert kinds["jdoe"] == ("target-user", "Targeting data", False)
    assert kinds["AS64500"] == ("AS", "Network activity", False)
    (url,) = [a for a in event.attributes if a.type == "url"]
    assert [tag.name for tag in url.tags] == ["malware:Zeus"]
    assert {"malware:Zeus", "tlp:green"} <= {tag.name for tag in event.tags}
    assert KEY not in done.stdout + done.stderr


def test_pushing_again_edits_the_same_event(
    env: dict[str, str], populated: Populated, misp: FakeMisp
) -> None:
    first = push(env, populated.c2_event, misp.url)
    assert first.returncode == 0, first.stderr
    uuid = pushed(misp).uuid
    again = push(env, populated.c2_event, misp.url)
    assert again.returncode == 0, again.stderr
    assert misp.calls("GET", "/events/view/") == [f"/events/view/{uuid}"] * 2
    assert len(misp.calls("POST", "/events/add")) == 1
    assert misp.calls("POST", "/events/edit/") == ["/events/edit/1"]
    assert pushed(misp).uuid == uuid
    assert again.stdout.strip() == f"event {populated.c2_event} is MISP event 1 ({uuid})"


def test_a_wrong_key_is_refused_without_showing_it(
    env: dict[str, str], populated: Populated, misp: FakeMisp
) -> None:
    wrong = "wr0ng-k3y-Xc7vB2nM9qL4kJ8hG3fD5sA1"
    done = push(env | {"TIPWIRE_MISP_KEY": wrong}, populated.c2_event, misp.url)
    assert done.returncode == 2
    assert f"error: MISP at {misp.url}: cannot log in" in done.stderr
    assert "Authentication failed" in done.stderr
    assert "Traceback" not in done.stderr
    assert wrong not in done.stdout + done.stderr
    assert misp.events == {}


def test_an_unreachable_server_is_a_clear_error(env: dict[str, str], populated: Populated) -> None:
    with socket.socket() as sock:  # a port nobody listens on once it is closed
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    done = push(env, populated.c2_event, url)
    assert done.returncode == 2
    assert f"error: MISP at {url}: cannot connect" in done.stderr
    assert "Connection refused" in done.stderr
    assert "Traceback" not in done.stderr
    assert KEY not in done.stdout + done.stderr


def test_a_server_failing_mid_push_is_a_clear_error(
    env: dict[str, str], populated: Populated, misp: FakeMisp
) -> None:
    misp.broken = True
    done = push(env, populated.c2_event, misp.url)
    assert done.returncode == 2
    assert f"error: MISP at {misp.url}: push failed" in done.stderr
    assert "Traceback" not in done.stderr
    assert misp.events == {}


def test_a_url_without_a_scheme_is_refused_before_connecting(
    env: dict[str, str], populated: Populated, misp: FakeMisp
) -> None:
    address = misp.url.removeprefix("http://")
    done = push(env, populated.c2_event, address)
    assert done.returncode == 2
    assert f"url: '{address}' is not an http:// or https:// URL" in done.stderr
    assert misp.requests == []
