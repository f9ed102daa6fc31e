"""Exports over HTTP: blocklists for firewalls, STIX, CSV, JSON and MISP, for viewers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import httpx
import pytest
from stix2validator import ValidationOptions, validate_string

from tipwire.identity import Role
from tipwire.model import Event, EventType, Indicator, IndicatorType, IngestBatch, Source, Status
from tipwire.model.whitelist import WhitelistRule
from tipwire.store import Store, queries, whitelist

H = dict[Role, dict[str, str]]
SEEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ACTIVE_IPS = ["203.0.113.66", "203.0.113.67"]


@pytest.fixture
def event_id(store: Store) -> int:
    """Active and Review IPs, a Whitelisted IP and email, an Active FQDN, all in one event."""
    event = Event("C2 traffic", EventType.COMMAND_AND_CONTROL, SEEN, key="c2")
    batch = IngestBatch(Source("Feed One"), events=[event])
    for value, status in [
        (ACTIVE_IPS[0], Status.ACTIVE),
        (ACTIVE_IPS[1], Status.ACTIVE),
        ("192.0.2.7", Status.REVIEW),
        ("192.0.2.8", Status.WHITELISTED),
    ]:
        batch.add(Indicator(IndicatorType.IP_ADDRESS, value, status=status, last_seen=SEEN))
    batch.add(Indicator(IndicatorType.FQDN, "bad.example.net", status=Status.ACTIVE))
    batch.add(Indicator(IndicatorType.EMAIL_ADDRESS, "ceo@example.com", status=Status.WHITELISTED))
    for indicator in batch.indicators:
        batch.relate(event, indicator)
    store.ingest(batch)
    with store.read() as connection:
        return queries.event_ids_by_key(connection, ["c2"])["c2"]


def test_blocklist_is_active_values_only_never_whitelisted(
    client: httpx.Client, headers: H, event_id: int, store: Store
) -> None:
    answer = client.get(
        "/api/export/blocklist", params={"type": "IP Address"}, headers=headers[Role.VIEWER]
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert sorted(answer.text.splitlines()) == ACTIVE_IPS
    with store.write() as connection:
        whitelist.add_rule(connection, WhitelistRule.parse("IP Address", "203.0.113.67"))
    again = client.get(
        "/api/export/blocklist", params={"type": "ip address"}, headers=headers[Role.VIEWER]
    )
    assert again.text == "203.0.113.66\n"
    emails = client.get(
        "/api/export/blocklist", params={"type": "Email Address"}, headers=headers[Role.VIEWER]
    )
    assert emails.status_code == 200 and emails.text == ""


def test_blocklist_streams_a_list_longer_than_one_piece(
    client: httpx.Client, headers: H, store: Store
) -> None:
    values = [f"10.{n // 62500}.{n // 250 % 250}.{n % 250 + 1}" for n in range(8000)]
    batch = IngestBatch(Source("Feed Two"))
    batch.indicators = [
        Indicator(IndicatorType.IP_ADDRESS, value, status=Status.ACTIVE) for value in values
    ]
    store.ingest(batch)
    with client.stream(
        "GET", "/api/export/blocklist?type=IP%20Address", headers=headers[Role.VIEWER]
    ) as answer:
        pieces = list(answer.iter_raw())
    assert len(pieces) > 1  # sent as it is read, not built whole first
    assert sorted(b"".join(pieces).decode().splitlines()) == sorted(values)


def test_blocklist_of_an_unknown_or_unlisted_type_is_422_naming_type(
    client: httpx.Client, headers: H
) -> None:
    for bad in ("Hostname", "Username"):
        answer = client.get(
            "/api/export/blocklist", params={"type": bad}, headers=headers[Role.VIEWER]
        )
        assert answer.status_code == 422, answer.text
        problem = answer.json()["errors"][0]
        assert problem["field"] == "type" and bad in problem["message"]
    missing = client.get("/api/export/blocklist", headers=headers[Role.VIEWER])
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "type"


@pytest.mark.parametrize(
    "path",
    [
        "/api/export/stix",
        "/api/export/blocklist?type=FQDN",
        "/api/export/csv",
        "/api/export/json",
        "/api/export/misp/1",
    ],
)
def test_exports_need_a_token(client: httpx.Client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"


def test_stix_export_is_a_valid_bundle_without_whitelisted_values(
    client: httpx.Client, headers: H, event_id: int
) -> None:
    answer = client.get("/api/export/stix", headers=headers[Role.VIEWER])
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/stix+json;version=2.1"
    result = validate_string(answer.text, ValidationOptions(version="2.1"))
    assert [str(e) for e in result.errors] == []
    assert "203.0.113.66" in answer.text and "192.0.2.7" in answer.text
    assert "192.0.2.8" not in answer.text and "ceo@example.com" not in answer.text
    active = client.get(
        "/api/export/stix",
        params={"status": "Active", "event_id": event_id},
        headers=headers[Role.VIEWER] | {"Accept": "application/json"},
    )
    assert active.headers["content-type"] == "application/json"
    patterns = {o["pattern"] for o in active.json()["objects"] if o["type"] == "indicator"}
    assert patterns == {
        "[ipv4-addr:value = '203.0.113.66']",
        "[ipv4-addr:value = '203.0.113.67']",
        "[domain-name:value = 'bad.example.net']",
    }
    reports = [o for o in active.json()["objects"] if o["type"] == "report"]
    assert [r["name"] for r in reports] == ["C2 traffic"]


def test_stix_export_names_bad_filters_and_missing_events(
    client: httpx.Client, headers: H, event_id: int
) -> None:
    viewer = headers[Role.VIEWER]
    bad_status = client.get("/api/export/stix", params={"status": "Dormant"}, headers=viewer)
    assert bad_status.status_code == 422
    assert bad_status.json()["errors"][0]["field"] == "status"
    bad_since = client.get("/api/export/stix", params={"since": "yesterday"}, headers=viewer)
    assert bad_since.status_code == 422
    assert bad_since.json()["errors"][0]["field"] == "since"
    missing = client.get("/api/export/stix", params={"event_id": event_id + 1}, headers=viewer)
    assert missing.status_code == 404


def test_csv_and_json_take_the_indicator_list_filters(
    client: httpx.Client, headers: H, event_id: int
) -> None:
    viewer = headers[Role.VIEWER]
    filters = {"type": "IP Address", "status": "Active", "source": "Feed One"}
    table = client.get("/api/export/csv", params=filters, headers=viewer)
    assert table.status_code == 200
    assert table.headers["content-type"].startswith("text/csv")
    assert "indicators.csv" in table.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert sorted(row["value"] for row in rows) == ACTIVE_IPS
    assert {row["sources"] for row in rows} == {"Feed One"}
    listed = client.get("/api/export/json", params={"search": "192.0.2"}, headers=viewer)
    assert listed.headers["content-type"] == "application/json"
    assert sorted(i["value"] for i in listed.json()) == ["192.0.2.7", "192.0.2.8"]
    since = client.get(
        "/api/export/json", params={"seen_since": "2024-05-02T00:00:00Z"}, headers=viewer
    )
    assert "203.0.113.66" not in {i["value"] for i in since.json()}
    wrong = client.get("/api/export/csv", params={"type": "Hostname"}, headers=viewer)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "type"


def test_misp_export_of_an_event(client: httpx.Client, headers: H, event_id: int) -> None:
    answer = client.get(f"/api/export/misp/{event_id}", headers=headers[Role.VIEWER])
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    event = answer.json()  # as `tipwire export misp` writes it: the event, unwrapped
    assert event["info"] == "C2 traffic"
    values = {a["value"]: a for a in event["Attribute"]}
    assert values["203.0.113.66"]["to_ids"] is True
    assert values["ceo@example.com"]["to_ids"] is False
    missing = client.get(f"/api/export/misp/{event_id + 1}", headers=headers[Role.VIEWER])
    assert missing.status_code == 404
