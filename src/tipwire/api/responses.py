"""JSON responses rendered with orjson, and TipWire's envelopes."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class Json(JSONResponse):
    """A JSON response serialised by orjson (datetimes as ISO 8601)."""

    def render(self, content: Any) -> bytes:
        """Serialise ``content``."""
        return orjson.dumps(content, default=str)


def listing(items: list[dict[str, Any]], total: int, status_code: int = 200) -> Json:
    """A page of results: ``{"data": [...], "total": n}``."""
    return Json({"data": items, "total": total}, status_code=status_code)


def item(value: Any, status_code: int = 200) -> Json:
    """One object: ``{"data": {...}}``."""
    return Json({"data": value}, status_code=status_code)


def errors(status_code: int, *problems: tuple[str | None, str], **headers: str) -> Json:
    """An error body: ``{"errors": [{"field": ..., "message": ...}]}``."""
    body = [{"field": field, "message": message} for field, message in problems]
    return Json({"errors": body}, status_code=status_code, headers=headers or None)
