"""The CTAC sinkhole monitor end to end: simulator over real HTTP, runner, store, read side."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tipwire.config import Settings
from tipwire.errors import ConfigurationError
from tipwire.exchange.configs import ConfigStore
from tipwire.exchange.registry import Registry
from tipwire.exchange.runner import Runner
from tipwire.exchange.runs import RunStatus
from tipwire.integrations.ctac_sinkhole import CtacSinkholeIntegration
from tipwire.providers.ctac import SINKHOLE
from tipwire.providers.ctac.serve import RunningSimulator, run_simulator
from tipwire.providers.ctac.simulator import SimulatorConfig
from tipwire.store import queries

BLOCKS = ["198.51.100.0/24", "203.0.113.0/24", "2001:db8:1000::/36"]
KEY = "sinkhole-test-key"


class Clock:
    """A hand-moved clock for the simulator, so new records arrive when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def simulator(clock: Clock) -> Iterator[RunningSimulator]:
    config = SimulatorConfig(seed=7, api_key=KEY, backlog=6000, rate=600.0, clock=clock)
    with run_simulator(config) as running:
        yield running


def raw_hits(base_url: str) -> list[dict[str, object]]:
    """Every sinkhole record the simulator serves now, read with plain JSON as an oracle."""
    lines = httpx.get(f"{base_url}/api/v1/sinkhole/export", headers={"X-Api-Key": KEY}).text
    return [r for r in map(json.loads, lines.splitlines()) if "src_ip" in r]


def expected_per_block(hits: list[dict[str, object]]) -> dict[str, list[dict[str, object]]]:
    """The hits each monitored block contains, by the most specific block, with ipaddress."""
    networks = [ipaddress.ip_network(b) for b in BLOCKS]
    found: dict[str, list[dict[str, object]]] = {}
    for hit in hits:
        address = ipaddress.ip_address(str(hit["src_ip"]))
        inside = [n for n in networks if address.version == n.version and address in n]
        if inside:
            best = max(inside, key=lambda n: n.prefixlen)
            found.setdefault(best.compressed, []).append(hit)
    return found


def monitor_runner(engine: Engine, tmp_path: Path, base_url: str) -> Runner:
    """A runner with the sinkhole monitor configured for ``BLOCKS`` at ``base_url``."""
    registry = Registry.of(CtacSinkholeIntegration)
    settings = Settings(data_dir=tmp_path / "data", secret_key=None, database_url=None)
    configs = ConfigStore(engine, registry, settings)
    configs.configure(
        "ctac-sinkhole",
        {"api_url": base_url, "api_key": KEY, "cidr_blocks": ", ".join(BLOCKS)},
    )
    configs.set_enabled("ctac-sinkhole", True)
    return Runner(engine, registry, settings)


@pytest.fixture
def runner(engine: Engine, tmp_path: Path, simulator: RunningSimulator) -> Runner:
    return monitor_runner(engine, tmp_path, simulator.base_url)


def events_by_block(engine: Engine) -> dict[str, queries.EventView]:
    with engine.connect() as connection:
        events = queries.list_events(connection, queries.EventQuery(limit=1000)).items
    return {e.title.rsplit(" from ", 1)[1]: e for e in events}


def test_a_run_makes_one_event_per_block_exactly_as_specified(
    runner: Runner, engine: Engine, simulator: RunningSimulator
) -> None:
    expected = expected_per_block(raw_hits(simulator.base_url))
    assert set(expected) == set(BLOCKS)  # the simulator hits every demo block, IPv6 included
    outcome = runner.run("ctac-sinkhole")
    assert outcome.status is RunStatus.SUCCESS
    assert outcome.totals.matched == sum(len(h) for h in expected.values())
    events = events_by_block(engine)
    assert set(events) == set(BLOCKS)
    with engine.connect() as connection:
        for block, hits in expected.items():
            event = events[block]
            assert event.title == f"CTAC sinkhole: {len(hits)} hits from {block}"
            assert event.type == "Command and Control"
            assert event.sources == ["Wapack Labs CTAC"]
            first = min(
                datetime.fromisoformat(str(h["seen_at"]).replace("Z", "+00:00")) for h in hits
            )
            assert event.happened_at == first
            families = sorted({str(h["malware_family"]) for h in hits})
            assert event.description.endswith(f"Malware families: {', '.join(families)}.")
            related = queries.event_indicators(connection, event.id).items
            hosts = {v.value for v in related if v.type in ("IP Address", "IPv6 Address")}
            expected_hosts = {ipaddress.ip_address(str(h["src_ip"])).compressed for h in hits}
            assert hosts == expected_hosts
            assert all(v.status == "Review" for v in related if v.value in hosts)
            per_host: dict[str, int] = {}
            for h in hits:
                address = ipaddress.ip_address(str(h["src_ip"])).compressed
                per_host[address] = per_host.get(address, 0) + 1
            counted = {v.value: v.counters.get("hits") for v in related if v.value in hosts}
            assert counted == per_host
        hit = expected["2001:db8:1000::/36"][0]
        host = queries.find_indicators(connection, str(hit["src_ip"]))[0]
        assert host.type == "IPv6 Address"
        attributes = {(a.name, a.value) for a in queries.indicator_attributes(connection, host.id)}
        assert ("Malware Family", hit["malware_family"]) in attributes
        assert ("Monitored Block", "2001:db8:1000::/36") in attributes
        neighbours = {
            (v.type, v.value, v.status) for v in queries.related_indicators(connection, host.id)
        }
        url = f"http://{str(hit['http_host']).lower()}{hit['http_url']}"
        assert ("URL", url, "Active") in neighbours
        assert ("User-agent", hit["http_agent"], "Review") in neighbours
        url_view = next(v for v in queries.find_indicators(connection, url) if v.type == "URL")
        url_attributes = {
            (a.name, a.value) for a in queries.indicator_attributes(connection, url_view.id)
        }
        assert ("Malware Family", hit["malware_family"]) in url_attributes
        url_neighbours = {
            (v.type, v.value) for v in queries.related_indicators(connection, url_view.id)
        }
        assert ("FQDN", str(hit["http_host"]).lower()) in url_neighbours
        outside = queries.list_indicators(
            connection, queries.IndicatorQuery(type=None, limit=1000)
        ).items
        for view in outside:
            if view.type in ("IP Address", "IPv6 Address"):
                address = ipaddress.ip_address(view.value)
                assert any(
                    address.version == n.version and address in n
                    for n in map(ipaddress.ip_network, BLOCKS)
                ), view.value


