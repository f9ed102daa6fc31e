"""A client of Shadowserver's Reports API: list the reports of a date window, download one.

Every API request is a JSON object holding the API key, POSTed to ``<api_url>/<method>``
with the hex HMAC-SHA256 of the exact body, keyed by the secret, in the ``HMAC2`` header.
A listed report is downloaded from ``<download_url>/<id>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from tipwire.errors import TipwireError

_REPORT_ID = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
_AUTH_STATUSES = (401, 403)


class ShadowserverError(TipwireError):
    """The Shadowserver Reports API failed or answered something unexpected."""


class ShadowserverAuthError(ShadowserverError):
    """The Reports API refused the API key or the signature made with the secret."""


@dataclass(frozen=True, slots=True)
class ReportListing:
    """One report the API lists: its id, type, date and file name."""

    id: str
    type: str
    date: str
    file: str


def sign(secret: str, body: bytes) -> str:
    """The ``HMAC2`` header of a request body: hex HMAC-SHA256 keyed by the secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class ReportsClient:
    """Lists and downloads reports on the caller's ``httpx.Client``."""

    def __init__(
        self, api_url: str, download_url: str, key: str, secret: str, http: httpx.Client
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.download_url = download_url.rstrip("/")
        self._key = key
        self._secret = secret
        self._http = http

    def call(self, method: str, request: dict[str, Any]) -> Any:
        """Call an API method with a signed request; return its decoded JSON answer."""
        body = json.dumps({**request, "apikey": self._key}).encode()
        try:
            response = self._http.post(
                f"{self.api_url}/{method}",
                content=body,
                headers={"HMAC2": sign(self._secret, body), "Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise ShadowserverError(f"Reports API {method}: {type(exc).__name__}: {exc}") from None
        if response.status_code in _AUTH_STATUSES:
            raise ShadowserverAuthError(
                f"Reports API {method}: HTTP {response.status_code}: the API key or secret "
                "was refused"
            )
        if response.status_code >= 400:
            raise ShadowserverError(f"Reports API {method}: HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise ShadowserverError(f"Reports API {method}: the answer is not JSON") from None
        if isinstance(answer, dict) and "error" in answer:
            raise ShadowserverError(f"Reports API {method}: {str(answer['error'])[:200]}")
        return answer

    def list_reports(self, first: date, last: date, types: Iterable[str]) -> list[ReportListing]:
        """The reports dated ``first`` to ``last`` (inclusive) of the given types, oldest first."""
        wanted = set(types)
        answer = self.call("reports/list", {"date": f"{first.isoformat()}:{last.isoformat()}"})
        if not isinstance(answer, list):
            raise ShadowserverError("Reports API reports/list: the answer is not a list")
        listings = [_listing(item, position) for position, item in enumerate(answer, 1)]
        chosen = [listing for listing in listings if listing.type in wanted]
        return sorted(chosen, key=lambda listing: (listing.date, listing.id))

    def download(self, listing: ReportListing, destination: Path) -> None:
        """Stream one report into ``destination``."""
        url = f"{self.download_url}/{listing.id}"
        try:
            with self._http.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise ShadowserverError(
                        f"download of report {listing.file}: HTTP {response.status_code}"
                    )
                with destination.open("wb") as out:
                    for block in response.iter_bytes():
                        out.write(block)
        except httpx.HTTPError as exc:
            raise ShadowserverError(
                f"download of report {listing.file}: {type(exc).__name__}: {exc}"
            ) from None


def _listing(item: object, position: int) -> ReportListing:
    """One listed report, checked: its id goes into a URL, so it must be a plain token."""
    if not isinstance(item, dict):
        raise ShadowserverError(f"Reports API reports/list: item {position} is not an object")
    report_id = str(item.get("id", ""))
    if not _REPORT_ID.match(report_id):
        raise ShadowserverError(
            f"Reports API reports/list: item {position} has id {report_id[:80]!r}, not a report id"
        )
    return ReportListing(
        id=report_id,
        type=str(item.get("type") or item.get("report") or ""),
        date=str(item.get("timestamp") or item.get("date") or "")[:10],
        file=str(item.get("file") or report_id),
    )
