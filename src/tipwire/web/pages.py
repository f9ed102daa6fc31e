"""What every page shares: the signed-in user, role and CSRF checks, rendering and errors."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tipwire.api.deps import Context
from tipwire.errors import ConfigurationError, NotFoundError
from tipwire.identity import Role
from tipwire.web import sessions
from tipwire.web.sessions import Session
from tipwire.web.templating import environment

# No script runs on these pages, and nothing loads from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

# Notices a redirect may ask for by key: the page never echoes text from the URL.
NOTICES = {
    "saved": "Settings saved.",
    "enabled": "Integration enabled.",
    "disabled": "Integration disabled.",
    "started": "Run started: it appears in the activity log below.",
    "status": "Indicator updated.",
    "rule-added": "Whitelist rule added.",
    "rule-removed": "Whitelist rule removed.",
    "signed-out": "You are signed out.",
}


class LoginRequiredError(Exception):
    """The page needs a signed-in user."""


class RefusedError(Exception):
    """The request is refused with a status and a message shown on an error page."""

    def __init__(self, status_code: int, message: str) -> None:
        self.status_code = status_code
        self.message = message
        super().__init__(message)


def render(request: Request, template: str, *, status_code: int = 200, **values: Any) -> Response:
    """A page from ``template``, with the user, the CSRF token and any notice filled in."""
    session: Session | None = getattr(request.state, "session", None)
    role = session.principal.role if session else None
    html = (
        environment()
        .get_template(template)
        .render(
            user=session.principal if session else None,
            csrf=session.csrf if session else "",
            may_curate=role is not None and role.allows(Role.ANALYST),
            may_configure=role is not None and role.allows(Role.ADMIN),
            notice=NOTICES.get(request.query_params.get("notice", "")),
            path=request.url.path,
            **values,
        )
    )
    return HTMLResponse(html, status_code=status_code)


def redirect(url: str, notice: str | None = None) -> RedirectResponse:
    """See-other to ``url``, optionally with a notice key."""
    if notice is not None:
        assert notice in NOTICES
        url += ("&" if "?" in url else "?") + f"notice={notice}"
    return RedirectResponse(url, status_code=303)


def _failure(request: Request, exc: Exception) -> Response:
    """The page for a refused or failed request."""
    if isinstance(exc, LoginRequiredError):
        wanted = request.url.path if request.method == "GET" else "/"
        if request.method == "GET" and request.url.query:
            wanted += "?" + request.url.query
        return RedirectResponse(f"/login?next={quote(wanted, safe='')}", status_code=303)
    if isinstance(exc, RefusedError):
        status, message = exc.status_code, exc.message
    elif isinstance(exc, NotFoundError):
        status, message = 404, str(exc)
    elif isinstance(exc, RequestValidationError):
        status, message = 404, "There is no such page."
    else:
        assert isinstance(exc, ConfigurationError)
        status, message = 409, str(exc)
    return render(request, "error.html", status_code=status, status=status, message=message)


class PageRoute(APIRoute):
    """A route answering HTML: errors become pages, and every answer gets the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, wrapped."""
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                _refuse_nul(request.query_params.multi_items())
                response = await handler(request)
            except (
                LoginRequiredError,
                RefusedError,
                NotFoundError,
                RequestValidationError,
                ConfigurationError,
            ) as exc:
                response = _failure(request, exc)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return page


def _refuse_nul(items: list[tuple[str, Any]]) -> None:
    """Refuse text with a NUL character: no field takes one, and PostgreSQL cannot store it."""
    for key, value in items:
        if isinstance(value, str) and "\x00" in value:
            raise RefusedError(400, f"{key[:64]!r} contains a NUL character, which no field takes.")


def signed_in(request: Request, shared: Context) -> Session:
    """The request's session, or a redirect to the login page."""
    session = sessions.current(request, shared)
    if session is None:
        raise LoginRequiredError
    return session


def _check_role(session: Session, role: Role) -> None:
    if not session.principal.role.allows(role):
        raise RefusedError(
            403, f"This needs the {role.value} role; you are signed in as {session.principal.role}."
        )


async def form_fields(request: Request) -> dict[str, str]:
    """The submitted form's text fields (the last value of a repeated name)."""
    form = await request.form()
    _refuse_nul(form.multi_items())
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


Fields = Annotated[dict[str, str], Depends(form_fields)]


def reading(role: Role) -> Callable[[Session], Session]:
    """A dependency for pages: signed in with at least ``role``."""

    def check(session: Annotated[Session, Depends(signed_in)]) -> Session:
        _check_role(session, role)
        return session

    return check


def acting(role: Role) -> Callable[[Session, dict[str, str]], Session]:
    """A dependency for form posts: signed in, the session's CSRF token, at least ``role``."""

    def check(session: Annotated[Session, Depends(signed_in)], fields: Fields) -> Session:
        if not sessions.same_token(session.csrf, fields.get("csrf_token")):
            raise RefusedError(403, "The form's CSRF token is missing or wrong: reload the page.")
        _check_role(session, role)
        return session

    return check


Viewing = Annotated[Session, Depends(reading(Role.VIEWER))]
AnalystAction = Annotated[Session, Depends(acting(Role.ANALYST))]
AdminAction = Annotated[Session, Depends(acting(Role.ADMIN))]
ViewerAction = Annotated[Session, Depends(acting(Role.VIEWER))]
