"""Deterministic identifiers, so that exporting the same objects again gives the same ids."""

from __future__ import annotations

import uuid

# TipWire's own namespace for name-based (version 5) UUIDs; never change it.
NAMESPACE = uuid.UUID("6a1d3f0e-5b7c-4c1e-9a63-7d0f2b9e4c11")


def stable_uuid(*parts: object) -> uuid.UUID:
    """A UUID made from the parts that identify an object."""
    return uuid.uuid5(NAMESPACE, "\x1f".join(str(part) for part in parts))


def stix_id(stix_type: str, *parts: object) -> str:
    """A STIX identifier ``type--uuid`` made from the parts that identify an object."""
    return f"{stix_type}--{stable_uuid(stix_type, *parts)}"
