"""Fixed-size digests that make long natural keys indexable on every database."""

from __future__ import annotations

from hashlib import blake2b


def indicator_key(type_name: str, value: str) -> bytes:
    """Digest of an indicator's natural key (type, normalised value)."""
    return blake2b(f"{type_name}\x1f{value}".encode(), digest_size=16).digest()


def attribute_key(name: str, value: str) -> bytes:
    """Digest of an attribute's (name, value) pair."""
    return blake2b(f"{name}\x1f{value}".encode(), digest_size=16).digest()
