"""Error bodies: every failure answers ``{"errors": [...]}`` with the field it concerns."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tipwire.api.deps import AuthError
from tipwire.api.responses import errors
from tipwire.errors import (
    BatchRejectedError,
    ConfigurationError,
    InvalidValueError,
    NotFoundError,
)
from tipwire.exchange.config import SettingsError

log = logging.getLogger(__name__)


def _field(location: tuple[object, ...]) -> str:
    """``("body", 0, "value")`` -> ``0.value``; the part of the request is implied."""
    parts = [str(part) for part in location]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"} and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


async def _validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        field = _field(tuple(error.get("loc", ())))
        message = str(error.get("msg", "is invalid"))
        if "input" in error and error.get("type") != "missing" and field != "body":
            shown = repr(error["input"])
            message = f"{message} (got {shown[:120]})"
        problems.append((field or None, message))
    return errors(422, *problems)


async def _invalid(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidValueError)
    return errors(422, (exc.field, str(exc)))


async def _settings(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SettingsError)
    return errors(422, *exc.problems)


async def _rejected(_request: Request, exc: Exception) -> Response:
    return errors(422, (None, str(exc)))


async def _not_found(_request: Request, exc: Exception) -> Response:
    return errors(404, (None, str(exc)))


async def _configuration(_request: Request, exc: Exception) -> Response:
    return errors(409, (None, str(exc)))


async def _data(_request: Request, exc: Exception) -> Response:
    # The database refused a value that got past validation (say, NUL in a setting).
    # Only the kind: the driver's message quotes the statement's parameters.
    log.info("database refused a value (%s)", type(getattr(exc, "orig", exc)).__name__)
    return errors(422, (None, "a value in the request cannot be stored (unsupported characters)"))


async def _auth(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AuthError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
    return errors(exc.status_code, (None, exc.message), **headers)


async def _http(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return errors(exc.status_code, (None, str(exc.detail)), **(exc.headers or {}))


def install(app: FastAPI) -> None:
    """Register the handlers that turn TipWire's errors into ``{"errors": ...}`` bodies."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(InvalidValueError, _invalid)
    app.add_exception_handler(SettingsError, _settings)
    app.add_exception_handler(BatchRejectedError, _rejected)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(ConfigurationError, _configuration)
    app.add_exception_handler(DataError, _data)
    app.add_exception_handler(AuthError, _auth)
    app.add_exception_handler(HTTPException, _http)
