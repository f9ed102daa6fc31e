"""The collections: every Active indicator, and the Active indicators of each source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from tipwire.sharing.ids import stable_uuid
from tipwire.store import feeds
from tipwire.taxii.media import STIX_MEDIA_TYPE, TaxiiError

ACTIVE_TITLE = "Active indicators"


@dataclass(frozen=True, slots=True)
class Collection:
    """A TAXII collection: its stable id, what it holds, and the source it is limited to."""

    id: str
    title: str
    description: str
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The TAXII collection resource."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "can_read": True,
            "can_write": False,
            "media_types": [STIX_MEDIA_TYPE],
        }


def collection_id(source: str | None) -> str:
    """The collection id of a source's indicators (or of all of them): the same on every
    server and after every restart, so that subscribers can keep it in their settings."""
    return str(stable_uuid("taxii-collection", "active" if source is None else f"source:{source}"))


def all_collections(connection: Connection) -> list[Collection]:
    """The Active-indicators collection first, then one per source, by source name."""
    found = [
        Collection(
            collection_id(None),
            ACTIVE_TITLE,
            "Every Active indicator: what may be blocked or alerted on. Never a Whitelisted one.",
        )
    ]
    names = sorted(source.name for _, source in feeds.all_sources(connection))
    found.extend(
        Collection(
            collection_id(name),
            f"Active indicators from {name}",
            f"The Active indicators that {name} reported.",
            name,
        )
        for name in names
    )
    return found


def find_collection(connection: Connection, wanted: str) -> Collection:
    """The collection with this id, or a TAXII 404."""
    for collection in all_collections(connection):
        if collection.id == wanted:
            return collection
    raise TaxiiError(404, "Collection not found", f"there is no collection {wanted[:64]!r}")
