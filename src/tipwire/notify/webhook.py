"""Webhooks: a JSON body POSTed with an HMAC-SHA256 signature of it in a header."""

from __future__ import annotations

import hashlib
import hmac

import httpx

from tipwire import __version__
from tipwire.notify.retry import Attempt

SIGNATURE_HEADER = "X-TipWire-Signature"
KIND_HEADER = "X-TipWire-Event"
DELIVERY_HEADER = "X-TipWire-Delivery"
MAX_ERROR = 300


def sign(secret: str, body: bytes) -> str:
    """The signature header value: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is this body's signature under ``secret`` (constant time)."""
    return hmac.compare_digest(sign(secret, body), signature.strip())


def post(
    client: httpx.Client, url: str, body: bytes, secret: str, kind: str, delivery_id: int
) -> Attempt:
    """POST one signed body; 2xx succeeds, 408/429/5xx and network errors may be retried."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"TipWire/{__version__}",
        SIGNATURE_HEADER: sign(secret, body),
        KIND_HEADER: kind,
        DELIVERY_HEADER: str(delivery_id),
    }
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return Attempt(ok=False, error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
    code = response.status_code
    if 200 <= code < 300:
        return Attempt(ok=True, status_code=code)
    retry = code in (408, 429) or code >= 500
    return Attempt(ok=False, status_code=code, error=f"HTTP {code}", retry=retry)
