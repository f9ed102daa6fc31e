"""The built-in CTAC integrations: discovered by entry point, configured fully, run honestly."""

from __future__ import annotations

import json
from pathlib import Path
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
from tipwire.providers.ctac.serve import run_simulator
from tipwire.providers.ctac.simulator import SimulatorConfig
from tipwire.store import Store, make_engine
from tipwire.testing import Reply, recorded, run_integration

from .snapshot import intelligence

SINKHOLE = {
    "api_key": "k-123456",
    "cidr_blocks": "198.51.100.0/24, 2001:db8:1000::/36",
    "retry_seconds": "0",
}
BLOCKS = ["198.51.100.0/24", "203.0.113.0/24", "2001:db8:1000::/36"]
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


def test_the_sinkhole_pull_stores_the_same_in_a_worker_as_in_the_run(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    # On the real network the pull runs in a worker process; a transport keeps it in the run.
    config = SimulatorConfig(seed=5, api_key="k-123456", backlog=30_000, malformed_rate=0.01)
    in_run = make_engine(f"sqlite:///{tmp_path / 'in-run.db'}")
    Store(in_run).upgrade()
    outcomes = []
    with run_simulator(config) as simulator:
        for target, transport in ((engine, None), (in_run, httpx.HTTPTransport())):
            registry = Registry.of(CtacSinkholeIntegration)
            configs = ConfigStore(target, registry, settings)
            configs.configure(
                "ctac-sinkhole",
                SINKHOLE | {"api_url": simulator.base_url, "cidr_blocks": ", ".join(BLOCKS)},
            )
            configs.set_enabled("ctac-sinkhole", True)
            outcomes.append(
                Runner(target, registry, settings, transport=transport).run("ctac-sinkhole")
            )
    worker, local = outcomes
    assert worker.status is local.status is RunStatus.PARTIAL  # malformed records counted
    assert (worker.totals.fetched, worker.totals.matched) == (30_000, local.totals.matched)
    assert worker.totals.malformed == local.totals.malformed > 0
    assert worker.totals.errors == local.totals.errors
    assert stored(engine) == stored(in_run)
    in_run.dispose()


def stored(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """The intelligence, less the times an event attribute was written (the clock's, not data)."""
    found = intelligence(engine)
    found["event_attributes"] = [row[:-2] for row in found["event_attributes"]]
    return found


def test_a_refused_key_fails_the_run_from_the_worker_and_commits_nothing(
    engine: Engine, settings: Settings
) -> None:
    with run_simulator(SimulatorConfig(api_key="the-right-key", backlog=100)) as simulator:
        registry = Registry.of(CtacSinkholeIntegration)
        configs = ConfigStore(engine, registry, settings)
        configs.configure("ctac-sinkhole", SINKHOLE | {"api_url": simulator.base_url})
        configs.set_enabled("ctac-sinkhole", True)
        outcome = Runner(engine, registry, settings).run("ctac-sinkhole")
    assert outcome.status is RunStatus.FAILED
    assert (outcome.error or "").startswith("CtacAuthError: CTAC refused the API key (HTTP 401)")
    assert "k-123456" not in (outcome.error or "")
    assert intelligence(engine)["events"] == []
