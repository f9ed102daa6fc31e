"""Integrations over the API: masked secrets, validation naming the field, switches, run now."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tipwire.config import Settings
from tipwire.identity import Role
from tipwire.providers.ctac.serve import RunningSimulator, run_simulator
from tipwire.providers.ctac.simulator import SimulatorConfig

H = dict[Role, dict[str, str]]
KEY = "api-test-ctac-key"


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    with run_simulator(SimulatorConfig(seed=7, api_key=KEY, backlog=3000, rate=0.0)) as running:
        yield running


def test_configure_masks_the_key_and_names_a_bad_block(
    client: httpx.Client, headers: H, simulator: RunningSimulator
) -> None:
    admin = headers[Role.ADMIN]
    answer = client.put(
        "/api/integrations/ctac-sinkhole/config",
        json={"api_url": simulator.base_url, "api_key": KEY, "cidr_blocks": "203.0.113.0/24"},
        headers=admin,
    )
    assert answer.status_code == 200, answer.text
    shown = answer.json()["data"]
    assert shown["settings"]["api_key"] == "********"
    assert KEY not in answer.text
    assert shown["settings"]["cidr_blocks"] == ["203.0.113.0/24"]
    assert "api_key" in shown["secret_fields"]
    again = client.get("/api/integrations/ctac-sinkhole", headers=headers[Role.VIEWER])
    assert KEY not in again.text
    assert again.json()["data"]["config_schema"]["properties"]["cidr_blocks"]

    bad = client.put(
        "/api/integrations/ctac-sinkhole/config",
        json={"cidr_blocks": "203.0.113.0/24, 10.1.2.300/24"},
        headers=admin,
    )
    assert bad.status_code == 422
    problem = bad.json()["errors"][0]
    assert problem["field"].startswith("cidr_blocks")
    assert "10.1.2.300/24" in problem["message"]
    kept = client.get("/api/integrations/ctac-sinkhole", headers=admin).json()["data"]
    assert kept["settings"]["cidr_blocks"] == ["203.0.113.0/24"]

    unknown = client.put(
        "/api/integrations/ctac-sinkhole/config", json={"colour": "red"}, headers=admin
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "colour"
    audit = client.get("/api/audit", params={"object_type": "integration"}, headers=admin).json()[
        "data"
    ]
    assert [e["action"] for e in audit] == ["integration.configure"]
    assert KEY not in str(audit)
    assert audit[0]["after"]["api_key"] == "********"


def test_enable_refuses_an_unconfigured_integration_and_run_now_runs(
    client: httpx.Client,
    headers: H,
    simulator: RunningSimulator,
    settings: Settings,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = headers[Role.ADMIN]
    refused = client.post("/api/integrations/ctac-sinkhole/enable", headers=admin)
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} >= {"api_url", "api_key"}
    missing = client.get("/api/integrations/no-such-thing", headers=admin)
    assert missing.status_code == 404

    client.put(
        "/api/integrations/ctac-sinkhole/config",
        json={
            "api_url": simulator.base_url,
            "api_key": KEY,
            "cidr_blocks": ["198.51.100.0/24", "203.0.113.0/24"],
        },
        headers=admin,
    )
    enabled = client.post("/api/integrations/ctac-sinkhole/enable", headers=admin)
    assert enabled.json()["data"]["enabled"] is True
    # The run is a child process: it finds the same database and key file through the env.
    monkeypatch.setenv("TIPWIRE_DATABASE_URL", database_url)
    monkeypatch.setenv("TIPWIRE_DATA_DIR", str(settings.data_dir))
    started = client.post("/api/integrations/ctac-sinkhole/run", headers=admin)
    assert started.status_code == 202
    runs: list[dict[str, object]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runs = client.get(
            "/api/integrations/ctac-sinkhole/runs", headers=headers[Role.VIEWER]
        ).json()["data"]
        if runs and runs[0]["status"] != "running":
            break
        time.sleep(0.2)
    assert runs and runs[0]["status"] == "success", runs
    events = client.get("/api/events", headers=headers[Role.VIEWER]).json()
    assert events["total"] >= 1
    assert all(e["title"].startswith("CTAC sinkhole:") for e in events["data"])
    listed = client.get("/api/integrations", headers=headers[Role.VIEWER]).json()["data"]
    sinkhole = next(i for i in listed if i["name"] == "ctac-sinkhole")
    assert sinkhole["enabled"] is True
    assert sinkhole["last_run"]["status"] == "success"
    disabled = client.post("/api/integrations/ctac-sinkhole/disable", headers=admin)
    assert disabled.json()["data"]["enabled"] is False
