"""A fake MISP server on loopback: the REST calls PyMISP makes to connect and to push events.

It checks the ``Authorization`` header, keeps events in memory by id, and answers with the
status codes and JSON shapes MISP uses, so PyMISP parses them as it would a real server's.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pymisp

MISP_VERSION = "2.5.10"
AUTH_FAILED = (
    "Authentication failed. Please make sure you pass the API key of an API enabled user "
    "along in the Authorization header."
)

Answer = tuple[int, Any]


@dataclass
class FakeMisp:
    """The fake's state: the accepted key, the stored events, and every request it served."""

    key: str
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(method, path) of each request, in order, whether or not it was authorised."""
    url: str = ""
    broken: bool = False
    """Answer every event write with an internal error, as a MISP with a full disk does."""

    def calls(self, method: str, prefix: str) -> list[str]:
        """Paths of the requests with this method whose path starts with ``prefix``."""
        return [path for m, path in self.requests if m == method and path.startswith(prefix)]

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        """What MISP would answer to one request."""
        self.requests.append((method, path))
        if headers.get("authorization") != self.key:
            return 403, _failure(AUTH_FAILED, path)
        if method == "POST" and self.broken:
            return 500, _failure("An Internal Error Has Occurred.", path)
        routes: list[tuple[str, str, Callable[[str], Answer]]] = [
            ("GET", "/servers/getVersion", lambda _: (200, self._version())),
            ("GET", "/users/view/me", lambda _: (200, _me())),
            ("GET", r"/events/view/([\w-]+)", lambda found: self._view(found, path)),
            ("POST", "/events/add", lambda _: self._add(json.loads(body), path)),
            (
                "POST",
                r"/events/edit/([\w-]+)",
                lambda found: self._edit(found, json.loads(body), path),
            ),
        ]
        for route_method, pattern, handle in routes:
            if route_method == method and (match := re.fullmatch(pattern, path)):
                return handle(match[1] if match.groups() else "")
        return 404, _failure("Not Found", path)

    def _version(self) -> dict[str, Any]:
        return {
            "version": MISP_VERSION,
            "pymisp_recommended_version": pymisp.__version__,
            "perm_sync": False,
            "perm_sighting": False,
            "perm_galaxy_editor": False,
            "request_encoding": [],
            "filter_sightings": True,
        }

    def _find(self, id_or_uuid: str) -> dict[str, Any] | None:
        for stored in self.events.values():
            if id_or_uuid in (stored["id"], stored["uuid"]):
                return stored
        return None

    def _view(self, id_or_uuid: str, path: str) -> Answer:
        stored = self._find(id_or_uuid)
        if stored is None:
            return 404, _failure("Invalid event.", path)
        return 200, {"Event": stored}

    def _add(self, posted: dict[str, Any], path: str) -> Answer:
        event = posted.get("Event", posted)
        if not event.get("info"):
            return 403, _failure("Could not add Event", path, {"Event": {"info": ["required"]}})
        if event.get("uuid") and self._find(event["uuid"]) is not None:
            return 403, _failure("Event already exists", path, {"Event": "Event already exists"})
        stored = {**event, "id": str(len(self.events) + 1), "orgc_id": "1", "org_id": "1"}
        stored.setdefault("uuid", f"00000000-0000-4000-8000-{len(self.events) + 1:012d}")
        self.events[stored["id"]] = _numbered(stored)
        return 200, {"Event": self.events[stored["id"]]}

    def _edit(self, id_or_uuid: str, posted: dict[str, Any], path: str) -> Answer:
        stored = self._find(id_or_uuid)
        if stored is None:
            return 404, _failure("Invalid event", path)
        event = posted.get("Event", posted)
        if event.get("uuid", stored["uuid"]) != stored["uuid"]:
            return 403, _failure("Could not edit Event", path, {"Event": "uuid does not match"})
        self.events[stored["id"]] = _numbered({**event, "id": stored["id"], "uuid": stored["uuid"]})
        return 200, {"Event": self.events[stored["id"]]}


def _numbered(event: dict[str, Any]) -> dict[str, Any]:
    """The event with ids on its attributes, as MISP gives them once stored."""
    attributes = [
        {**attribute, "id": str(number), "event_id": event["id"]}
        for number, attribute in enumerate(event.get("Attribute", []), start=1)
    ]
    return {**event, "Attribute": attributes}


def _me() -> dict[str, Any]:
    """``users/view/me``: the key's user, role and settings."""
    return {
        "User": {"id": "1", "org_id": "1", "email": "sync@example.org", "role_id": "3"},
        "Role": {"id": "3", "name": "User", "perm_add": True, "perm_modify": True},
        "UserSetting": {},
        "Organisation": {"id": "1", "name": "Example"},
    }


def _failure(name: str, path: str, errors: object = None) -> dict[str, Any]:
    """MISP's error body: name and message alike, the URL, and field errors when it has them."""
    body: dict[str, Any] = {"name": name, "message": name, "url": path}
    if errors is not None:
        body["errors"] = errors
    return body


@contextmanager
def serve_misp(fake: FakeMisp) -> Iterator[FakeMisp]:
    """Serve the fake on a free loopback port in a thread; its ``url`` is set while it runs."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._reply("GET")

        def do_POST(self) -> None:
            self._reply("POST")

        def _reply(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, payload = fake.answer(method, self.path, headers, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
