"""The authenticated caller of a request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tipwire.identity.roles import Role


class PrincipalKind(StrEnum):
    """A person signing in, or a program with client credentials."""

    USER = "user"
    CLIENT = "client"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, with the role that decides what they may do."""

    kind: PrincipalKind
    id: int
    name: str
    role: Role

    @property
    def actor(self) -> str:
        """How the audit log names this caller, e.g. ``user:alice``."""
        return f"{self.kind.value}:{self.name}"
