"""Browser sessions: an HttpOnly cookie holding a session token, and the CSRF token bound to it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request
from starlette.responses import Response

from tipwire.api.context import AppContext
from tipwire.identity import Principal
from tipwire.store import tokens
from tipwire.store.tokens import TokenKind

SESSION_COOKIE = "tipwire_session"
LOGIN_COOKIE = "tipwire_login"
"""A random nonce set with the login form, so that the login form has a CSRF token too."""
SESSION_LIFETIME = timedelta(hours=12)
LOGIN_LIFETIME = timedelta(hours=1)


def csrf_for(secret: str) -> str:
    """The CSRF token bound to a cookie's value: a one-way digest, so pages never carry it."""
    return hashlib.sha256(b"tipwire-csrf:" + secret.encode()).hexdigest()


def same_token(expected: str, submitted: str | None) -> bool:
    """Whether a submitted CSRF token is the expected one (in constant time)."""
    if not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


def csrf_matches(secret: str | None, submitted: str | None) -> bool:
    """Whether ``submitted`` is the CSRF token of the cookie value ``secret``."""
    return bool(secret) and same_token(csrf_for(secret or ""), submitted)


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: its token's id, who it is, and its CSRF token."""

    token_id: int
    principal: Principal
    csrf: str


def current(request: Request, shared: AppContext) -> Session | None:
    """The live session of the request's cookie, or None (looked up once per request)."""
    if hasattr(request.state, "session"):
        found: Session | None = request.state.session
        return found
    session = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with shared.store.read() as connection:
            resolved = tokens.resolve(connection, token, TokenKind.SESSION)
        if resolved is not None:
            session = Session(resolved[0], resolved[1], csrf_for(token))
    request.state.session = session
    return session


def start(shared: AppContext, principal: Principal) -> str:
    """Open a session for ``principal``; returns the token to put in the cookie."""
    with shared.store.write() as connection:
        return tokens.issue_session(connection, principal, SESSION_LIFETIME)


def end(shared: AppContext, session: Session) -> None:
    """Revoke a session, so its cookie no longer works even if it was copied."""
    with shared.store.write() as connection:
        tokens.revoke_id(connection, session.token_id)


def login_nonce(request: Request) -> str:
    """The login form's nonce from its cookie, or a new one."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)


def set_cookie(
    response: Response, request: Request, name: str, value: str, lifetime: timedelta
) -> None:
    """Set a cookie scripts cannot read, not sent on cross-site posts, Secure under https."""
    response.set_cookie(
        name,
        value,
        max_age=int(lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    """Remove a cookie (same flags, so browsers match it)."""
    response.delete_cookie(
        name, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
