"""Memory-hard hashing of passwords and client secrets (argon2id), and secret generation."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id with 64 MiB and 3 passes: RFC 9106's second recommended setting, about 50 ms here.
_hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=1)
# Verifying against this when a name is unknown keeps both answers equally slow. Made on
# first use, not at import: a hash costs 64 MiB and tens of milliseconds, which every
# command that merely imports this module (`tipwire run`) would otherwise pay.
_dummy: str | None = None


def set_cost(time_cost: int, memory_kib: int) -> None:
    """Change the cost of new hashes (old ones still verify): for tests and small machines."""
    global _hasher, _dummy  # noqa: PLW0603
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
    _dummy = None


def hash_secret(secret: str) -> str:
    """The argon2id hash of ``secret``, with its own random salt."""
    return _hasher.hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    """Whether ``secret`` matches ``stored_hash``; takes as long when there is no account."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), secret) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    """A hash of the current cost to verify against when there is no account."""
    global _dummy  # noqa: PLW0603
    if _dummy is None:
        _dummy = _hasher.hash("tipwire-no-such-account")
    return _dummy


def new_secret(size: int = 32) -> str:
    """A random URL-safe secret of ``size`` bytes of entropy."""
    return secrets.token_urlsafe(size)
