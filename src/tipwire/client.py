"""TipwireClient: a small Python SDK for TipWire's REST API, for out-of-process connectors."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any

import httpx

PAGE = 1000
CONSUME_CHUNK = 10_000
# Renew a little before the server would refuse the token.
EARLY_SECONDS = 30.0


class TipwireApiError(Exception):
    """The API refused a request; ``errors`` holds its ``{"field", "message"}`` entries."""

    def __init__(self, status_code: int, errors: list[dict[str, Any]]) -> None:
        self.status_code = status_code
        self.errors = errors
        shown = "; ".join(
            f"{e.get('field')}: {e.get('message')}" if e.get("field") else str(e.get("message"))
            for e in errors
        )
        super().__init__(f"HTTP {status_code}: {shown}")


class TipwireClient:
    """Authenticates (user password or client credentials), renews tokens, pages, consumes."""

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not (client_id and client_secret) and not (username and password):
            raise ValueError("give client_id and client_secret, or username and password")
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/api", timeout=timeout, transport=transport
        )
        self._client = (client_id, client_secret) if client_id and client_secret else None
        self._user = (username, password) if username and password else None
        self._access: str | None = None
        self._refresh: str | None = None
        self._expires = 0.0

    def __enter__(self) -> TipwireClient:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _authenticate(self) -> None:
        if self._refresh is not None:
            answer = self._http.post(
                "/token", data={"grant_type": "refresh_token", "refresh_token": self._refresh}
            )
            if answer.status_code == 200:
                self._keep(answer.json())
                return
        if self._client is not None:
            answer = self._http.post(
                "/token", data={"grant_type": "client_credentials"}, auth=self._client
            )
        else:
            assert self._user is not None
            username, password = self._user
            answer = self._http.post(
                "/token",
                data={"grant_type": "password", "username": username, "password": password},
            )
        self._check(answer)
        self._keep(answer.json())

    def _keep(self, tokens: dict[str, Any]) -> None:
        self._access = tokens["access_token"]
        self._refresh = tokens.get("refresh_token")
        self._expires = time.monotonic() + float(tokens["expires_in"]) - EARLY_SECONDS

    @staticmethod
    def _check(answer: httpx.Response) -> None:
        if answer.status_code < 400:
            return
        try:
            errors = answer.json().get("errors") or [{"message": answer.text}]
        except ValueError:
            errors = [{"message": answer.text}]
        raise TipwireApiError(answer.status_code, errors)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the API with a live token (renewed when due or refused); return the JSON."""
        if self._access is None or time.monotonic() >= self._expires:
            self._authenticate()
        answer = self._http.request(
            method, path, headers={"Authorization": f"Bearer {self._access}"}, **kwargs
        )
        if answer.status_code == 401:
            self._access = None
            self._authenticate()
            answer = self._http.request(
                method, path, headers={"Authorization": f"Bearer {self._access}"}, **kwargs
            )
        self._check(answer)
        return answer.json()

    def get(self, path: str, **params: Any) -> Any:
        """GET ``path`` with query parameters."""
        return self.request("GET", path, params=_params(params))

    def pages(self, path: str, page_size: int = PAGE, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a list route, fetched a page at a time."""
        offset = 0
        while True:
            answer = self.get(path, limit=page_size, offset=offset, **params)
            yield from answer["data"]
            offset += len(answer["data"])
            if not answer["data"] or offset >= answer["total"]:
                return

    def indicators(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Indicators matching the filters (type, status, source, search, ...), all pages."""
        return self.pages("/indicators", **filters)

    def events(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Events matching the filters (type, source, since, ...), all pages."""
        return self.pages("/events", **filters)

    def find_indicator(self, value: str, type_: str | None = None) -> list[dict[str, Any]]:
        """Indicators whose normalised value is ``value``."""
        found: list[dict[str, Any]] = self.get(
            "/indicators", value=value, type=type_, **{"with": "attributes,sources,score"}
        )["data"]
        return found

    def consume_indicators(self, indicators: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create or see again indicators, in chunks; returns id, type and value of each."""
        return self._consume("/indicators/consume", indicators)

    def consume_events(self, events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create or update events with their indicators, in chunks; returns their ids."""
        return self._consume("/events/consume", events)

    def set_status(self, indicator_id: int, status: str) -> dict[str, Any]:
        """Set an indicator's status."""
        changed: dict[str, Any] = self.request(
            "PUT", f"/indicators/{indicator_id}", json={"status": status}
        )["data"]
        return changed

    def run_integration(self, name: str) -> dict[str, Any]:
        """Start a run of an installed integration now (admin)."""
        started: dict[str, Any] = self.request("POST", f"/integrations/{name}/run")["data"]
        return started

    def _consume(self, path: str, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        done: list[dict[str, Any]] = []
        chunk: list[dict[str, Any]] = []
        for entry in items:
            chunk.append(entry)
            if len(chunk) == CONSUME_CHUNK:
                done += self.request("POST", path, json=chunk)["data"]
                chunk = []
        if chunk:
            done += self.request("POST", path, json=chunk)["data"]
        return done


def _params(params: dict[str, Any]) -> dict[str, Any]:
    """Query parameters without the unset ones; lists joined by commas."""
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Sequence) and not isinstance(value, str):
            shown[key] = ",".join(value)
        elif value is not None:
            shown[key] = value
    return shown
