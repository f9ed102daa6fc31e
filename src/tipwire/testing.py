"""A harness for plugin authors: run an integration without a database and see what it yields.

    result = run_integration(MyIntegration, {"api_url": url, "api_key": "k"}, transport=recorded({
        "/v1/items": {"items": [...]},
    }))
    assert [i.value for i in result.indicators] == [...]

``recorded`` answers from payloads in memory; ``serve`` answers the same routes over real
HTTP on loopback. Any other local server (such as ``tipwire ctac-sim``) works too.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from pydantic import SecretStr

from tipwire.exchange.base import Integration, RunContext
from tipwire.exchange.config import validate_settings
from tipwire.exchange.http import http_factory
from tipwire.exchange.secrets import Redactor
from tipwire.model import Event, Indicator, IngestBatch, Relation

__all__ = ["HarnessResult", "Reply", "recorded", "run_integration", "serve"]


@dataclass(frozen=True, slots=True)
class Reply:
    """A response with a chosen status, body and headers."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


class _Same:
    """The default origin: the cursor the run starts from, as in a run that continues nothing."""


SAME_AS_CURSOR = _Same()

Route = Any
"""A route's answer: JSON-able data, str, bytes, a Reply, or a callable of (method, path,
params) returning one of those."""


@dataclass(slots=True)
class HarnessResult:
    """What an integration would ingest, and what it reported on the way."""

    batches: list[IngestBatch] = field(default_factory=list)
    cursor: str | None = None
    fetched: int = 0
    matched: int = 0
    malformed: int = 0
    samples: list[tuple[str, str]] = field(default_factory=list)
    """(reason, sample) of malformed records, the first few of each batch."""
    error: Exception | None = None

    @property
    def events(self) -> list[Event]:
        """Every event of every batch."""
        return [event for batch in self.batches for event in batch.events]

    @property
    def indicators(self) -> list[Indicator]:
        """Every indicator of every batch."""
        return [indicator for batch in self.batches for indicator in batch.indicators]

    @property
    def relations(self) -> list[Relation]:
        """Every relation of every batch."""
        return [relation for batch in self.batches for relation in batch.relations]


def run_integration(
    integration: type[Integration[Any]],
    settings: Mapping[str, Any],
    *,
    cursor: str | None = None,
    origin_cursor: str | _Same | None = SAME_AS_CURSOR,
    transport: httpx.BaseTransport | None = None,
    raise_errors: bool = True,
    max_batches: int | None = None,
) -> HarnessResult:
    """Validate ``settings`` as the CLI would, run the plugin, and collect its batches.

    ``origin_cursor`` differs from ``cursor`` only to act out a run that continues an
    unfinished one (its events keep the earlier origin). ``transport`` replaces the network
    (see ``recorded``); without it the plugin makes real requests. With
    ``raise_errors=False`` an exception ends the run and lands in ``error``, after the
    batches yielded before it, as in a real run.
    """
    config = validate_settings(integration.name, integration.Config, settings)
    secrets = [v.get_secret_value() for v in vars(config).values() if isinstance(v, SecretStr)]
    redact = Redactor(secrets)
    context = RunContext(
        integration.name,
        cursor=cursor,
        origin_cursor=cursor if isinstance(origin_cursor, _Same) else origin_cursor,
        http=http_factory(integration, transport),
        log=logging.getLogger(f"tipwire.integrations.{integration.name}"),
        redact=redact,
    )
    result = HarnessResult(cursor=cursor)
    try:
        for batch in integration().run(config, context):
            batch.validate()  # what ingest would refuse, refused here
            result.batches.append(batch)
            result.cursor = batch.cursor if batch.cursor is not None else result.cursor
            _add_tally(result, context)
            if max_batches is not None and len(result.batches) >= max_batches:
                break
    except Exception as exc:
        if raise_errors:
            raise
        result.error = exc
    _add_tally(result, context)
    return result


def _add_tally(result: HarnessResult, context: RunContext) -> None:
    tally = context.take_tally()
    result.fetched += tally.fetched
    result.matched += tally.matched
    result.malformed += tally.malformed
    result.samples += tally.samples


def recorded(routes: Mapping[str, Route]) -> httpx.MockTransport:
    """A transport that answers from recorded payloads, keyed ``"/path"`` or ``"/path?k=v"``.

    A key with a query matches requests carrying those parameters (and maybe more); the most
    specific key wins. Unmatched requests get 404.
    """

    def handle(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params.multi_items())
        status, body, headers = _answer(routes, request.method, request.url.path, params)
        return httpx.Response(status, content=body, headers=headers)

    return httpx.MockTransport(handle)


@contextmanager
def serve(routes: Mapping[str, Route]) -> Iterator[str]:
    """Serve ``routes`` over HTTP on 127.0.0.1 while the block runs; yield the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            status, body, headers = _answer(routes, "GET", parts.path, dict(parse_qsl(parts.query)))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _answer(
    routes: Mapping[str, Route], method: str, path: str, params: dict[str, str]
) -> tuple[int, bytes, dict[str, str]]:
    """Pick the most specific matching route and render its answer."""
    best: tuple[int, Route] | None = None
    for key, route in routes.items():
        route_path, _, query = key.partition("?")
        wanted = dict(parse_qsl(query))
        fits = route_path == path and wanted.items() <= params.items()
        if fits and (best is None or len(wanted) > best[0]):
            best = (len(wanted), route)
    if best is None:
        message = {"error": f"no recorded response for {method} {path} {params}"}
        return 404, json.dumps(message).encode(), {"Content-Type": "application/json"}
    answer = best[1]
    if callable(answer) and not isinstance(answer, Reply):
        answer = answer(method, path, params)
    reply = answer if isinstance(answer, Reply) else Reply(body=answer)
    return reply.status, *_body(reply)


def _body(reply: Reply) -> tuple[bytes, dict[str, str]]:
    headers = dict(reply.headers)
    if isinstance(reply.body, bytes):
        return reply.body, headers
    if isinstance(reply.body, str):
        return reply.body.encode(), {"Content-Type": "text/plain"} | headers
    return json.dumps(reply.body).encode(), {"Content-Type": "application/json"} | headers
