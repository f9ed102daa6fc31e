"""TAXII media types, timestamps, error bodies and the responses that carry them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tipwire.api.responses import Json
from tipwire.model import utc

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
# What an Accept header may ask for and still get TAXII JSON back.
_ACCEPTABLE = ("application/taxii+json", "*/*", "application/*")


class TaxiiError(Exception):
    """A request the server answers with a TAXII error message."""

    def __init__(
        self, http_status: int, title: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        self.http_status = http_status
        self.title = title
        self.description = description
        self.headers = headers or {}
        super().__init__(f"{http_status} {title}: {description}")


class TaxiiJson(Json):
    """A TAXII 2.1 resource: JSON with the TAXII media type."""

    media_type = TAXII_MEDIA_TYPE


def error_body(error: TaxiiError) -> TaxiiJson:
    """The TAXII error message for ``error``."""
    body: dict[str, Any] = {
        "title": error.title,
        "description": error.description,
        "http_status": str(error.http_status),
    }
    return TaxiiJson(body, status_code=error.http_status, headers=error.headers or None)


def accepts_taxii(accept: str | None) -> bool:
    """Whether an Accept header lets the server answer TAXII 2.1 JSON."""
    if not accept:
        return True
    for offered in accept.split(","):
        kind, *parameters = (part.strip().lower() for part in offered.split(";"))
        versions = [p.partition("=")[2] for p in parameters if p.startswith("version=")]
        if kind in _ACCEPTABLE and all(v == "2.1" for v in versions):
            return True
    return False


def timestamp(moment: datetime) -> str:
    """A TAXII timestamp: UTC, microseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(field: str, text: str) -> datetime:
    """A timestamp from a query parameter, or a 400 naming the parameter and the value."""
    try:
        return utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise TaxiiError(
            400,
            "Bad filter",
            f"{field}: {text[:64]!r} is not a timestamp (use 2024-05-01T12:00:00.000000Z)",
        ) from None
