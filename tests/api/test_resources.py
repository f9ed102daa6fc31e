"""Resources: consume, read, filter, page, embed, pivot, curate, whitelist, search, audit."""

from __future__ import annotations

from typing import Any

import httpx

from tipwire.identity import Role

H = dict[Role, dict[str, str]]

PHISH = [
    {
        "type": "URL",
        "value": "hxxp://Evil.Example.net/login?id=1",
        "status": "Active",
        "attributes": [{"name": "Malware Family", "value": "Emotet"}],
        "related_indicators": [{"type": "FQDN", "value": "evil.example.net"}],
        "source": {"name": "Phish feed", "tlp": "GREEN"},
    },
    {"type": "IP Address", "value": "203.0.113[.]7", "score": 7},
]


def consume(client: httpx.Client, headers: H, body: list[dict[str, Any]]) -> dict[str, Any]:
    answer = client.post("/api/indicators/consume", json=body, headers=headers[Role.ANALYST])
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_consume_is_idempotent_and_keeps_attributes_sources_and_relations(
    client: httpx.Client, headers: H
) -> None:
    first = consume(client, headers, PHISH)
    assert [d["value"] for d in first["data"]] == [
        "http://evil.example.net/login?id=1",
        "203.0.113.7",
    ]
    assert first["result"]["indicators"]["created"] == 3
    again = consume(client, headers, PHISH)
    assert again["result"]["indicators"]["created"] == 0
    assert [d["id"] for d in again["data"]] == [d["id"] for d in first["data"]]

    url_id = first["data"][0]["id"]
    shown = client.get(
        f"/api/indicators/{url_id}?with=attributes,sources,score", headers=headers[Role.VIEWER]
    ).json()["data"]
    assert shown["status"] == "Active"
    assert shown["sources"] == ["Phish feed"]
    assert [(a["name"], a["value"]) for a in shown["attributes"]] == [("Malware Family", "Emotet")]
    plain = client.get(f"/api/indicators/{url_id}", headers=headers[Role.VIEWER]).json()["data"]
    assert "attributes" not in plain and "sources" not in plain and "score" not in plain
    related = client.get(f"/api/indicators/{url_id}/indicators", headers=headers[Role.VIEWER])
    assert [i["value"] for i in related.json()["data"]] == ["evil.example.net"]
    sources = client.get(f"/api/indicators/{url_id}/sources", headers=headers[Role.VIEWER])
    assert sources.json()["data"][0]["tlp"] == "TLP:GREEN"
    ip = client.get(
        f"/api/indicators/{first['data'][1]['id']}?with=score,sources", headers=headers[Role.VIEWER]
    ).json()["data"]
    assert ip["score"] == 7
    assert ip["sources"] == ["analyst"]


def test_lookup_by_value_filters_and_paging(client: httpx.Client, headers: H) -> None:
    body = [{"type": "IP Address", "value": f"198.51.100.{n}"} for n in range(1, 26)]
    consume(client, headers, [*body, *PHISH])
    viewer = headers[Role.VIEWER]
    found = client.get("/api/indicators", params={"value": "198.51.100[.]9"}, headers=viewer)
    assert found.json()["total"] == 1
    assert found.json()["data"][0]["value"] == "198.51.100.9"
    page = client.get(
        "/api/indicators",
        params={"type": "IP Address", "limit": 10, "offset": 20, "sort": "value"},
        headers=viewer,
    ).json()
    assert page["total"] == 26
    assert len(page["data"]) == 6
    active = client.get("/api/indicators", params={"status": "Active"}, headers=viewer).json()
    assert [i["type"] for i in active["data"]] == ["URL"]
    capped = client.get("/api/indicators", params={"limit": 1001}, headers=viewer)
    assert capped.status_code == 422
    assert capped.json()["errors"][0]["field"] == "limit"
    bad_sort = client.get("/api/indicators", params={"sort": "password"}, headers=viewer)
    assert bad_sort.status_code == 422
    assert bad_sort.json()["errors"][0]["field"] == "sort"
    bad_with = client.get("/api/indicators", params={"with": "secrets"}, headers=viewer)
    assert bad_with.json()["errors"][0] == {
        "field": "with",
        "message": "with: 'secrets' cannot be embedded (use attributes, score, sources)",
    }


