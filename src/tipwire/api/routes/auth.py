"""Tokens: the password, client_credentials and refresh_token grants, and revocation."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from tipwire.api.deps import Context, Viewer
from tipwire.api.responses import Json, errors, item
from tipwire.identity.hashing import verify_secret
from tipwire.store import accounts, tokens
from tipwire.store.accounts import Account
from tipwire.store.tokens import TokenKind

router = APIRouter(tags=["auth"])


class TokenAnswer(BaseModel):
    """An OAuth 2 token response."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    refresh_token: str | None = None
    role: str


def _basic(request: Request) -> tuple[str, str] | None:
    """Client id and secret from an HTTP Basic header, if there is one."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


def _refused(message: str, field: str, error: str = "invalid_grant") -> Json:
    """A 400 that OAuth clients read (``error``) and people read (``errors``)."""
    problems = [{"field": field, "message": message}]
    return Json({"error": error, "errors": problems}, status_code=400)


def _answer(issued: tokens.IssuedTokens, role: str) -> Json:
    answer = TokenAnswer(
        access_token=issued.access_token,
        token_type="Bearer",  # noqa: S106 (the OAuth token type, not a secret)
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
        role=role,
    )
    return Json(answer.model_dump(exclude_none=True), headers={"Cache-Control": "no-store"})


@router.post(
    "/token",
    response_model=TokenAnswer,
    responses={400: {"description": "Bad grant"}, 401: {}, 429: {"description": "Throttled"}},
)
def token(
    shared: Context,
    request: Request,
    grant_type: Annotated[Literal["password", "client_credentials", "refresh_token"], Form()],
    username: Annotated[str | None, Form(max_length=128)] = None,
    password: Annotated[str | None, Form(max_length=1024)] = None,
    refresh_token: Annotated[str | None, Form(max_length=256)] = None,
    client_id: Annotated[str | None, Form(max_length=128)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
) -> Json:
    """Issue a bearer token (30 minutes) for a user, a client or a refresh token."""
    address = request.client.host if request.client else "unknown"
    if grant_type == "refresh_token":
        return _refresh(shared, refresh_token)
    if grant_type == "client_credentials":
        basic = _basic(request)
        client_id, client_secret = basic if basic else (client_id, client_secret)
        name, secret, field = client_id, client_secret, "client_secret"
    else:
        name, secret, field = username, password, "password"
    if not name or not secret:
        missing = "client_id and client_secret" if field == "client_secret" else "username"
        return _refused(f"{grant_type} needs {missing} and its secret", field, "invalid_request")
    keys = (f"name:{name}", f"address:{address}")
    wait = shared.throttle.retry_after(*keys)
    if wait > 0:
        return errors(
            429,
            (field, "too many failed attempts; try again later"),
            **{"Retry-After": str(int(wait) + 1)},
        )
    with shared.store.read() as connection:
        found = (
            accounts.client_credentials(connection, name)
            if field == "client_secret"
            else accounts.user_credentials(connection, name)
        )
    account, stored_hash = found if found else (None, None)
    if not verify_secret(stored_hash, secret) or account is None or account.disabled:
        shared.throttle.failed(*keys)
        what = "client id or secret" if field == "client_secret" else "user name or password"
        return _refused(f"wrong {what}", field)
    shared.throttle.succeeded(f"name:{name}")
    return _issue(shared, account, with_refresh=field == "password")


def _issue(shared: Context, account: Account, *, with_refresh: bool) -> Json:
    refresh = shared.refresh_lifetime if with_refresh else None
    with shared.store.write() as connection:
        issued = tokens.issue(connection, account.principal, shared.access_lifetime, refresh)
    return _answer(issued, account.role.value)


def _refresh(shared: Context, refresh_token: str | None) -> Json:
    if not refresh_token:
        return _refused("refresh_token grant needs a refresh_token", "refresh_token")
    with shared.store.write() as connection:
        found = tokens.resolve(connection, refresh_token, TokenKind.REFRESH)
        if found is None:
            return _refused("the refresh token is unknown, expired or revoked", "refresh_token")
        token_id, principal = found
        # Rotation: a refresh token works once; its access tokens die with it.
        tokens.revoke_id(connection, token_id)
        issued = tokens.issue(
            connection, principal, shared.access_lifetime, shared.refresh_lifetime
        )
    return _answer(issued, principal.role.value)


class Revocation(BaseModel, extra="forbid"):
    """A token to revoke."""

    token: str


@router.post("/token/revoke", status_code=200)
def revoke(shared: Context, principal: Viewer, body: Revocation) -> Json:
    """Revoke one of the caller's own tokens (a refresh token takes its access tokens)."""
    with shared.store.write() as connection:
        found = tokens.resolve(connection, body.token, TokenKind.ACCESS) or tokens.resolve(
            connection, body.token, TokenKind.REFRESH
        )
        if found is None or found[1] != principal:
            return errors(404, ("token", "no live token of yours matches"))
        tokens.revoke_id(connection, found[0])
    return item({"revoked": True})


@router.get("/me")
def me(principal: Viewer) -> Json:
    """Who the token belongs to and its role."""
    return item(
        {"kind": principal.kind.value, "name": principal.name, "role": principal.role.value}
    )
