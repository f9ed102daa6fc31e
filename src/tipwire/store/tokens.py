"""Bearer and refresh tokens: issued at random, kept only as SHA-256 digests, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, func, insert, or_, select, update

from tipwire.identity.principal import Principal, PrincipalKind
from tipwire.identity.roles import Role
from tipwire.store.schema import ApiClientRow, TokenRow, UserRow, table

_tokens = table(TokenRow)
_users = table(UserRow)
_clients = table(ApiClientRow)


class TokenKind(StrEnum):
    """A short-lived bearer token, the longer-lived token that renews it, or a browser session."""

    ACCESS = "access"
    REFRESH = "refresh"
    SESSION = "session"


_PREFIXES = {TokenKind.ACCESS: "twa_", TokenKind.REFRESH: "twr_", TokenKind.SESSION: "tws_"}


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """What a token request answers: the plaintext tokens, shown once."""

    access_token: str
    expires_in: int
    refresh_token: str | None


def digest(token: str) -> bytes:
    """SHA-256 of a token: enough for random 256-bit tokens, and fast for every request."""
    return hashlib.sha256(token.encode()).digest()


def _insert(
    connection: Connection,
    kind: TokenKind,
    principal: Principal,
    lifetime: timedelta,
    parent_id: int | None,
) -> tuple[int, str]:
    token = _PREFIXES[kind] + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    new_id = connection.execute(
        insert(_tokens).values(
            digest=digest(token),
            kind=kind.value,
            principal_kind=principal.kind.value,
            principal_id=principal.id,
            parent_id=parent_id,
            issued_at=now,
            expires_at=now + lifetime,
        )
    ).inserted_primary_key
    assert new_id is not None
    return int(new_id[0]), token


def issue(
    connection: Connection,
    principal: Principal,
    access_lifetime: timedelta,
    refresh_lifetime: timedelta | None,
) -> IssuedTokens:
    """Issue an access token, and a refresh token unless ``refresh_lifetime`` is None."""
    parent_id, refresh = None, None
    if refresh_lifetime is not None:
        parent_id, refresh = _insert(
            connection, TokenKind.REFRESH, principal, refresh_lifetime, None
        )
    _, access = _insert(connection, TokenKind.ACCESS, principal, access_lifetime, parent_id)
    return IssuedTokens(access, int(access_lifetime.total_seconds()), refresh)


def issue_session(connection: Connection, principal: Principal, lifetime: timedelta) -> str:
    """Issue a browser session token (kept, like the others, only as its digest)."""
    return _insert(connection, TokenKind.SESSION, principal, lifetime, None)[1]


def _resolve_statement() -> Select[Any]:
    """The token with its owner, whichever table the owner is in: one query per request."""
    user = and_(
        _tokens.c.principal_kind == PrincipalKind.USER.value,
        _users.c.id == _tokens.c.principal_id,
    )
    client = and_(
        _tokens.c.principal_kind == PrincipalKind.CLIENT.value,
        _clients.c.id == _tokens.c.principal_id,
    )
    return (
        select(
            _tokens.c.id,
            _tokens.c.principal_kind,
            _tokens.c.principal_id,
            func.coalesce(_users.c.name, _clients.c.name).label("name"),
            func.coalesce(_users.c.role, _clients.c.role).label("role"),
            func.coalesce(_users.c.disabled, _clients.c.disabled).label("disabled"),
        )
        .select_from(_tokens.outerjoin(_users, user).outerjoin(_clients, client))
        .where(
            _tokens.c.digest == bindparam("digest"),
            _tokens.c.kind == bindparam("kind"),
            _tokens.c.revoked_at.is_(None),
            _tokens.c.expires_at > bindparam("now", type_=_tokens.c.expires_at.type),
        )
    )


# Built once: every API request runs it, and building a statement costs more than running it.
_RESOLVE = _resolve_statement()


def resolve(connection: Connection, token: str, kind: TokenKind) -> tuple[int, Principal] | None:
    """The live token's id and its principal, or None if unknown, expired, revoked or disabled."""
    row = connection.execute(
        _RESOLVE, {"digest": digest(token), "kind": kind.value, "now": datetime.now(UTC)}
    ).first()
    if row is None or row.name is None or row.disabled:
        return None
    principal = Principal(
        PrincipalKind(row.principal_kind), row.principal_id, row.name, Role(row.role)
    )
    return row.id, principal


def revoke_id(connection: Connection, token_id: int) -> None:
    """Revoke the token with this id and those issued under it."""
    connection.execute(
        update(_tokens)
        .where(
            or_(_tokens.c.id == token_id, _tokens.c.parent_id == token_id),
            _tokens.c.revoked_at.is_(None),
        )
        .values(revoked_at=datetime.now(UTC))
    )


def revoke_all(connection: Connection, principal: Principal) -> None:
    """Revoke every token of a principal (after a password change, a disable or a delete)."""
    connection.execute(
        update(_tokens)
        .where(
            _tokens.c.principal_kind == principal.kind.value,
            _tokens.c.principal_id == principal.id,
            _tokens.c.revoked_at.is_(None),
        )
        .values(revoked_at=datetime.now(UTC))
    )
