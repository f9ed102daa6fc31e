"""The audit log, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tipwire.api.deps import Admin, Context
from tipwire.api.responses import Json, listing
from tipwire.api.routes.common import Limit, Offset
from tipwire.store import audit

router = APIRouter(tags=["audit"])


@router.get("/audit")
def audit_log(
    shared: Context,
    _principal: Admin,
    actor: Annotated[str | None, Query(max_length=160)] = None,
    object_type: Annotated[str | None, Query(max_length=32)] = None,
    object_id: Annotated[str | None, Query(max_length=255)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Json:
    """Every change, newest first: who, what, before and after, when."""
    with shared.store.read() as connection:
        page = audit.list_entries(
            connection,
            actor=actor,
            object_type=object_type,
            object_id=object_id,
            limit=limit,
            offset=offset,
        )
    return listing([e.as_dict() for e in page.items], page.total)
