"""A runnable fake CTAC server: the documented API over deterministic synthetic data."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tipwire.errors import ConfigurationError
from tipwire.providers.ctac.faults import FaultInjector
from tipwire.providers.ctac.synth_keylogger import KeyloggerSynth
from tipwire.providers.ctac.synth_sinkhole import SinkholeSynth

FEEDS: Final = ("sinkhole", "keylogger")
DEFAULT_EPOCH: Final = datetime(2025, 1, 1, tzinfo=UTC)
DEFAULT_PER_PAGE: Final = 100
MAX_PER_PAGE: Final = 10_000
DEFAULT_CHECKPOINT_EVERY: Final = 1000
MAX_CHECKPOINT_EVERY: Final = 100_000


class _Synth(Protocol):
    def lines(self, first_id: int, stop_id: int) -> list[str]: ...


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything that shapes a simulator run; the same seed always yields the same records."""

    seed: int = 1
    api_key: str = "demo-key"
    backlog: int = 10_000  # records of each feed present at startup
    rate: float = 0.0  # new records of each feed per minute
    error_rate: float = 0.0  # share of requests answered 5xx
    throttle_rate: float = 0.0  # share of requests answered 429
    malformed_rate: float = 0.0  # share of records served malformed
    latency_ms: float = 0.0  # mean added latency per request (+-50%)
    retry_after: int = 1  # seconds a 429 asks the client to wait
    unredacted: bool = False  # serve fake plaintext passwords (SIMPW-...) instead of ********
    epoch: datetime = DEFAULT_EPOCH  # the time of record 0; record n is about n steps later
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Refuse settings no server could honour."""
        if not self.api_key:
            raise ConfigurationError("the simulator needs a non-empty API key")
        if self.backlog < 0 or self.rate < 0 or self.latency_ms < 0 or self.retry_after < 0:
            raise ConfigurationError("backlog, rate, latency_ms and retry_after must be >= 0")
        for name in ("error_rate", "throttle_rate", "malformed_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigurationError(f"{name} must be a fraction between 0 and 1")
        if self.epoch.tzinfo is None:
            raise ConfigurationError("the simulator's epoch must carry a time zone")


@dataclass
class SimulatorStats:
    """What the simulator did, so tests can check the client behaved."""

    requests: int = 0
    unauthorized: int = 0
    errors: int = 0
    throttled: int = 0
    early_retries: int = 0  # requests that came back before their Retry-After ran out
    records: int = 0


def encode_cursor(feed: str, last_id: int) -> str:
    """Return the opaque cursor that stands for "after record ``last_id`` of ``feed``"."""
    return base64.urlsafe_b64encode(f"{feed}:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(feed: str, cursor: str) -> int:
    """Return the record id a cursor stands for, refusing another feed's or a forged one."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        name, _, number = text.partition(":")
        last_id = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(f"{cursor!r} is not a cursor") from None
    if name != feed or last_id < 0:
        raise ValueError(f"{cursor!r} is not a {feed} cursor")
    return last_id


def _compact(value: object) -> str:
    """Return ``value`` as JSON without optional blanks, the way the API writes it."""
    return json.dumps(value, separators=(",", ":"))


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """Return an error response in the API's {"message": ...} shape."""
    return JSONResponse({"message": message}, status_code=status, headers=headers)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """Return an integer query parameter within bounds, or raise ValueError naming it."""
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}")
    return value


