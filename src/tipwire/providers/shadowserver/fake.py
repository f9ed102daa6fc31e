"""A fake of Shadowserver's Reports API, served over real HTTP on loopback (tests, demos).

It checks the key and the ``HMAC2`` signature of each request as the real API does, lists
the reports it holds by date window, and serves their files.
"""

from __future__ import annotations

import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tipwire.providers.shadowserver.client import ShadowserverError, sign

_STARTUP_DEADLINE = 30.0


@dataclass(frozen=True, slots=True)
class FakeReport:
    """A report the fake holds: its listing and its file."""

    id: str
    type: str
    date: str
    file: str
    content: bytes


@dataclass
class FakeReportsApi:
    """The fake's state: credentials, reports, and what clients asked for."""

    key: str
    secret: str
    reports: list[FakeReport] = field(default_factory=list)
    list_requests: list[dict[str, object]] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        """The ASGI application: ``POST /api2/reports/list`` and ``GET /dl/{id}``."""
        return Starlette(
            routes=[
                Route("/api2/reports/list", self._list, methods=["POST"]),
                Route("/dl/{report_id}", self._download, methods=["GET"]),
            ]
        )

    async def _list(self, request: Request) -> Response:
        body = await request.body()
        if not hmac.compare_digest(request.headers.get("HMAC2", ""), sign(self.secret, body)):
            return JSONResponse({"error": "invalid HMAC2 signature"}, status_code=401)
        asked = json.loads(body)
        if asked.get("apikey") != self.key:
            return JSONResponse({"error": "unknown apikey"}, status_code=401)
        self.list_requests.append(asked)
        first, _, last = str(asked.get("date", "")).partition(":")
        last = last or first
        listed = [
            {"id": r.id, "type": r.type, "report": "example", "timestamp": r.date, "file": r.file}
            for r in self.reports
            if first <= r.date <= last
        ]
        return JSONResponse(listed)

    async def _download(self, request: Request) -> Response:
        report_id = request.path_params["report_id"]
        self.downloads.append(report_id)
        for report in self.reports:
            if report.id == report_id:
                return Response(report.content, media_type="text/csv")
        return Response("not found", status_code=404)


@contextmanager
def serve_fake(api: FakeReportsApi) -> Iterator[str]:
    """Serve the fake on a free loopback port in a thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        api.app(),
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + _STARTUP_DEADLINE
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise ShadowserverError("the fake Reports API did not start")
            time.sleep(0.005)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
