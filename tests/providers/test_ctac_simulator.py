"""The CTAC simulator: the documented wire format, realistic deterministic data, its knobs."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from tipwire.errors import ConfigurationError
from tipwire.providers.ctac.serve import RunningSimulator, run_simulator
from tipwire.providers.ctac.simulator import SimulatorConfig, encode_cursor
from tipwire.providers.ctac.synth import ORG_NETWORKS
from tipwire.providers.ctac.synth_keylogger import PLAINTEXT_MARKER, KeyloggerSynth
from tipwire.providers.ctac.synth_sinkhole import SinkholeSynth

KEY = "sim-key"
EPOCH = datetime.fromisoformat("2025-01-01T00:00:00+00:00")
SAMPLE = 20_000
ORG = [ipaddress.ip_network(network) for network in ORG_NETWORKS]


def sinkhole_sample(seed: int = 7, count: int = SAMPLE) -> list[dict[str, Any]]:
    """Return the first ``count`` hits of a seed as dicts."""
    return [json.loads(line) for line in SinkholeSynth(seed, EPOCH).lines(1, count + 1)]


def keylogger_sample(*, unredacted: bool = False) -> list[dict[str, Any]]:
    """Return the first SAMPLE captures of seed 7 as dicts."""
    synth = KeyloggerSynth(7, EPOCH, unredacted=unredacted)
    return [json.loads(line) for line in synth.lines(1, SAMPLE + 1)]


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """A small simulator shared by the wire-format tests."""
    with run_simulator(SimulatorConfig(seed=7, api_key=KEY, backlog=250)) as running:
        yield running


def get(sim: RunningSimulator, path: str, **params: Any) -> httpx.Response:
    """GET an API path of the simulator with the right key."""
    return httpx.get(f"{sim.base_url}{path}", params=params, headers={"X-Api-Key": KEY})


def test_same_seed_gives_the_same_records_whatever_the_rate() -> None:
    with (
        run_simulator(SimulatorConfig(seed=3, api_key=KEY, backlog=300)) as still,
        run_simulator(SimulatorConfig(seed=3, api_key=KEY, backlog=300, rate=6000)) as busy,
    ):
        for feed in ("sinkhole", "keylogger"):
            first = get(still, f"/api/v1/{feed}", per_page=300).json()["data"]
            second = get(busy, f"/api/v1/{feed}", per_page=300).json()["data"]
            assert first == second


def test_different_seeds_give_different_records() -> None:
    assert sinkhole_sample(1, 50) != sinkhole_sample(2, 50)


def test_records_do_not_depend_on_the_range_they_are_rendered_in() -> None:
    synth = SinkholeSynth(7, EPOCH)
    assert synth.lines(1, 101)[40:60] == synth.lines(41, 61)


def test_about_one_percent_of_hits_come_from_the_org_ranges_including_ipv6() -> None:
    addresses = [ipaddress.ip_address(hit["src_ip"]) for hit in sinkhole_sample()]
    in_org = [address for address in addresses if any(address in net for net in ORG)]
    assert 0.006 < len(in_org) / len(addresses) < 0.014
    assert {address.version for address in in_org} == {4, 6}
    assert sum(address.version == 6 for address in addresses) > SAMPLE * 0.1
    public = [address for address in addresses if address not in in_org]
    assert len({int(address) >> 16 for address in public if address.version == 4}) > 1000


def test_hits_look_like_real_sinkhole_traffic() -> None:
    hits = sinkhole_sample()
    assert len({hit["malware_family"] for hit in hits}) >= 20
    assert len({hit["http_host"] for hit in hits}) > 150
    assert len({hit["http_agent"] for hit in hits}) >= 10
    assert {"Conficker", "Necurs", "Ramnit", "Emotet"} <= {hit["malware_family"] for hit in hits}
    times = [datetime.fromisoformat(hit["seen_at"]) for hit in hits]
    assert times == sorted(times)


def test_captures_cover_many_domains_and_families() -> None:
    captures = keylogger_sample()
    domains = {capture["email"].split("@")[1] for capture in captures}
    assert {"example.com", "example.org", "mail.example.com", "bücher.example"} <= domains
    assert len(domains) > 25
    families = {capture["keylogger"] for capture in captures}
    assert {"Agent Tesla", "HawkEye", "Snake", "FormBook"} <= families
    assert len(families) >= 8
    assert len({capture["leak_url"] for capture in captures}) > 50


def test_about_a_third_of_captures_have_no_password_and_the_rest_are_redacted() -> None:
    passwords = [capture.get("password") for capture in keylogger_sample()]
    missing = [password for password in passwords if not password]
    assert 0.28 < len(missing) / len(passwords) < 0.38
    assert None in missing  # some leave the member out, some send ""
    assert "" in missing
    assert {password for password in passwords if password} == {"********"}


def test_unredacted_passwords_are_fake_and_marked() -> None:
    passwords = [str(c["password"]) for c in keylogger_sample(unredacted=True) if c.get("password")]
    assert all(password.startswith(PLAINTEXT_MARKER) for password in passwords)
    assert len(set(passwords)) == len(passwords)


def test_page_envelope_is_laravel_style_with_a_cursor(sim: RunningSimulator) -> None:
    page = get(sim, "/api/v1/sinkhole", per_page=100).json()
    assert (page["total"], page["per_page"], page["current_page"], page["last_page"]) == (
        250,
        100,
        1,
        3,
    )
    assert page["next_page_url"].endswith("page=2&per_page=100")
    assert page["cursor"] == encode_cursor("sinkhole", 100)
    assert [record["id"] for record in page["data"]] == list(range(1, 101))
    last = httpx.get(page["next_page_url"].replace("page=2", "page=3"), headers={"X-Api-Key": KEY})
    assert last.json()["next_page_url"] is None


def test_key_is_accepted_as_header_or_query_parameter_only_when_right(
    sim: RunningSimulator,
) -> None:
    url = f"{sim.base_url}/api/v1/keylogger"
    assert httpx.get(url, params={"api_key": KEY}).status_code == 200
    assert httpx.get(url, headers={"X-Api-Key": "nope"}).status_code == 401
    assert httpx.get(url).status_code == 401


def test_next_page_url_never_repeats_the_api_key(sim: RunningSimulator) -> None:
    url = f"{sim.base_url}/api/v1/sinkhole"
    page = httpx.get(url, params={"api_key": KEY, "per_page": 10}).json()
    assert KEY not in page["next_page_url"]


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/v1/sinkhole", {"since": encode_cursor("keylogger", 5)}, 400),
        ("/api/v1/sinkhole", {"since": "garbage!"}, 400),
        ("/api/v1/sinkhole", {"per_page": 0}, 400),
        ("/api/v1/sinkhole/export", {"checkpoint_every": "x"}, 400),
        ("/api/v1/phishing", {}, 404),
    ],
)
def test_bad_requests_are_answered_with_a_message(
    sim: RunningSimulator, path: str, params: dict[str, Any], status: int
) -> None:
    response = get(sim, path, **params)
    assert response.status_code == status
    assert response.json()["message"]


def test_export_streams_ndjson_closed_by_an_end_checkpoint(sim: RunningSimulator) -> None:
    response = get(sim, "/api/v1/sinkhole/export", checkpoint_every=100)
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    checkpoints = [line for line in lines if "cursor" in line]
    assert [record["id"] for record in lines if "id" in record] == list(range(1, 251))
    assert [c["records"] for c in checkpoints] == [100, 200, 250]
    assert checkpoints[-1] == {
        "cursor": encode_cursor("sinkhole", 250),
        "records": 250,
        "end": True,
    }


def test_export_with_nothing_new_sends_just_the_end_line(sim: RunningSimulator) -> None:
    response = get(sim, "/api/v1/keylogger/export", since=encode_cursor("keylogger", 250))
    assert [json.loads(line) for line in response.text.splitlines()] == [
        {"cursor": encode_cursor("keylogger", 250), "records": 0, "end": True}
    ]


def test_a_million_record_backlog_is_served_without_building_it() -> None:
    with run_simulator(SimulatorConfig(api_key=KEY, backlog=1_000_000)) as big:
        page = get(big, "/api/v1/sinkhole", per_page=10, page=100_000).json()
    assert page["total"] == 1_000_000
    assert [record["id"] for record in page["data"]][-1] == 1_000_000


def test_malformed_rate_breaks_records_in_each_documented_way() -> None:
    lines = SinkholeSynth(7, EPOCH, malformed_rate=0.05).lines(1, 2001)
    clean = SinkholeSynth(7, EPOCH).lines(1, 2001)
    broken = [json.loads(line) for line, good in zip(lines, clean, strict=True) if line != good]
    assert 60 < len(broken) < 140
    assert any("malware_family" not in record for record in broken)
    assert any(record["src_ip"] in ("999.12.0.1", "10.0.0", "not-an-address") for record in broken)
    assert any(record["seen_at"] in ("yesterday", "") for record in broken)


@pytest.mark.parametrize(
    "settings",
    [{"api_key": ""}, {"error_rate": 1.5}, {"backlog": -1}, {"epoch": datetime(2025, 1, 1)}],
)
def test_impossible_settings_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        SimulatorConfig(**settings)
