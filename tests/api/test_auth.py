"""Tokens: the three grants, lifetimes, rotation, revocation, throttling, disabled accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import update

from tipwire.identity import Role
from tipwire.store import Store, accounts
from tipwire.store.schema import TokenRow, table

from .conftest import PASSWORDS, login


def test_password_grant_gives_a_30_minute_bearer_and_a_refresh_token(
    client: httpx.Client, users: dict[Role, str]
) -> None:
    answer = login(client, "analyst", PASSWORDS[Role.ANALYST])
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 30 * 60
    assert answer["role"] == "analyst"
    assert answer["refresh_token"].startswith("twr_")
    me = client.get("/api/me", headers={"Authorization": f"Bearer {answer['access_token']}"})
    assert me.json()["data"] == {"kind": "user", "name": "analyst", "role": "analyst"}


def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: httpx.Client, users: dict[Role, str]
) -> None:
    wrong = client.post(
        "/api/token", data={"grant_type": "password", "username": "viewer", "password": "nope-nope"}
    )
    unknown = client.post(
        "/api/token", data={"grant_type": "password", "username": "nobody", "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "invalid_grant"
    assert wrong.json()["errors"][0]["field"] == "password"
    assert "nope-nope" not in wrong.text


def test_client_credentials_with_basic_auth_and_in_the_form(
    client: httpx.Client, store: Store
) -> None:
    with store.write() as connection:
        account, secret = accounts.create_client(connection, "siem", Role.VIEWER)
    assert account.client_id is not None
    basic = client.post(
        "/api/token", data={"grant_type": "client_credentials"}, auth=(account.client_id, secret)
    )
    assert basic.status_code == 200, basic.text
    assert "refresh_token" not in basic.json()
    form = client.post(
        "/api/token",
        data={
            "grant_type": "client_credentials",
            "client_id": account.client_id,
            "client_secret": secret,
        },
    )
    assert form.status_code == 200
    token = form.json()["access_token"]
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["data"]
    assert me == {"kind": "client", "name": "siem", "role": "viewer"}
    wrong = client.post(
        "/api/token", data={"grant_type": "client_credentials"}, auth=(account.client_id, "x")
    )
    assert wrong.status_code == 400


def test_refresh_rotates_and_the_old_refresh_token_dies_with_its_access_token(
    client: httpx.Client, users: dict[Role, str]
) -> None:
    first = login(client, "viewer", PASSWORDS[Role.VIEWER])
    renewed = client.post(
        "/api/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert renewed.status_code == 200
    second = renewed.json()
    assert second["access_token"] != first["access_token"]
    again = client.post(
        "/api/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert again.status_code == 400
    old = client.get(
        "/api/indicators", headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert old.status_code == 401
    new = client.get(
        "/api/indicators", headers={"Authorization": f"Bearer {second['access_token']}"}
    )
    assert new.status_code == 200


def test_revoked_and_expired_tokens_are_refused(
    client: httpx.Client, store: Store, users: dict[Role, str]
) -> None:
    answer = login(client, "viewer", PASSWORDS[Role.VIEWER])
    bearer = {"Authorization": f"Bearer {answer['access_token']}"}
    assert client.get("/api/indicators", headers=bearer).status_code == 200
    revoked = client.post(
        "/api/token/revoke", json={"token": answer["access_token"]}, headers=bearer
    )
    assert revoked.status_code == 200
    refused = client.get("/api/indicators", headers=bearer)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"

    other = login(client, "viewer", PASSWORDS[Role.VIEWER])
    with store.write() as connection:
        connection.execute(
            update(table(TokenRow)).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    expired = client.get(
        "/api/indicators", headers={"Authorization": f"Bearer {other['access_token']}"}
    )
    assert expired.status_code == 401


def test_disabling_a_user_cuts_off_their_tokens(
    client: httpx.Client, headers: dict[Role, dict[str, str]]
) -> None:
    users = client.get("/api/users", headers=headers[Role.ADMIN]).json()["data"]
    viewer_id = next(u["id"] for u in users if u["name"] == "viewer")
    changed = client.patch(
        f"/api/users/{viewer_id}", json={"disabled": True}, headers=headers[Role.ADMIN]
    )
    assert changed.status_code == 200
    assert client.get("/api/indicators", headers=headers[Role.VIEWER]).status_code == 401
    refused = client.post(
        "/api/token",
        data={"grant_type": "password", "username": "viewer", "password": PASSWORDS[Role.VIEWER]},
    )
    assert refused.status_code == 400


def test_repeated_failures_are_throttled_even_with_the_right_password_after(
    client: httpx.Client, users: dict[Role, str]
) -> None:
    form = {"grant_type": "password", "username": "admin", "password": "wrong-guess"}
    codes = [client.post("/api/token", data=form).status_code for _ in range(5)]
    assert codes == [400] * 5
    throttled = client.post("/api/token", data=form | {"password": PASSWORDS[Role.ADMIN]})
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert throttled.json()["errors"][0]["field"] == "password"


def test_a_token_of_another_scheme_or_garbage_is_refused(client: httpx.Client) -> None:
    for header in ("Basic dXNlcjpwYXNz", "Bearer not-a-token", "Bearer"):
        answer = client.get("/api/indicators", headers={"Authorization": header})
        assert answer.status_code == 401, header
        assert answer.json()["errors"][0]["message"]


def test_a_name_with_a_nul_character_is_a_wrong_name_on_every_database(
    client: httpx.Client, users: dict[Role, str]
) -> None:
    for data in (
        {"grant_type": "password", "username": "admin\x00", "password": "x" * 8},
        {"grant_type": "client_credentials", "client_id": "twc_\x00", "client_secret": "x"},
    ):
        answer = client.post("/api/token", data=data)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "invalid_grant"
