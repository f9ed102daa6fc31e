"""Bad input gets a clear 4xx naming the field, and nothing is stored."""

from __future__ import annotations

import httpx

from tipwire.identity import Role

H = dict[Role, dict[str, str]]
GOOD = {"type": "IP Address", "value": "203.0.113.5"}


def stored(client: httpx.Client, headers: H) -> int:
    total: int = client.get("/api/indicators", headers=headers[Role.VIEWER]).json()["total"]
    return total


def post(client: httpx.Client, headers: H, **kwargs: object) -> httpx.Response:
    return client.post("/api/indicators/consume", headers=headers[Role.ANALYST], **kwargs)  # type: ignore[arg-type]


def test_malformed_json_is_a_422_naming_the_body(client: httpx.Client, headers: H) -> None:
    answer = client.post(
        "/api/indicators/consume",
        content=b'[{"type": "IP Address", "value": ',
        headers={**headers[Role.ANALYST], "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert "JSON" in answer.json()["errors"][0]["message"]
    assert stored(client, headers) == 0


def test_wrong_types_and_unknown_fields_name_their_place(client: httpx.Client, headers: H) -> None:
    wrong = post(client, headers, json=[GOOD, {"type": "IP Address", "value": 12}])
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "1.value"
    unknown = post(client, headers, json=[GOOD, {**GOOD, "colour": "red"}])
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "1.colour"
    not_a_list = post(client, headers, json=GOOD)
    assert not_a_list.status_code == 422
    assert stored(client, headers) == 0


def test_a_bad_value_deep_in_a_batch_stores_nothing_and_names_it(
    client: httpx.Client, headers: H
) -> None:
    body = [GOOD] * 5 + [{"type": "IP Address", "value": "203.0.113.500"}]
    answer = post(client, headers, json=body)
    assert answer.status_code == 422
    problem = answer.json()["errors"][0]
    assert problem["field"] == "5.IP Address"
    assert "'203.0.113.500'" in problem["message"]
    nested = client.post(
        "/api/events/consume",
        json=[
            {
                "title": "t",
                "type": "Malware",
                "happened_at": "2026-12-01T00:00:00Z",
                "indicators": [GOOD, {"type": "Email Address", "value": "not-an-email"}],
            }
        ],
        headers=headers[Role.ANALYST],
    )
    assert nested.status_code == 422
    assert nested.json()["errors"][0]["field"].startswith("0.indicators.1.")
    assert stored(client, headers) == 0
    assert client.get("/api/events", headers=headers[Role.VIEWER]).json()["total"] == 0


def test_too_many_items_and_oversized_bodies_are_refused(client: httpx.Client, headers: H) -> None:
    many = post(client, headers, json=[GOOD] * 10_001)
    assert many.status_code == 422
    huge = client.post(
        "/api/indicators/consume",
        content=b"[" + b" " * (17 * 1024 * 1024) + b"]",
        headers={**headers[Role.ANALYST], "Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    assert huge.json()["errors"][0]["field"] == "body"

    def chunks() -> object:
        yield b"["
        for _ in range(40):
            yield b" " * (512 * 1024)
        yield b"]"

    streamed = client.post(
        "/api/indicators/consume",
        content=chunks(),  # type: ignore[arg-type]
        headers={**headers[Role.ANALYST], "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    assert stored(client, headers) == 0


def test_bad_query_values_name_their_parameter(client: httpx.Client, headers: H) -> None:
    viewer = headers[Role.VIEWER]
    for params, field in [
        ({"type": "Colour"}, "type"),
        ({"status": "Nice"}, "status"),
        ({"offset": "-1"}, "offset"),
        ({"seen_since": "yesterday"}, "seen_since"),
    ]:
        answer = client.get("/api/indicators", params=params, headers=viewer)
        assert answer.status_code == 422, params
        assert answer.json()["errors"][0]["field"] == field, answer.text
    not_an_id = client.get("/api/indicators/abc", headers=viewer)
    assert not_an_id.status_code == 422
    assert not_an_id.json()["errors"][0]["field"] == "indicator_id"


def test_nul_characters_are_refused_naming_the_field(client: httpx.Client, headers: H) -> None:
    viewer = headers[Role.VIEWER]
    query = client.get("/api/indicators", params={"search": "evil\x00"}, headers=viewer)
    assert query.status_code == 422
    assert query.json()["errors"][0]["field"] == "search"
    body = post(client, headers, json=[{"type": "IP Address", "value": "203.0.113.5\x00"}])
    assert body.status_code == 422
    assert body.json()["errors"][0]["field"] == "0.value"
    assert stored(client, headers) == 0
