"""Parameters several routers share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from tipwire.store.queries import MAX_PAGE

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size (hard cap 1000).")]
Offset = Annotated[int, Query(ge=0, le=2**62)]
ObjectId = Annotated[int, Path(ge=1, le=2**62)]
With = Annotated[
    str | None, Query(alias="with", max_length=100, description="Comma-separated embeds.")
]
