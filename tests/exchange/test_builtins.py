"""The built-in CTAC integrations: discovered by entry point, configured fully, run honestly."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from tipwire.config import Settings
from tipwire.exchange.configs import ConfigStore
from tipwire.exchange.registry import Registry
from tipwire.exchange.runner import Runner
from tipwire.exchange.runs import RunStatus
from tipwire.integrations.ctac_keylogger import CtacKeyloggerIntegration
from tipwire.integrations.ctac_sinkhole import CtacSinkholeIntegration
from tipwire.providers.ctac import CtacAuthError
from tipwire.testing import Reply, recorded, run_integration

SINKHOLE = {
    "api_key": "k-123456",
    "cidr_blocks": "198.51.100.0/24, 2001:db8:1000::/36",
    "retry_seconds": "0",
}
KEYLOGGER = {"api_key": "k-123456", "domains": "example.com", "retry_seconds": "0"}


def test_built_ins_are_found_through_their_entry_points() -> None:
    registry = Registry.discover()
    assert registry.integrations["ctac-sinkhole"] is CtacSinkholeIntegration
    assert registry.integrations["ctac-keylogger"] is CtacKeyloggerIntegration
    assert CtacSinkholeIntegration.schedule == CtacKeyloggerIntegration.schedule == "*/15 * * * *"


@pytest.mark.parametrize(
    ("integration", "settings", "path"),
    [
        (CtacSinkholeIntegration, SINKHOLE, "/api/v1/sinkhole/export"),
        (CtacKeyloggerIntegration, KEYLOGGER, "/api/v1/keylogger/export"),
    ],
)
def test_a_run_asks_its_feed_with_the_key_in_a_header(
    integration: Any, settings: dict[str, str], path: str
) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text='{"cursor": "c", "records": 0, "end": true}\n')

    result = run_integration(
        integration, settings | {"api_url": "http://ctac"}, transport=httpx.MockTransport(answer)
    )
    assert all(len(batch) == 0 for batch in result.batches)  # nothing new, no objects
    assert [(r.url.path, r.headers["X-Api-Key"]) for r in seen] == [(path, "k-123456")]
    assert all("k-123456" not in str(r.url) for r in seen)  # never in a URL or a log of one
    refused = recorded({path: Reply(status=401, body={"error": "bad key"})})
    with pytest.raises(CtacAuthError):
        run_integration(integration, settings | {"api_url": "http://ctac"}, transport=refused)


def test_a_dead_provider_fails_the_run(engine: Engine, settings: Settings) -> None:
    registry = Registry.of(CtacSinkholeIntegration)
    configs = ConfigStore(engine, registry, settings)
    configs.configure("ctac-sinkhole", SINKHOLE | {"api_url": "http://127.0.0.1:9"})
    configs.set_enabled("ctac-sinkhole", True)
    outcome = Runner(engine, registry, settings).run("ctac-sinkhole")
    assert outcome.status is RunStatus.FAILED
    assert (outcome.error or "").startswith("CtacUnavailableError")
    assert "Connection refused" in (outcome.error or "")


def test_a_capture_whose_email_cannot_be_matched_is_counted_without_its_content() -> None:
    capture = {
        "id": 41, "captured_at": "2025-01-01T00:00:00Z", "email": "no-at-sign.example.com",
        "username": "x", "keylogger": "Snake", "leak_url": "https://mail.example.com/",
        "application": "Chrome", "victim_ip": "192.0.2.9", "victim_host": "PC-9",
        "password": "SIMPW-secret1",
    }  # fmt: skip
    good = capture | {"id": 42, "email": "ann@example.com"}
    lines = [json.dumps(capture), json.dumps(good), '{"cursor": "c2", "records": 2, "end": true}']

    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="\n".join(lines) + "\n")

    result = run_integration(
        CtacKeyloggerIntegration,
        KEYLOGGER | {"api_url": "http://ctac"},
        transport=httpx.MockTransport(answer),
    )
    assert (result.fetched, result.matched, result.malformed) == (2, 1, 1)
    assert result.samples == [("malformed email address", "keylogger record 41")]
    assert "SIMPW" not in repr(result)
    (batch,) = result.batches
    assert [i.value for i in batch.indicators if i.type.value == "Email Address"] == [
        "ann@example.com"
    ]
