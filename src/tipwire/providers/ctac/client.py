"""The CTAC API client: streams typed records page by page, retrying what is transient."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Generic, TypeVar

import httpx

from tipwire import __version__
from tipwire.errors import ConfigurationError
from tipwire.providers.ctac.codec import Decoded, Feed, MalformedRecord, Selection
from tipwire.providers.ctac.errors import (
    CtacAuthError,
    CtacProtocolError,
    CtacRequestError,
    CtacTlsError,
)
from tipwire.providers.ctac.ndjson import CheckpointSplitter
from tipwire.providers.ctac.records import Cursor
from tipwire.providers.ctac.retry import Backoff, RetryPolicy, TransientError, parse_retry_after

R = TypeVar("R")

API_KEY_HEADER: Final = "X-Api-Key"
API_PREFIX: Final = "/api/v1"
DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=10.0)
DEFAULT_PER_PAGE: Final = 1000
DEFAULT_CHECKPOINT_EVERY: Final = 5000
_MAX_ERROR_BODY: Final = 200


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    """One step of a pull: its records, the ones that did not fit, and the cursor after it."""

    records: list[R]
    malformed: list[MalformedRecord]
    cursor: Cursor
    skipped: int = 0
    """Records the caller's selection left out (read for their key alone)."""


@dataclass(slots=True)
class PullStats:
    """Running counts of one client's work, for an integration's activity log."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    records: int = 0
    malformed: int = 0


class CtacClient:
    """Pulls CTAC sinkhole and keylogger records newer than a cursor, as typed records."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        http: httpx.Client | None = None,
        http_factory: Callable[[], httpx.Client] | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        verify: bool | ssl.SSLContext = True,
        retry: RetryPolicy | None = None,
        per_page: int = DEFAULT_PER_PAGE,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base = _parse_base_url(base_url)
        if not api_key:
            raise ConfigurationError("the CTAC API key is empty")
        if http is not None and http_factory is not None:
            raise ConfigurationError("pass either an httpx.Client or a factory, not both")
        if per_page < 1:
            raise ConfigurationError(f"per_page must be at least 1, not {per_page}")
        # The key travels in a header on every request, never in a URL that could be logged,
        # so an injected client needs no knowledge of it.
        self._headers = {API_KEY_HEADER: api_key, "User-Agent": f"TipWire/{__version__}"}
        self._owns_http = http is None
        if http is not None:
            self._http = http
        elif http_factory is not None:
            self._http = http_factory()
        else:
            self._http = httpx.Client(timeout=timeout, verify=verify)
        self._retry = retry or RetryPolicy()
        self._per_page = per_page
        self._sleep = sleep
        self.stats = PullStats()

    def __enter__(self) -> CtacClient:
        """Use the client in a ``with`` block that closes it."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the client on leaving the ``with`` block."""
        self.close()

    def close(self) -> None:
        """Close the HTTP client if this client created it."""
        if self._owns_http:
            self._http.close()

    def pages(
        self, feed: Feed[R], since: Cursor | None = None, *, per_page: int | None = None
    ) -> Iterator[Page[R]]:
        """Yield the pages of records newer than ``since`` from the paginated endpoint."""
        url = self._url(feed.name)
        first_params: dict[str, str | int] = {"per_page": per_page or self._per_page}
        if since:
            first_params["since"] = since
        params: dict[str, str | int] | None = first_params
        cursor = since
        while True:
            response = self._get(url, params)
            meta, decoded = feed.decode_page(response.content)
            page = self._page(decoded, meta.cursor)
            if page.records or page.malformed or page.cursor != cursor:
                cursor = page.cursor
                yield page
            if meta.next_page_url is None:
                return
            if not decoded.records and not decoded.malformed:
                raise CtacProtocolError(f"CTAC sent an empty page with a next page at {url}")
            url, params = self._same_origin(meta.next_page_url), None

    def export(
        self,
        feed: Feed[R],
        since: Cursor | None = None,
        *,
        checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
        select: Selection | None = None,
    ) -> Iterator[Page[R]]:
        """Yield records newer than ``since`` from the NDJSON export, one page per checkpoint.

        With ``select``, only the records it picks by the feed's key field are decoded and
        yielded; the others are counted in each page's ``skipped`` (Feed.decode_selected).
        """
        url = self._url(f"{feed.name}/export")
        backoff = self._backoff(url)
        cursor = since
        while True:
            try:
                for page in self._export_once(feed, url, cursor, checkpoint_every, select):
                    backoff.reset()
                    cursor = page.cursor
                    yield page
                return
            except TransientError as failure:
                # Resume from the last checkpoint: records after it were never yielded,
                # so nothing is lost and nothing is delivered twice.
                backoff.wait(failure)
                self.stats.retries += 1

    def _export_once(
        self,
        feed: Feed[R],
        url: str,
        since: Cursor | None,
        checkpoint_every: int,
        select: Selection | None,
    ) -> Iterator[Page[R]]:
        """Stream one export response; raise TransientError if it fails or is cut short."""
        params: dict[str, str | int] = {"checkpoint_every": checkpoint_every}
        if since:
            params["since"] = since
        cursor = since
        counted = 0
        self.stats.requests += 1
        try:
            with self._http.stream("GET", url, params=params, headers=self._headers) as response:
                self._raise_for_status(response, url, streamed=True)
                splitter = CheckpointSplitter()
                for chunk in response.iter_bytes():
                    for segment in splitter.feed(chunk):
                        decoded = (
                            feed.decode_lines(segment.lines)
                            if select is None
                            else feed.decode_selected(segment.lines, select)
                        )
                        counted += len(decoded.records) + len(decoded.malformed) + decoded.skipped
                        _check_count(segment.checkpoint.records, counted, url)
                        page = self._page(decoded, Cursor(segment.checkpoint.cursor))
                        if page.records or page.malformed or page.skipped or page.cursor != cursor:
                            cursor = page.cursor
                            yield page
                        if segment.checkpoint.end:
                            return
        except httpx.TransportError as exc:
            raise _transient(exc) from exc
        raise TransientError(f"the export from {url} ended before its end line")

    def _get(self, url: str, params: dict[str, str | int] | None) -> httpx.Response:
        """GET ``url``, retrying transient failures within the retry budget."""
        backoff = self._backoff(url)
        while True:
            self.stats.requests += 1
            try:
                response = self._http.get(url, params=params, headers=self._headers)
                self._raise_for_status(response, url, streamed=False)
            except httpx.TransportError as exc:
                backoff.wait(_transient(exc))
            except TransientError as failure:
                backoff.wait(failure)
            else:
                return response
            self.stats.retries += 1

    def _raise_for_status(self, response: httpx.Response, url: str, *, streamed: bool) -> None:
        """Raise a fatal CtacError or a TransientError unless the response is a success."""
        status = response.status_code
        if status < 300:
            return
        if streamed:
            response.read()
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            self.stats.throttled += 1
            raise TransientError(f"HTTP 429 Too Many Requests from {url}", retry_after)
        if status >= 500:
            raise TransientError(f"HTTP {status} from {url}", retry_after)
        if status in (401, 403):
            raise CtacAuthError(
                f"CTAC refused the API key (HTTP {status}) at {url}; check the configured key"
            )
        body = response.text[:_MAX_ERROR_BODY]
        raise CtacRequestError(f"CTAC rejected GET {url} (HTTP {status}): {body}", status)

    def _page(self, decoded: Decoded[R], cursor: Cursor) -> Page[R]:
        """Wrap decoded records as a page and count them."""
        self.stats.records += len(decoded.records) + decoded.skipped
        self.stats.malformed += len(decoded.malformed)
        return Page(decoded.records, decoded.malformed, cursor, decoded.skipped)

    def _backoff(self, url: str) -> Backoff:
        """Start the retry bookkeeping of one operation."""
        return Backoff(self._retry, f"GET {url}", sleep=self._sleep)

    def _url(self, path: str) -> str:
        """Return the absolute URL of an API path."""
        return str(self._base.copy_with(path=f"{self._base.path.rstrip('/')}{API_PREFIX}/{path}"))

    def _same_origin(self, next_page_url: str) -> str:
        """Resolve a next_page_url, refusing one that would carry the API key elsewhere."""
        target = self._base.join(next_page_url)
        base = self._base
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            raise CtacProtocolError(
                f"CTAC's next_page_url points to another origin ({target.scheme}://{target.host});"
                " refusing to send the API key there"
            )
        return str(target)


