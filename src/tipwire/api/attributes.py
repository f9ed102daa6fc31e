"""Removing an attribute of an indicator or event, audited with what was removed."""

from __future__ import annotations

from typing import Literal

from tipwire.api.context import AppContext
from tipwire.api.responses import Json, item
from tipwire.identity import Principal
from tipwire.store import audit, curation, queries


def remove(
    shared: AppContext,
    principal: Principal,
    owner: Literal["indicator", "event"],
    owner_id: int,
    attribute_id: int,
) -> Json:
    """Remove one attribute of ``owner`` ``owner_id``; 404 if it has no such attribute."""
    listed = queries.indicator_attributes if owner == "indicator" else queries.event_attributes
    with shared.store.write() as connection:
        before = [a.as_dict() for a in listed(connection, owner_id) if a.id == attribute_id]
        curation.remove_attribute(connection, owner, owner_id, attribute_id)
        audit.record(
            connection,
            principal.actor,
            f"{owner}.attribute.remove",
            owner,
            owner_id,
            before=before[0] if before else None,
        )
    return item({"id": attribute_id, "removed": True})