def test_a_second_run_without_new_hits_changes_nothing(runner: Runner, engine: Engine) -> None:
    runner.run("ctac-sinkhole")
    with engine.connect() as connection:
        before = (
            [
                e.as_dict()
                for e in queries.list_events(connection, queries.EventQuery(limit=1000)).items
            ],
            [
                i.as_dict()
                for i in queries.list_indicators(
                    connection, queries.IndicatorQuery(limit=1000)
                ).items
            ],
        )
    outcome = runner.run("ctac-sinkhole")
    assert outcome.status is RunStatus.SUCCESS
    assert outcome.totals.fetched == 0
    with engine.connect() as connection:
        after = (
            [
                e.as_dict()
                for e in queries.list_events(connection, queries.EventQuery(limit=1000)).items
            ],
            [
                i.as_dict()
                for i in queries.list_indicators(
                    connection, queries.IndicatorQuery(limit=1000)
                ).items
            ],
        )
    assert after == before


def test_new_hits_open_new_events_and_known_hosts_are_not_duplicated(
    runner: Runner, engine: Engine, simulator: RunningSimulator, clock: Clock
) -> None:
    runner.run("ctac-sinkhole")
    first = events_by_block(engine)
    with engine.connect() as connection:
        indicators_before = queries.list_indicators(
            connection, queries.IndicatorQuery(limit=1)
        ).total
    clock.now += 600  # 10 minutes at 600/min: 6000 new hits, about 1% from the blocks
    try:
        outcome = runner.run("ctac-sinkhole")
    finally:
        clock.now -= 600  # other tests see the backlog only
    assert outcome.status is RunStatus.SUCCESS
    assert outcome.totals.fetched == 6000
    with engine.connect() as connection:
        events = queries.list_events(connection, queries.EventQuery(limit=1000)).items
        indicators_after = queries.list_indicators(
            connection, queries.IndicatorQuery(limit=1)
        ).total
        keys = [
            i.as_dict()["value"]
            for i in queries.list_indicators(connection, queries.IndicatorQuery(limit=1000)).items
        ]
    assert len(events) > len(first)  # a new run with new hits opens new events
    assert {e.id for e in first.values()} <= {e.id for e in events}
    assert indicators_after >= indicators_before
    assert len(keys) == len(set(keys))


def test_an_invalid_block_among_ten_thousand_is_named_with_its_position(
    engine: Engine, tmp_path: Path
) -> None:
    registry = Registry.of(CtacSinkholeIntegration)
    settings = Settings(data_dir=tmp_path / "data", secret_key=None, database_url=None)
    blocks = [f"10.{i // 256}.{i % 256}.0/24" for i in range(10_000)]
    blocks[7321] = "10.0.0.0/33"
    blocks += ["10.0.0.0/8", "10.0.0.0/24"]  # overlaps and duplicates are fine
    with pytest.raises(ConfigurationError) as caught:
        ConfigStore(engine, registry, settings).configure(
            "ctac-sinkhole",
            {"api_url": "http://127.0.0.1:9", "api_key": KEY, "cidr_blocks": ",".join(blocks)},
        )
    assert "'10.0.0.0/33'" in str(caught.value)
    assert "(item 7322)" in str(caught.value)


def test_malformed_hits_are_reported_when_they_may_be_ours_and_every_record_is_counted(
    engine: Engine, tmp_path: Path
) -> None:
    """Hits from elsewhere are read for their address alone; the rest is decoded and checked."""
    config = SimulatorConfig(seed=11, api_key=KEY, backlog=4000, malformed_rate=0.05)
    with run_simulator(config) as broken:
        lines = httpx.get(
            f"{broken.base_url}/api/v1/sinkhole/export", headers={"X-Api-Key": KEY}
        ).content.splitlines()
        outcome = monitor_runner(engine, tmp_path, broken.base_url).run("ctac-sinkhole")
    networks = [ipaddress.ip_network(b) for b in BLOCKS]

    def ours(record: dict[str, object]) -> bool | None:
        """In a block, outside, or None when the address is unreadable."""
        try:
            address = ipaddress.ip_address(str(record["src_ip"]))
        except (KeyError, ValueError):
            return None
        return any(address.version == n.version and address in n for n in networks)

    records = [json.loads(line) for line in lines if b'"checkpoint"' not in line]
    records = [r for r in records if "cursor" not in r]  # the export's control lines
    good_ids = {hit.id for hit in SINKHOLE.decode_lines(b"\n".join(lines)).records}
    suspect = [r for r in records if ours(r) is not False]
    expected_malformed = [r for r in suspect if r.get("id") not in good_ids or ours(r) is None]
    assert len(expected_malformed) > 0
    assert outcome.status is RunStatus.PARTIAL  # malformed records make a run partial
    assert outcome.totals.fetched == len(records) == 4000
    assert outcome.totals.malformed == len(expected_malformed)
    assert outcome.totals.matched == len(
        [r for r in suspect if r.get("id") in good_ids and ours(r)]
    )
