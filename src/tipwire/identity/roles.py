"""Roles, from least to most trusted: each one may do everything the ones below it may."""

from __future__ import annotations

from enum import StrEnum

from tipwire.errors import InvalidValueError


class Role(StrEnum):
    """What a user or an API client may do."""

    VIEWER = "viewer"
    ANALYST = "analyst"
    ADMIN = "admin"

    @classmethod
    def parse(cls, name: str) -> Role:
        """The role called ``name`` (any case), or an error listing the roles."""
        for role in cls:
            if role.value == name.strip().lower():
                return role
        raise InvalidValueError("role", name, f"is not a role (use one of {', '.join(cls)})")

    @property
    def rank(self) -> int:
        """Position in the order viewer < analyst < admin."""
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what ``needed`` may."""
        return self.rank >= needed.rank