def test_events_consume_with_nested_indicators_and_pivots(client: httpx.Client, headers: H) -> None:
    event = {
        "title": "Phishing wave against finance",
        "type": "Spearphish",
        "happened_at": "2026-11-30T08:00:00Z",
        "description": "Three mails",
        "attributes": [{"name": "Campaign", "value": "Invoice"}],
        "indicators": [
            {"type": "Email Address", "value": "billing@evil.example.net", "status": "Active"},
            {"type": "URL", "value": "http://evil.example.net/pay"},
        ],
    }
    answer = client.post("/api/events/consume", json=[event], headers=headers[Role.ANALYST])
    assert answer.status_code == 200, answer.text
    event_id = answer.json()["data"][0]["id"]
    again = client.post("/api/events/consume", json=[event], headers=headers[Role.ANALYST])
    assert again.json()["data"][0]["id"] == event_id
    assert again.json()["result"]["events"]["created"] == 0
    viewer = headers[Role.VIEWER]
    listed = client.get("/api/events", params={"type": "Spearphish"}, headers=viewer).json()
    assert listed["total"] == 1
    shown = client.get(f"/api/events/{event_id}?with=attributes,sources", headers=viewer).json()
    assert shown["data"]["attributes"][0]["value"] == "Invoice"
    assert shown["data"]["sources"] == ["analyst"]
    linked = client.get(f"/api/events/{event_id}/indicators", headers=viewer).json()
    assert linked["total"] == 2
    url_id = next(i["id"] for i in linked["data"] if i["type"] == "URL")
    back = client.get(f"/api/indicators/{url_id}/events", headers=viewer).json()
    assert [e["id"] for e in back["data"]] == [event_id]

    other = consume(client, headers, [{"type": "FQDN", "value": "cdn.evil.example.net"}])
    fqdn_id = other["data"][0]["id"]
    added = client.post(
        f"/api/events/{event_id}/indicators", json={"id": fqdn_id}, headers=headers[Role.ANALYST]
    )
    assert added.json()["data"]["created"] is True
    assert client.get(f"/api/events/{event_id}/indicators", headers=viewer).json()["total"] == 3
    removed = client.delete(
        f"/api/events/{event_id}/indicators/{fqdn_id}", headers=headers[Role.ANALYST]
    )
    assert removed.json()["data"]["removed"] is True
    noted = client.post(
        f"/api/events/{event_id}/attributes",
        json={"name": "Decision", "value": "reset passwords"},
        headers=headers[Role.ANALYST],
    )
    assert noted.status_code == 201
    decision = next(a for a in noted.json()["data"] if a["name"] == "Decision")
    assert decision["source"] == "analyst"
    gone = client.delete(
        f"/api/events/{event_id}/attributes/{decision['id']}", headers=headers[Role.ANALYST]
    )
    assert gone.status_code == 200
    names = [
        a["name"]
        for a in client.get(f"/api/events/{event_id}/attributes", headers=viewer).json()["data"]
    ]
    assert names == ["Campaign"]
    renamed = client.put(
        f"/api/events/{event_id}",
        json={"title": "Invoice phishing wave", "type": "Malware"},
        headers=headers[Role.ANALYST],
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["data"]["title"], renamed.json()["data"]["type"]) == (
        "Invoice phishing wave",
        "Malware",
    )
    entry = client.get(
        "/api/audit", params={"object_type": "event"}, headers=headers[Role.ADMIN]
    ).json()["data"][0]
    assert entry["before"]["title"] == "Phishing wave against finance"
    assert entry["after"]["title"] == "Invoice phishing wave"
    deleted = client.delete(f"/api/events/{event_id}", headers=headers[Role.ANALYST])
    assert deleted.status_code == 200
    assert client.get(f"/api/events/{event_id}", headers=viewer).status_code == 404
    assert client.get(f"/api/indicators/{url_id}/events", headers=viewer).json()["total"] == 0
    assert client.get(f"/api/indicators/{url_id}", headers=viewer).status_code == 200
    missing = client.get("/api/events/999999", headers=viewer)
    assert missing.status_code == 404
    assert "999999" in missing.json()["errors"][0]["message"]


