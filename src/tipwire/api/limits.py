"""Guards in front of the application: body size, and NUL characters in the query string."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tipwire.api.responses import errors


class BodyLimit:
    """ASGI middleware: 413 for bodies over ``max_bytes``, whether declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length; read a body of unknown length up to the limit first."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # Chunked: buffer it (at most the limit) so the application never sees a cut body.
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"the request body is larger than the limit of {self.max_bytes} bytes"
        await errors(413, ("body", message))(scope, receive, send)


class NoNulInQuery:
    """ASGI middleware: 422 for a query parameter holding a NUL character.

    No text TipWire keeps may hold one (PostgreSQL cannot store it), so it is refused here,
    naming the parameter, rather than failing deep in a query. Only machine routes (``/api``,
    ``/taxii2``) answer so; the web pages refuse it with a page of their own.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on unless a parameter name or value holds NUL."""
        machine = scope["type"] == "http" and scope["path"].startswith(("/api/", "/taxii2"))
        raw: bytes = scope.get("query_string", b"") if machine else b""
        if b"%00" in raw or b"\x00" in raw:
            for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
                if "\x00" in name or "\x00" in value:
                    message = f"{name.replace(chr(0), '?')}: must not contain NUL characters"
                    await errors(422, (name.replace("\x00", "?"), message))(scope, receive, send)
                    return
        await self.app(scope, receive, send)
