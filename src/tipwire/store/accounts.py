"""Users and API clients: create, find, list, change role, disable, delete."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from tipwire.errors import InvalidValueError, NotFoundError
from tipwire.identity.hashing import hash_secret
from tipwire.identity.principal import Principal, PrincipalKind
from tipwire.identity.roles import Role
from tipwire.store.schema import ApiClientRow, UserRow, table

_users = table(UserRow)
_clients = table(ApiClientRow)
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-")


@dataclass(frozen=True, slots=True)
class Account:
    """A user or an API client as listed to admins: never its hash."""

    kind: PrincipalKind
    id: int
    name: str
    role: Role
    disabled: bool
    created_at: datetime
    client_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict form."""
        shown: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat(),
        }
        if self.client_id is not None:
            shown["client_id"] = self.client_id
        return shown

    @property
    def principal(self) -> Principal:
        """The principal this account acts as."""
        return Principal(self.kind, self.id, self.name, self.role)


def _check_name(field: str, name: str, longest: int) -> str:
    name = name.strip()
    if not name or len(name) > longest or not set(name) <= NAME_CHARS:
        raise InvalidValueError(
            field, name, f"must be 1 to {longest} letters, digits or . _ @ - characters"
        )
    return name


def _table(kind: PrincipalKind) -> Table:
    return _users if kind is PrincipalKind.USER else _clients


def _account(kind: PrincipalKind, row: Any) -> Account:
    client_id = row.client_id if kind is PrincipalKind.CLIENT else None
    return Account(kind, row.id, row.name, Role(row.role), row.disabled, row.created_at, client_id)


def create_user(connection: Connection, name: str, password: str, role: Role) -> Account:
    """Add a user; the password is kept only as its argon2id hash."""
    name = _check_name("name", name, 64)
    if len(password) < 8:
        raise InvalidValueError("password", "********", "must be at least 8 characters")
    now = datetime.now(UTC)
    values = {"name": name, "password_hash": hash_secret(password), "role": role.value}
    try:
        new_id = connection.execute(
            insert(_users).values(**values, disabled=False, created_at=now)
        ).inserted_primary_key
    except IntegrityError:
        raise InvalidValueError("name", name, "is already taken by another user") from None
    assert new_id is not None
    return Account(PrincipalKind.USER, int(new_id[0]), name, role, False, now)


def create_client(connection: Connection, name: str, role: Role) -> tuple[Account, str]:
    """Add an API client; returns it with its secret, which is shown this once only."""
    name = _check_name("name", name, 128)
    client_id = f"twc_{secrets.token_hex(12)}"
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    try:
        new_id = connection.execute(
            insert(_clients).values(
                client_id=client_id,
                name=name,
                secret_hash=hash_secret(secret),
                role=role.value,
                disabled=False,
                created_at=now,
            )
        ).inserted_primary_key
    except IntegrityError:
        raise InvalidValueError("name", name, "is already taken by another client") from None
    assert new_id is not None
    return Account(PrincipalKind.CLIENT, int(new_id[0]), name, role, False, now, client_id), secret


def user_credentials(connection: Connection, name: str) -> tuple[Account, str] | None:
    """A user and their password hash by name, for checking a login."""
    if not set(name.strip()) <= NAME_CHARS:
        return None  # no account has such a name (and PostgreSQL refuses a NUL in a query)
    row = connection.execute(select(_users).where(_users.c.name == name.strip())).first()
    return None if row is None else (_account(PrincipalKind.USER, row), row.password_hash)


def client_credentials(connection: Connection, client_id: str) -> tuple[Account, str] | None:
    """An API client and its secret hash by client id, for checking a token request."""
    if "\x00" in client_id:
        return None  # no client id holds one, and PostgreSQL refuses a NUL in a query
    row = connection.execute(select(_clients).where(_clients.c.client_id == client_id)).first()
    return None if row is None else (_account(PrincipalKind.CLIENT, row), row.secret_hash)


def get_account(connection: Connection, kind: PrincipalKind, account_id: int) -> Account:
    """One user or client by id, or NotFoundError."""
    source = _table(kind)
    row = connection.execute(select(source).where(source.c.id == account_id)).first()
    if row is None:
        raise NotFoundError(f"{kind.value} {account_id} does not exist")
    return _account(kind, row)


def list_accounts(connection: Connection, kind: PrincipalKind) -> list[Account]:
    """Every user, or every client, by name."""
    source = _table(kind)
    rows = connection.execute(select(source).order_by(source.c.name))
    return [_account(kind, row) for row in rows]


def update_account(
    connection: Connection,
    kind: PrincipalKind,
    account_id: int,
    *,
    role: Role | None = None,
    disabled: bool | None = None,
    password: str | None = None,
) -> Account:
    """Change a user's or client's role, switch or password; returns the account after."""
    values: dict[str, Any] = {}
    if role is not None:
        values["role"] = role.value
    if disabled is not None:
        values["disabled"] = disabled
    if password is not None:
        if kind is not PrincipalKind.USER or len(password) < 8:
            raise InvalidValueError("password", "********", "must be at least 8 characters")
        values["password_hash"] = hash_secret(password)
    source = _table(kind)
    if values:
        connection.execute(update(source).where(source.c.id == account_id).values(**values))
    return get_account(connection, kind, account_id)


def delete_account(connection: Connection, kind: PrincipalKind, account_id: int) -> Account:
    """Remove a user or client; returns what was removed."""
    account = get_account(connection, kind, account_id)
    source = _table(kind)
    connection.execute(delete(source).where(source.c.id == account_id))
    return account


def count_admins(connection: Connection) -> int:
    """How many enabled admin users exist (the last one cannot be removed or demoted)."""
    rows = connection.execute(
        select(_users.c.id).where(_users.c.role == Role.ADMIN.value, _users.c.disabled.is_(False))
    )
    return len(rows.all())
