"""Who may do what: users, API clients, roles, hashed secrets and bearer tokens."""

from tipwire.identity.principal import Principal
from tipwire.identity.roles import Role

__all__ = ["Principal", "Role"]