class Simulator:
    """The simulator's state (data, clock, faults, counters) and its ASGI app."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.stats = SimulatorStats()
        self._started = config.clock()
        self._synths: dict[str, _Synth] = {
            "sinkhole": SinkholeSynth(config.seed, config.epoch, config.malformed_rate),
            "keylogger": KeyloggerSynth(
                config.seed, config.epoch, config.malformed_rate, unredacted=config.unredacted
            ),
        }
        self._faults = FaultInjector(
            config.seed,
            error_rate=config.error_rate,
            throttle_rate=config.throttle_rate,
            latency_ms=config.latency_ms,
            retry_after=config.retry_after,
        )
        self.app = Starlette(
            routes=[
                Route("/", self._index),
                Route("/api/v1/{feed}", self._page),
                Route("/api/v1/{feed}/export", self._export),
            ]
        )
        self.app.state.simulator = self

    def visible(self) -> int:
        """Return how many records of each feed exist now: the backlog plus arrivals."""
        elapsed = max(0.0, self.config.clock() - self._started)
        return self.config.backlog + math.floor(self.config.rate * elapsed / 60.0)

    async def _index(self, request: Request) -> Response:
        """Describe the simulator; needs no key, so scripts can wait for it to come up."""
        return JSONResponse({"name": "CTAC simulator", "feeds": list(FEEDS), "api": "/api/v1"})

    async def _gate(self, request: Request) -> Response | None:
        """Apply latency, authentication and injected faults; None means serve the request."""
        self.stats.requests += 1
        plan = self._faults.plan()
        if plan.delay > 0:
            await asyncio.sleep(plan.delay)
        key = request.headers.get("x-api-key") or request.query_params.get("api_key") or ""
        if not hmac.compare_digest(key.encode(), self.config.api_key.encode()):
            self.stats.unauthorized += 1
            return _error(401, "invalid or missing API key (send it in the X-Api-Key header)")
        fault = self._faults.verdict(plan, self.config.clock())
        if fault is None:
            return None
        if fault.status == 429:
            self.stats.throttled += 1
            self.stats.early_retries += fault.early
            headers = {"Retry-After": str(fault.retry_after)}
            return _error(429, "too many requests; retry after the time given", headers)
        self.stats.errors += 1
        return _error(fault.status, "injected server error")

    def _synth(self, request: Request) -> tuple[str, _Synth] | None:
        """Return the feed a request names and its generator, or None for an unknown feed."""
        feed = str(request.path_params["feed"])
        synth = self._synths.get(feed)
        return None if synth is None else (feed, synth)

    async def _page(self, request: Request) -> Response:
        """Serve one Laravel-style page of records newer than ``since``."""
        named = self._synth(request)
        if named is None:
            return _error(404, "no such feed")
        if (refusal := await self._gate(request)) is not None:
            return refusal
        feed, synth = named
        try:
            since = decode_cursor(feed, request.query_params.get("since") or encode_cursor(feed, 0))
            page = _int_param(request, "page", 1, 1, 10**9)
            per_page = _int_param(request, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        except ValueError as exc:
            return _error(400, str(exc))
        visible = self.visible()
        total = max(0, visible - since)
        last_page = max(1, math.ceil(total / per_page))
        first = since + (page - 1) * per_page + 1
        lines = synth.lines(first, min(visible, first + per_page - 1) + 1)
        self.stats.records += len(lines)
        next_url = None
        if page < last_page:
            url = request.url.remove_query_params("api_key")
            next_url = str(url.include_query_params(page=page + 1, per_page=per_page))
        head = {
            "total": total,
            "per_page": per_page,
            "current_page": page,
            "last_page": last_page,
            "from": first if lines else None,
            "to": first + len(lines) - 1 if lines else None,
            "next_page_url": next_url,
            "cursor": encode_cursor(feed, first + len(lines) - 1 if lines else since),
        }
        # Records are rendered JSON already; splicing them in avoids decoding them again.
        body = _compact(head)[:-1] + ',"data":[' + ",".join(lines) + "]}"
        return Response(body.encode(), media_type="application/json")

    async def _export(self, request: Request) -> Response:
        """Stream every record newer than ``since`` as NDJSON, with checkpoint lines."""
        named = self._synth(request)
        if named is None:
            return _error(404, "no such feed")
        if (refusal := await self._gate(request)) is not None:
            return refusal
        feed, synth = named
        try:
            since = decode_cursor(feed, request.query_params.get("since") or encode_cursor(feed, 0))
            every = _int_param(
                request, "checkpoint_every", DEFAULT_CHECKPOINT_EVERY, 1, MAX_CHECKPOINT_EVERY
            )
        except ValueError as exc:
            return _error(400, str(exc))
        chunks = self._export_chunks(feed, synth, since, self.visible(), every)
        return StreamingResponse(chunks, media_type="application/x-ndjson")

    async def _export_chunks(
        self, feed: str, synth: _Synth, since: int, visible: int, every: int
    ) -> AsyncIterator[bytes]:
        """Yield records ``since + 1`` to ``visible`` in chunks, each closed by a checkpoint."""
        sent = 0
        for first in range(since + 1, visible + 1, every):
            lines = synth.lines(first, min(first + every, visible + 1))
            sent += len(lines)
            last = first + len(lines) - 1
            self.stats.records += len(lines)
            checkpoint: dict[str, str | int | bool] = {
                "cursor": encode_cursor(feed, last),
                "records": sent,
            }
            if last == visible:
                checkpoint["end"] = True
            yield ("\n".join(lines) + "\n" + _compact(checkpoint) + "\n").encode()
            # Sending to a client that hung up does not wait, so without this pause the
            # server would make the whole rest of the stream before it noticed.
            await asyncio.sleep(0)
        if sent == 0:
            end = {"cursor": encode_cursor(feed, since), "records": 0, "end": True}
            yield (_compact(end) + "\n").encode()


def build_app(config: SimulatorConfig | None = None) -> Starlette:
    """Return the simulator's ASGI app; its state is at ``app.state.simulator``."""
    return Simulator(config or SimulatorConfig()).app
