"""tipwire.testing: a few lines run a plugin on recorded payloads or a local server."""

from __future__ import annotations

from typing import Any

import pytest

from tipwire.errors import ConfigurationError
from tipwire.model import IndicatorType
from tipwire.testing import HarnessResult, Reply, recorded, run_integration, serve

from .conftest import SightingsIntegration, SyntheticIntegration

SETTINGS = {"api_key": "k-123456", "cidr_blocks": "198.51.100.0/24, 2001:db8::/32"}


def sighting(number: int, ip: str) -> dict[str, Any]:
    return {
        "id": number,
        "ip": ip,
        "seen_at": f"2026-05-01T12:{number:02d}:00+00:00",
        "malware": "Emotet",
        "url": f"http://evil{number}.example/gate.php",
    }


PAGES = {
    "/v1/sightings?after=0": {
        "sightings": [sighting(1, "198.51.100.7"), sighting(2, "192.0.2.1")],
        "has_more": True,
    },
    "/v1/sightings?after=2": {
        "sightings": [sighting(3, "2001:db8::1"), sighting(4, "bogus")],
        "has_more": False,
    },
}


def test_recorded_payloads_show_what_would_be_ingested() -> None:
    result = run_integration(
        SightingsIntegration,
        SETTINGS | {"api_url": "https://feed.example"},
        transport=recorded(PAGES),
    )
    assert result.cursor == "4"
    assert (result.fetched, result.matched) == (4, 2)
    assert (result.malformed, result.samples) == (1, [("ip is not an IP address", "4")])
    hosts = [i.value for i in result.indicators if i.type is not IndicatorType.URL]
    assert hosts == ["198.51.100.7", "2001:db8::1"]
    assert sorted(e.title for e in result.events) == [
        "Example sightings in 198.51.100.0/24",
        "Example sightings in 2001:db8::/32",
    ]
    assert len(result.relations) == 6


def test_a_local_http_server_serves_the_same_routes() -> None:
    with serve(PAGES) as url:
        result = run_integration(SightingsIntegration, SETTINGS | {"api_url": url}, cursor="2")
    assert result.indicators[0].value == "2001:db8::1"
    assert result.cursor == "4"


def test_resuming_from_a_cursor_keeps_the_origin_in_event_keys() -> None:
    def keys(result: HarnessResult) -> dict[str, str]:
        return {event.title: event.key for event in result.events}

    block = "Synthetic hits from 198.51.100.0/24"
    first = run_integration(SyntheticIntegration, {"total": 6}, max_batches=1)
    resumed = run_integration(SyntheticIntegration, {"total": 6}, cursor="3", origin_cursor=None)
    fresh = run_integration(SyntheticIntegration, {"total": 6}, cursor="3")
    assert first.cursor == "3"
    assert keys(resumed)[block] == keys(first)[block]  # the same event, continued
    assert keys(fresh)[block] != keys(first)[block]  # a new unit of work, a new event


def test_errors_surface_or_are_kept_with_the_batches_before_them() -> None:
    with pytest.raises(ConfigurationError, match="cidr_blocks"):
        run_integration(SightingsIntegration, {"api_url": "http://x", "api_key": "k-123456"})
    broken = recorded({"/v1/sightings": Reply(status=503, body="down")})
    result = run_integration(
        SightingsIntegration,
        SETTINGS | {"api_url": "http://x"},
        transport=broken,
        raise_errors=False,
    )
    assert result.batches == []
    assert "503" in str(result.error)
    failing = run_integration(
        SyntheticIntegration, {"total": 9, "fail_after_batches": 2}, raise_errors=False
    )
    assert (len(failing.batches), failing.cursor) == (2, "6")
    assert isinstance(failing.error, RuntimeError)
