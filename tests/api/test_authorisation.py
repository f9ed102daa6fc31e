"""Every route is closed without a token, and each role reaches exactly what it should."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tipwire.identity import Role

OPEN = {("GET", "/api/health"), ("POST", "/api/token")}
# The least role each write route needs; every other route is readable by viewers.
NEEDS = {
    ("POST", "/api/indicators"): Role.ANALYST,
    ("POST", "/api/indicators/consume"): Role.ANALYST,
    ("PUT", "/api/indicators/{indicator_id}"): Role.ANALYST,
    ("POST", "/api/indicators/{indicator_id}/attributes"): Role.ANALYST,
    ("POST", "/api/indicators/{indicator_id}/indicators"): Role.ANALYST,
    ("DELETE", "/api/indicators/{indicator_id}/attributes/{attribute_id}"): Role.ANALYST,
    ("POST", "/api/events/{event_id}/attributes"): Role.ANALYST,
    ("PUT", "/api/events/{event_id}"): Role.ANALYST,
    ("DELETE", "/api/events/{event_id}"): Role.ANALYST,
    ("DELETE", "/api/events/{event_id}/attributes/{attribute_id}"): Role.ANALYST,
    ("DELETE", "/api/indicators/{indicator_id}/indicators/{other_id}"): Role.ANALYST,
    ("POST", "/api/events"): Role.ANALYST,
    ("POST", "/api/events/consume"): Role.ANALYST,
    ("POST", "/api/events/{event_id}/indicators"): Role.ANALYST,
    ("DELETE", "/api/events/{event_id}/indicators/{indicator_id}"): Role.ANALYST,
    ("POST", "/api/whitelist"): Role.ANALYST,
    ("DELETE", "/api/whitelist/{rule_id}"): Role.ANALYST,
    ("PUT", "/api/integrations/{name}/config"): Role.ADMIN,
    ("POST", "/api/integrations/{name}/enable"): Role.ADMIN,
    ("POST", "/api/integrations/{name}/disable"): Role.ADMIN,
    ("POST", "/api/integrations/{name}/run"): Role.ADMIN,
    ("GET", "/api/audit"): Role.ADMIN,
    ("GET", "/api/users"): Role.ADMIN,
    ("POST", "/api/users"): Role.ADMIN,
    ("PATCH", "/api/users/{user_id}"): Role.ADMIN,
    ("DELETE", "/api/users/{user_id}"): Role.ADMIN,
    ("GET", "/api/clients"): Role.ADMIN,
    ("POST", "/api/clients"): Role.ADMIN,
    ("PATCH", "/api/clients/{client_id}"): Role.ADMIN,
    ("DELETE", "/api/clients/{client_id}"): Role.ADMIN,
}
# GET routes that answer 422 without these query parameters.
REQUIRED_QUERIES = {"/api/search": "?query=x", "/api/export/blocklist": "?type=FQDN"}
PATH_VALUES = {
    "{indicator_id}": "1",
    "{other_id}": "2",
    "{event_id}": "1",
    "{rule_id}": "1",
    "{name}": "ctac-sinkhole",
    "{attribute_id}": "1",
    "{user_id}": "1",
    "{client_id}": "1",
}


def operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) the OpenAPI document lists."""
    spec: dict[str, Any] = app.openapi()
    return sorted((method.upper(), path) for path, item in spec["paths"].items() for method in item)


def concrete(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace(name, value)
    return path


def test_the_role_table_covers_every_write_route(app: FastAPI) -> None:
    listed = set(operations(app))
    assert set(NEEDS) <= listed
    unlisted_writes = {op for op in listed if op[0] != "GET"} - set(NEEDS) - OPEN
    assert unlisted_writes == {("POST", "/api/token/revoke")}


def test_every_route_but_health_and_token_needs_a_token(app: FastAPI, client: httpx.Client) -> None:
    checked = 0
    for method, path in operations(app):
        if (method, path) in OPEN:
            continue
        answer = client.request(method, concrete(path), json={})
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.json()["errors"][0]["message"]
        checked += 1
    assert checked >= 35
    assert client.get("/api/health").status_code == 200


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST])
def test_a_role_too_weak_gets_403_before_anything_happens(
    app: FastAPI, client: httpx.Client, headers: dict[Role, dict[str, str]], role: Role
) -> None:
    refused = 0
    for (method, path), needed in NEEDS.items():
        answer = client.request(method, concrete(path), json={}, headers=headers[role])
        if role.allows(needed):
            assert answer.status_code != 403, (method, path)
        else:
            assert answer.status_code == 403, (method, path, answer.text)
            assert needed.value in answer.json()["errors"][0]["message"]
            refused += 1
    assert refused >= (9 if role is Role.ANALYST else 20)
    audit = client.get("/api/audit", headers=headers[Role.ADMIN]).json()
    assert all(entry["actor"] != f"user:{role.value}" for entry in audit["data"])


def test_viewers_read_every_get_route_they_may(
    app: FastAPI, client: httpx.Client, headers: dict[Role, dict[str, str]]
) -> None:
    for method, path in operations(app):
        if method != "GET" or (method, path) in NEEDS or "{" in path:
            continue
        query = REQUIRED_QUERIES.get(path, "")
        answer = client.get(path + query, headers=headers[Role.VIEWER])
        assert answer.status_code == 200, (path, answer.text)