def _parse_base_url(base_url: str) -> httpx.URL:
    """Return the API's base URL, refusing one that is not an absolute http(s) URL."""
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"the CTAC URL {base_url!r} is not a URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(f"the CTAC URL {base_url!r} is not an absolute http(s) URL")
    return url.copy_with(query=None, fragment=None)


def _transient(exc: httpx.TransportError) -> TransientError:
    """Classify a transport failure: retryable, unless a certificate failed verification."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            raise CtacTlsError(
                f"TLS verification failed: {cause.verify_message or cause}; "
                "pass verify= an ssl.SSLContext that trusts the server's CA"
            ) from exc
        cause = cause.__cause__ or cause.__context__
    return TransientError(_describe(exc))


def _describe(exc: httpx.TransportError) -> str:
    """Name a transport failure in words an operator can act on."""
    detail = str(exc) or "no detail"
    try:
        request = exc.request
    except RuntimeError:  # httpx raises when the error was not tied to a request
        return f"{type(exc).__name__} ({detail})"
    return f"{type(exc).__name__} ({detail}) on {request.method} {request.url}"


def _check_count(announced: int, counted: int, url: str) -> None:
    """Refuse an export whose checkpoint counts more or fewer lines than were received."""
    if announced != counted:
        raise CtacProtocolError(
            f"the export from {url} announced {announced} record lines but {counted} arrived"
        )
