"""Signing in and out: the login form, its throttle, and the session cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tipwire.api.deps import Context
from tipwire.identity.hashing import verify_secret
from tipwire.store import accounts
from tipwire.web import sessions
from tipwire.web.pages import Fields, PageRoute, ViewerAction, redirect, render

router = APIRouter(route_class=PageRoute)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _form(
    request: Request,
    *,
    status_code: int = 200,
    error: str = "",
    name: str = "",
    wanted: str | None = None,
) -> Response:
    nonce = sessions.login_nonce(request)
    response = render(
        request,
        "login.html",
        status_code=status_code,
        login_csrf=sessions.csrf_for(nonce),
        error=error,
        name=name,
        next=safe_next(wanted if wanted is not None else request.query_params.get("next")),
    )
    sessions.set_cookie(response, request, sessions.LOGIN_COOKIE, nonce, sessions.LOGIN_LIFETIME)
    return response


@router.get("/login")
def login_page(request: Request, shared: Context) -> Response:
    """The sign-in form (or the dashboard, for someone already signed in)."""
    if sessions.current(request, shared) is not None:
        return redirect(safe_next(request.query_params.get("next")))
    return _form(request)


@router.post("/login")
def login(request: Request, shared: Context, fields: Fields) -> Response:
    """Check the name and password; on success open a session and go where the user was going."""
    wanted = fields.get("next")
    nonce = request.cookies.get(sessions.LOGIN_COOKIE)
    if not sessions.csrf_matches(nonce, fields.get("csrf_token")):
        message = "The sign-in form expired or came from elsewhere: please try again."
        return _form(request, status_code=403, error=message, wanted=wanted)
    name = fields.get("username", "").strip()[:128]
    password = fields.get("password", "")[:1024]
    if not name or not password:
        return _form(
            request, status_code=400, error="Enter your user name and password.", name=name
        )
    address = request.client.host if request.client else "unknown"
    keys = (f"name:{name}", f"address:{address}")
    if shared.throttle.retry_after(*keys) > 0:
        message = "Too many failed attempts: wait a few minutes, then try again."
        return _form(request, status_code=429, error=message, name=name, wanted=wanted)
    with shared.store.read() as connection:
        found = accounts.user_credentials(connection, name)
    account, stored_hash = found if found else (None, None)
    if not verify_secret(stored_hash, password) or account is None or account.disabled:
        shared.throttle.failed(*keys)
        return _form(
            request, status_code=401, error="Wrong user name or password.", name=name, wanted=wanted
        )
    shared.throttle.succeeded(f"name:{name}")
    token = sessions.start(shared, account.principal)
    response = redirect(safe_next(fields.get("next")))
    sessions.set_cookie(
        response, request, sessions.SESSION_COOKIE, token, sessions.SESSION_LIFETIME
    )
    sessions.clear_cookie(response, request, sessions.LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, shared: Context, session: ViewerAction) -> Response:
    """End the session: its token is revoked and the cookie removed."""
    sessions.end(shared, session)
    response = redirect("/login", "signed-out")
    sessions.clear_cookie(response, request, sessions.SESSION_COOKIE)
    return response
