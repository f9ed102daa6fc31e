"""The Shadowserver monitor pulls reports from a fake Reports API over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tipwire.exchange.registry import Registry
from tipwire.exchange.runner import Runner
from tipwire.exchange.runs import RunStatus
from tipwire.integrations.report_files import state_of
from tipwire.integrations.shadowserver import ShadowserverIntegration
from tipwire.providers.shadowserver.fake import FakeReport, FakeReportsApi, serve_fake

from ..store.snapshot import MOVING, snapshot
from .conftest import BLOCKS, DATA, DOMAINS, Site

KEY = "ss-key-123"
SECRET = "ss-secret-456"


def day(days_ago: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days_ago)).isoformat()


def report(report_id: str, days_ago: int, file_name: str, report_type: str) -> FakeReport:
    content = (DATA / file_name).read_bytes()
    return FakeReport(report_id, report_type, day(days_ago), file_name, content)


@pytest.fixture
def api() -> FakeReportsApi:
    return FakeReportsApi(
        KEY,
        SECRET,
        [
            report(
                "r-old",
                9,
                "2024-05-01-event4_sinkhole_http-example-asn.csv",
                "event4_sinkhole_http",
            ),
            report(
                "r-1", 1, "2024-05-01-event4_sinkhole_http-example-asn.csv", "event4_sinkhole_http"
            ),
            report(
                "r-2",
                0,
                "2024-05-02-event6_sinkhole_http_example_com-asn.csv",
                "event6_sinkhole_http",
            ),
            report("r-3", 0, "2024-05-01-compromised_account-example.csv", "compromised_account"),
            report("r-4", 0, "2024-05-01-compromised_account-example.csv", "scan_ftp"),
        ],
    )


@pytest.fixture
def served(api: FakeReportsApi) -> Iterator[str]:
    with serve_fake(api) as base_url:
        yield base_url


def runner_for(site: Site, base_url: str, secret: str = SECRET) -> Runner:
    registry = Registry.of(ShadowserverIntegration)
    configs = site.configs
    configs.registry = registry
    configs.configure(
        "shadowserver",
        {
            "cidr_blocks": BLOCKS,
            "domains": DOMAINS,
            "api_key": KEY,
            "api_secret": secret,
            "api_url": f"{base_url}/api2",
            "download_url": f"{base_url}/dl",
        },
    )
    configs.set_enabled("shadowserver", True)
    return Runner(site.engine, registry, site.settings)


def test_a_run_imports_the_windows_new_reports_and_remembers_them(
    site: Site, api: FakeReportsApi, served: str
) -> None:
    runner = runner_for(site, served)
    outcome = runner.run("shadowserver")
    assert outcome.status is RunStatus.PARTIAL, outcome.error  # the sinkhole report has bad rows
    assert sorted(api.downloads) == ["r-1", "r-2", "r-3"]  # not too old, not a foreign type
    (asked,) = api.list_requests
    assert asked["date"] == f"{day(3)}:{day(0)}"
    assert (outcome.totals.fetched, outcome.totals.matched) == (7 + 3 + 4, 3 + 2 + 2)
    assert outcome.totals.malformed == 3 + 1
    assert any("line 6" in e.get("sample", "") for e in outcome.totals.errors)
    assert set(site.indicators("IPv6 Address")) == {"2001:db8:10::5", "2001:db8:10::6"}
    assert set(site.indicators("Email Address")) == {"alice@example.com", "bob@mail.example.com"}
    assert set(state_of(outcome.totals.cursor)["done"]) == {"r-1", "r-2", "r-3"}

    before = snapshot(site.engine, MOVING)
    again = runner.run("shadowserver")
    assert again.status is RunStatus.SUCCESS, again.error
    assert len(api.list_requests) == 2  # the window is listed again ...
    assert sorted(api.downloads) == ["r-1", "r-2", "r-3"]  # ... but nothing downloaded again
    after = snapshot(site.engine, MOVING)
    assert {k: v for k, v in after.items() if k != "integration_runs"} == {
        k: v for k, v in before.items() if k != "integration_runs"
    }


def test_a_report_seen_in_a_file_and_through_the_api_counts_once(
    site: Site, api: FakeReportsApi, served: str
) -> None:
    runner = runner_for(site, served)
    event6 = DATA / "2024-05-02-event6_sinkhole_http_example_com-asn.csv"
    assert site.tipwire("import", "shadowserver", str(event6)).returncode == 0
    runner.run("shadowserver")
    assert site.indicators("IPv6 Address")["2001:db8:10::5"].counters == {"hits": 1}
    titles = [e.title for e in site.events()]
    assert titles.count("Shadowserver sinkhole: 2 hits from 2001:db8:10::/48") == 1


def test_a_wrong_secret_fails_the_run_and_is_never_shown(site: Site, served: str) -> None:
    runner = runner_for(site, served, secret="not-the-secret")
    outcome = runner.run("shadowserver")
    assert outcome.status is RunStatus.FAILED
    assert outcome.error is not None
    assert "HTTP 401" in outcome.error
    assert "not-the-secret" not in repr(outcome) + site.every_text()


def test_a_run_without_api_credentials_says_how_to_import_files(site: Site) -> None:
    registry = Registry.of(ShadowserverIntegration)
    site.configs.registry = registry
    site.configs.configure("shadowserver", {"cidr_blocks": BLOCKS})
    site.configs.set_enabled("shadowserver", True)
    outcome = Runner(site.engine, registry, site.settings).run("shadowserver")
    assert outcome.status is RunStatus.FAILED
    assert outcome.error is not None
    assert "tipwire import shadowserver" in outcome.error
