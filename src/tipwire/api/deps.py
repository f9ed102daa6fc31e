"""Request dependencies: the shared context, the caller and the role a route needs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tipwire.api.context import AppContext
from tipwire.identity import Principal, Role
from tipwire.store import tokens
from tipwire.store.tokens import TokenKind

_bearer = HTTPBearer(auto_error=False, description="An access token from POST /api/token.")


class AuthError(Exception):
    """The request carries no valid token (401) or its role is too weak (403)."""

    def __init__(self, status_code: int, message: str) -> None:
        self.status_code = status_code
        self.message = message
        super().__init__(message)


async def context(request: Request) -> AppContext:
    """The server's shared context (async: no thread hop for a dictionary read)."""
    shared: AppContext = request.app.state.context
    return shared


Context = Annotated[AppContext, Depends(context)]


async def caller(
    shared: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The principal behind the request's bearer token, or 401.

    Async on purpose: the check is one indexed look-up (a tenth of a millisecond), cheaper run
    in place than handed to a worker thread and back, which every request would pay.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError(401, "this route needs a bearer token (POST /api/token to get one)")
    with shared.store.read() as connection:
        found = tokens.resolve(connection, credentials.credentials, TokenKind.ACCESS)
    if found is None:
        raise AuthError(401, "the bearer token is unknown, expired or revoked")
    return found[1]


def require(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through callers whose role is at least ``role``."""

    async def check(principal: Annotated[Principal, Depends(caller)]) -> Principal:
        if not principal.role.allows(role):
            raise AuthError(403, f"this needs the {role.value} role; yours is {principal.role}")
        return principal

    return check


Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Analyst = Annotated[Principal, Depends(require(Role.ANALYST))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
