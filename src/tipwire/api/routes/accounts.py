"""Users and API clients, for admins; hashes and secrets are never shown back."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import Connection

from tipwire.api.deps import Admin, Context
from tipwire.api.responses import Json, item, listing
from tipwire.api.routes.common import ObjectId
from tipwire.api.schemas import AccountChange, AccountIn
from tipwire.errors import InvalidValueError
from tipwire.identity import Principal, Role
from tipwire.identity.hashing import new_secret
from tipwire.identity.principal import PrincipalKind
from tipwire.store import accounts, audit, tokens

router = APIRouter(tags=["accounts"])


def _listing(shared: Context, kind: PrincipalKind) -> Json:
    with shared.store.read() as connection:
        found = accounts.list_accounts(connection, kind)
    return listing([a.as_dict() for a in found], len(found))


@router.get("/users")
def list_users(shared: Context, _principal: Admin) -> Json:
    """Every user, with role and switch."""
    return _listing(shared, PrincipalKind.USER)


@router.post("/users", status_code=201)
def create_user(shared: Context, principal: Admin, body: AccountIn) -> Json:
    """Add a user; without a password one is generated and returned this once."""
    role = Role.parse(body.role)
    password = body.password or new_secret(12)
    with shared.store.write() as connection:
        account = accounts.create_user(connection, body.name, password, role)
        audit.record(
            connection, principal.actor, "user.create", "user", account.id, after=account.as_dict()
        )
    shown = account.as_dict()
    if body.password is None:
        shown["password"] = password
    return item(shown, status_code=201)


@router.get("/clients")
def list_clients(shared: Context, _principal: Admin) -> Json:
    """Every API client, with role and switch."""
    return _listing(shared, PrincipalKind.CLIENT)


@router.post("/clients", status_code=201)
def create_client(shared: Context, principal: Admin, body: AccountIn) -> Json:
    """Add an API client; its secret is returned this once."""
    if body.password is not None:
        raise InvalidValueError("password", "********", "is for users; clients get a secret")
    role = Role.parse(body.role)
    with shared.store.write() as connection:
        account, secret = accounts.create_client(connection, body.name, role)
        audit.record(
            connection,
            principal.actor,
            "client.create",
            "client",
            account.id,
            after=account.as_dict(),
        )
    return item({**account.as_dict(), "client_secret": secret}, status_code=201)


def _change(
    shared: Context, principal: Principal, kind: PrincipalKind, account_id: int, body: AccountChange
) -> Json:
    role = Role.parse(body.role) if body.role else None
    with shared.store.write() as connection:
        before = accounts.get_account(connection, kind, account_id)
        _keep_an_admin(
            connection, before, demoted=role not in (None, Role.ADMIN) or bool(body.disabled)
        )
        after = accounts.update_account(
            connection, kind, account_id, role=role, disabled=body.disabled, password=body.password
        )
        if body.disabled or body.password is not None:
            tokens.revoke_all(connection, after.principal)
        changed = after.as_dict() | ({"password": "changed"} if body.password else {})
        audit.record(
            connection,
            principal.actor,
            f"{kind.value}.change",
            kind.value,
            account_id,
            before=before.as_dict(),
            after=changed,
        )
    return item(after.as_dict())


def _delete(shared: Context, principal: Principal, kind: PrincipalKind, account_id: int) -> Json:
    with shared.store.write() as connection:
        before = accounts.get_account(connection, kind, account_id)
        _keep_an_admin(connection, before, demoted=True)
        tokens.revoke_all(connection, before.principal)
        accounts.delete_account(connection, kind, account_id)
        audit.record(
            connection,
            principal.actor,
            f"{kind.value}.delete",
            kind.value,
            account_id,
            before=before.as_dict(),
        )
    return item({"id": account_id, "deleted": True})


def _keep_an_admin(connection: Connection, account: accounts.Account, *, demoted: bool) -> None:
    """Refuse to remove or demote the last enabled admin user: nobody could manage TipWire."""
    if (
        demoted
        and account.kind is PrincipalKind.USER
        and account.role is Role.ADMIN
        and not account.disabled
        and accounts.count_admins(connection) <= 1
    ):
        raise InvalidValueError("role", account.name, "is the last admin user and must stay one")


@router.patch("/users/{user_id}")
def change_user(shared: Context, principal: Admin, user_id: ObjectId, body: AccountChange) -> Json:
    """Change a user's role, switch or password (their tokens are revoked on the last two)."""
    return _change(shared, principal, PrincipalKind.USER, user_id, body)


@router.delete("/users/{user_id}")
def delete_user(shared: Context, principal: Admin, user_id: ObjectId) -> Json:
    """Remove a user and revoke their tokens."""
    return _delete(shared, principal, PrincipalKind.USER, user_id)


@router.patch("/clients/{client_id}")
def change_client(
    shared: Context, principal: Admin, client_id: ObjectId, body: AccountChange
) -> Json:
    """Change a client's role or switch (disabling revokes its tokens)."""
    if body.password is not None:
        raise InvalidValueError("password", "********", "is for users; clients have a secret")
    return _change(shared, principal, PrincipalKind.CLIENT, client_id, body)


@router.delete("/clients/{client_id}")
def delete_client(shared: Context, principal: Admin, client_id: ObjectId) -> Json:
    """Remove a client and revoke its tokens."""
    return _delete(shared, principal, PrincipalKind.CLIENT, client_id)