def test_status_and_score_changes_are_audited_with_before_and_after(
    client: httpx.Client, headers: H
) -> None:
    ip_id = consume(client, headers, PHISH)["data"][1]["id"]
    changed = client.put(
        f"/api/indicators/{ip_id}",
        json={"status": "Active", "score": 9},
        headers=headers[Role.ANALYST],
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["status"] == "Active"
    assert changed.json()["data"]["score"] == 9
    wrong = client.put(
        f"/api/indicators/{ip_id}", json={"status": "Dangerous"}, headers=headers[Role.ANALYST]
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "status"
    assert "'Dangerous'" in wrong.json()["errors"][0]["message"]
    entries = client.get(
        "/api/audit",
        params={"object_type": "indicator", "object_id": str(ip_id)},
        headers=headers[Role.ADMIN],
    ).json()["data"]
    assert len(entries) == 1
    assert entries[0]["actor"] == "user:analyst"
    assert entries[0]["action"] == "indicator.change"
    assert entries[0]["before"] == {"status": "Review", "score": 7}
    assert entries[0]["after"] == {"status": "Active", "score": 9}


def test_attributes_and_relations_by_id(client: httpx.Client, headers: H) -> None:
    made = consume(client, headers, PHISH)["data"]
    url_id, ip_id = made[0]["id"], made[1]["id"]
    analyst = headers[Role.ANALYST]
    added = client.post(
        f"/api/indicators/{ip_id}/attributes",
        json={"name": "Country", "value": "NL"},
        headers=analyst,
    )
    assert added.status_code == 201
    assert [(a["name"], a["source"]) for a in added.json()["data"]] == [("Country", "analyst")]
    attribute_id = added.json()["data"][0]["id"]
    dropped = client.delete(f"/api/indicators/{ip_id}/attributes/{attribute_id}", headers=analyst)
    assert dropped.status_code == 200
    assert client.get(f"/api/indicators/{ip_id}/attributes", headers=analyst).json()["total"] == 0
    again = client.delete(f"/api/indicators/{ip_id}/attributes/{attribute_id}", headers=analyst)
    assert again.status_code == 404
    related = client.post(
        f"/api/indicators/{ip_id}/indicators", json={"id": url_id}, headers=analyst
    )
    assert related.json()["data"]["created"] is True
    pivot = client.get(f"/api/indicators/{url_id}/indicators", headers=headers[Role.VIEWER])
    assert ip_id in [i["id"] for i in pivot.json()["data"]]
    gone = client.delete(f"/api/indicators/{url_id}/indicators/{ip_id}", headers=analyst)
    assert gone.json()["data"]["removed"] is True
    self_link = client.post(
        f"/api/indicators/{ip_id}/indicators", json={"id": ip_id}, headers=analyst
    )
    assert self_link.status_code == 422


def test_whitelist_rules_protect_matching_indicators(client: httpx.Client, headers: H) -> None:
    consume(
        client,
        headers,
        [{"type": "Email Address", "value": "ceo@corp.example", "status": "Active"}],
    )
    added = client.post(
        "/api/whitelist",
        json={"type": "Email Address", "pattern": "*@corp.example"},
        headers=headers[Role.ANALYST],
    )
    assert added.status_code == 201, added.text
    assert added.json()["data"]["whitelisted"] == 1
    email = client.get(
        "/api/indicators", params={"value": "ceo@corp.example"}, headers=headers[Role.VIEWER]
    ).json()["data"][0]
    assert email["status"] == "Whitelisted"
    rules = client.get("/api/whitelist", headers=headers[Role.VIEWER]).json()
    assert rules["total"] == 1
    bad = client.post(
        "/api/whitelist",
        json={"type": "IP Address", "pattern": "10.0.0.0/33"},
        headers=headers[Role.ANALYST],
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "pattern"
    removed = client.delete(
        f"/api/whitelist/{rules['data'][0]['id']}", headers=headers[Role.ANALYST]
    )
    assert removed.status_code == 200
    assert client.get("/api/whitelist", headers=headers[Role.VIEWER]).json()["total"] == 0


def test_search_vocabularies_and_sources(client: httpx.Client, headers: H) -> None:
    consume(client, headers, PHISH)
    viewer = headers[Role.VIEWER]
    found = client.get("/api/search", params={"query": "evil.example"}, headers=viewer).json()
    assert {i["value"] for i in found["data"]["indicators"]} == {
        "evil.example.net",
        "http://evil.example.net/login?id=1",
    }
    statuses = client.get("/api/indicator/statuses", headers=viewer).json()["data"]
    assert {s["name"] for s in statuses if s["protected"]} == {"Whitelisted"}
    types = {t["name"] for t in client.get("/api/indicator/types", headers=viewer).json()["data"]}
    assert {"IP Address", "URL", "FQDN", "Email Address", "User-agent"} <= types
    events = client.get("/api/event/types", headers=viewer).json()
    assert "Command and Control" in {t["name"] for t in events["data"]}
    sources = {s["name"]: s for s in client.get("/api/sources", headers=viewer).json()["data"]}
    assert sources["Phish feed"]["indicators"] == 2
    assert sources["analyst"]["indicators"] == 1
