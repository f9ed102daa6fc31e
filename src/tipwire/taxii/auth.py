"""Who is polling: a TipWire bearer token, or HTTP Basic with a user's or client's secret."""

from __future__ import annotations

import base64
import binascii

from fastapi import Request

from tipwire.api.context import AppContext
from tipwire.identity import Principal, Role
from tipwire.identity.hashing import verify_secret
from tipwire.store import accounts, tokens
from tipwire.store.tokens import TokenKind
from tipwire.taxii.media import TaxiiError

CHALLENGE = {"WWW-Authenticate": 'Basic realm="TipWire TAXII", Bearer'}
# taxii2-client's TokenAuth sends "Token <key>"; it is the same bearer token.
_TOKEN_SCHEMES = ("bearer", "token")


def _unauthorised(description: str) -> TaxiiError:
    return TaxiiError(401, "Unauthorized", description, CHALLENGE)


def _basic_pair(encoded: str) -> tuple[str, str]:
    """Name and secret of an HTTP Basic credential, or 401."""
    try:
        name, colon, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise _unauthorised("the Basic credentials are not base64 of name:secret") from None
    if not colon or not name or not secret:
        raise _unauthorised("the Basic credentials need a name and a secret")
    return name, secret


def _by_password(shared: AppContext, name: str, secret: str, address: str) -> Principal:
    """The account a user name and password, or client id and secret, belong to; or 401.

    Checked as ``POST /api/token`` checks them: argon2 every time (nothing cached), and the
    same throttle, so that Basic is no faster way to guess.
    """
    keys = (f"name:{name}", f"address:{address}")
    wait = shared.throttle.retry_after(*keys)
    if wait > 0:
        raise TaxiiError(
            429,
            "Too Many Requests",
            "too many failed attempts; try again later",
            {"Retry-After": str(int(wait) + 1)},
        )
    with shared.store.read() as connection:
        # Client ids start with "twc_", which user names cannot be mistaken for in practice.
        found = accounts.user_credentials(connection, name) or accounts.client_credentials(
            connection, name
        )
    account, stored_hash = found if found else (None, None)
    if not verify_secret(stored_hash, secret) or account is None or account.disabled:
        shared.throttle.failed(*keys)
        raise _unauthorised("wrong user name or password (or client id or secret)")
    shared.throttle.succeeded(f"name:{name}")
    return account.principal


def authenticate(shared: AppContext, request: Request) -> Principal:
    """The principal behind the request's credentials, with at least the viewer role."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    credential = credential.strip()
    if scheme.lower() in _TOKEN_SCHEMES and credential:
        with shared.store.read() as connection:
            found = tokens.resolve(connection, credential, TokenKind.ACCESS)
        if found is None:
            raise _unauthorised("the bearer token is unknown, expired or revoked")
        principal = found[1]
    elif scheme.lower() == "basic":
        address = request.client.host if request.client else "unknown"
        principal = _by_password(shared, *_basic_pair(credential), address)
    else:
        raise _unauthorised("send a TipWire bearer token, or Basic user:password")
    if not principal.role.allows(Role.VIEWER):
        raise TaxiiError(403, "Forbidden", f"this needs the viewer role; yours is {principal.role}")
    return principal
