"""Shadowserver report files, read by header name and imported through `tipwire import`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tipwire.errors import InvalidValueError
from tipwire.integrations.sinkhole_events import request_url
from tipwire.providers.shadowserver.reader import ReportReader
from tipwire.providers.shadowserver.records import sinkhole_columns, sinkhole_hit
from tipwire.providers.shadowserver.reports import report_type_of

from ..store.snapshot import MOVING, snapshot
from .conftest import BLOCKS, DATA, DOMAINS, Site

EVENT4 = DATA / "2024-05-01-event4_sinkhole_http-example-asn.csv"
EVENT6 = DATA / "2024-05-02-event6_sinkhole_http_example_com-asn.csv"
DRONE = DATA / "2019-03-01-botnet_drone-example-asn.csv"
PLAIN = DATA / "2024-05-03-event4_sinkhole-example.csv"
ACCOUNTS = DATA / "2024-05-01-compromised_account-example.csv"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2024-05-01-event4_sinkhole_http-example-asn.csv", "event4_sinkhole_http"),
        ("2024-05-01-event4_sinkhole-example-asn.csv", "event4_sinkhole"),
        ("2024-05-02-event6_sinkhole_http_example_com-asn.csv", "event6_sinkhole_http"),
        ("2024-05-01-event6_sinkhole-example.csv", "event6_sinkhole"),
        ("2024-05-01-event4_microsoft_sinkhole_http-x.csv", "event4_microsoft_sinkhole_http"),
        ("2019-03-01-botnet_drone-example-asn.csv", "botnet_drone"),
        ("2024-05-01-compromised_account-example.csv", "compromised_account"),
        ("2024-05-01-scan_ftp-example.csv", None),
        ("notes.csv", None),
    ],
)
def test_the_report_type_comes_from_the_file_name(name: str, expected: str | None) -> None:
    assert report_type_of(name) == expected


def test_columns_are_found_by_name_whatever_their_order() -> None:
    with ReportReader(EVENT6) as reader:
        columns = sinkhole_columns(reader.header, EVENT6.name)
        (chunk,) = reader.chunks()
    hit = sinkhole_hit(columns, chunk.row(0), chunk.lines[0])
    assert (hit.src_ip, hit.http_host, hit.malware_family) == (
        "2001:db8:10::5",
        "sink6.example.net",
        "qakbot",
    )
    assert hit.seen_at.isoformat() == "2024-05-02T03:04:05+00:00"
    extras = dict(hit.extras)
    assert extras["cve_guess"] == "CVE-2024-0001"  # an unknown column is kept under its name
    assert extras["ASN"] == "64500"
    assert "src_port" not in extras  # per-hit noise, and "0" means absent anyway
    assert request_url(hit.http_host, hit.http_url) == "http://sink6.example.net/api/beacon"


def test_the_legacy_drone_report_uses_its_own_column_names() -> None:
    with ReportReader(DRONE) as reader:
        columns = sinkhole_columns(reader.header, DRONE.name)
        (chunk,) = reader.chunks()
    hit = sinkhole_hit(columns, chunk.row(0), chunk.lines[0])
    assert hit.src_ip == "198.51.100.44"
    assert hit.malware_family == "conficker"  # from `family`: `infection` is empty
    assert (hit.http_host, hit.http_url, hit.http_agent) == (
        "drone-cc.example.net",
        "/search?q=1",
        "Mozilla/5.0 (drone)",
    )
    assert ("Sinkhole IP", "192.0.2.99") in hit.extras
    assert ("Machine Name", "PC-44") in hit.extras


def test_a_header_without_the_address_column_is_refused_by_name(tmp_path: Path) -> None:
    broken = tmp_path / "2024-05-01-event4_sinkhole_http-x.csv"
    broken.write_text("timestamp,src_addr,infection\n2024-05-01 00:00:00,198.51.100.1,x\n")
    with ReportReader(broken) as reader, pytest.raises(InvalidValueError) as caught:
        sinkhole_columns(reader.header, broken.name)
    assert "has no src_ip or ip column" in str(caught.value)
    assert broken.name in str(caught.value)


def configure(site: Site, **extra: str) -> None:
    site.configs.configure("shadowserver", {"cidr_blocks": BLOCKS, "domains": DOMAINS} | extra)


def test_sinkhole_reports_become_events_per_block_with_indicators(site: Site) -> None:
    configure(site)
    done = site.tipwire("import", "shadowserver", str(EVENT4), str(EVENT6), str(DRONE), str(PLAIN))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "event4_sinkhole_http): 7 rows read, 3 matched, 3 malformed" in out
    assert "line 6: src_ip 'not-an-address' is not an IP address" in out
    assert "line 7: has 3 fields, the header has 39" in out
    assert "line 8: timestamp: 'yesterday' is not a date and time" in out
    assert "event6_sinkhole_http): 3 rows read, 2 matched, 0 malformed" in out
    assert "botnet_drone): 2 rows read, 1 matched, 0 malformed" in out
    assert "event4_sinkhole): 1 rows read, 1 matched, 0 malformed" in out

    hosts = site.indicators("IP Address") | site.indicators("IPv6 Address")
    assert set(hosts) == {
        "198.51.100.7",
        "198.51.100.20",
        "198.51.100.44",
        "198.51.100.50",  # an IPv4-mapped IPv6 source is stored as IPv4
        "2001:db8:10::5",
        "2001:db8:10::6",
    }
    assert {v.status for v in hosts.values()} == {"Review"}
    urls = site.indicators("URL")
    assert set(urls) == {
        "http://evil.example.net/gate.php?id=1",  # from a whole request line
        "http://evil.example.net/panel/config.bin",
        "http://c2.example.org/",  # an empty http_url: the host alone
        "http://sink6.example.net/api/beacon",
        "http://drone-cc.example.net/search?q=1",
    }
    assert {v.status for v in urls.values()} == {"Active"}
    assert hosts["198.51.100.7"].counters == {"hits": 2}
    attributes = site.attributes(hosts["198.51.100.7"])
    assert {
        ("Malware Family", "andromeda"),
        ("Monitored Block", "198.51.100.0/24"),
        ("ASN", "64500"),
        ("Country", "DE"),
        ("City", "MUNICH"),
        ("Hostname", "ws7.example.com"),
        ("Sinkhole IP", "192.0.2.10"),
        ("Severity", "medium"),
    } <= attributes
    assert not {name for name, _ in attributes} & {"NAICS", "src_port", "event_id"}
    assert ("cve_guess", "CVE-2024-0001") in site.attributes(hosts["2001:db8:10::5"])

    events = {e.title: e for e in site.events()}
    assert set(events) == {
        "Shadowserver sinkhole: 3 hits from 198.51.100.0/24",  # event4_sinkhole_http
        "Shadowserver sinkhole: 2 hits from 2001:db8:10::/48",
        "Shadowserver sinkhole: 1 hits from 198.51.100.0/24",  # the drone and plain reports
    }
    assert {e.type for e in events.values()} == {"Command and Control"}
    four = events["Shadowserver sinkhole: 3 hits from 198.51.100.0/24"]
    assert ("FQDN", "evil.example.net") in site.event_indicators(four)
    assert ("IP Address", "198.51.100.20") in site.event_indicators(four)


def test_the_same_file_twice_adds_nothing(site: Site, tmp_path: Path) -> None:
    configure(site)
    assert site.tipwire("import", "shadowserver", str(EVENT4), str(ACCOUNTS)).returncode == 0
    before = snapshot(site.engine, MOVING)
    again = site.tipwire("import", "shadowserver", str(EVENT4), str(ACCOUNTS))
    assert again.returncode == 0, again.stderr
    # Under another name, with the type given: still the same content.
    copy = tmp_path / "renamed.csv"
    shutil.copy(EVENT4, copy)
    renamed = site.tipwire("import", "shadowserver", "--type", "event4_sinkhole_http", str(copy))
    assert renamed.returncode == 0, renamed.stderr
    assert snapshot(site.engine, MOVING) == before  # only "last seen" times may move
    assert site.indicators("IP Address")["198.51.100.7"].counters == {"hits": 2}


def test_compromised_accounts_feed_the_keylogger_flow(site: Site) -> None:
    configure(site)
    done = site.tipwire("import", "shadowserver", "--json", str(ACCOUNTS))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["rows"], report["matched"], report["malformed"]) == (4, 2, 1)
    assert report["malformed_lines"] == [
        {"line": 5, "reason": "email 'not-an-email' is not an email address"}
    ]
    emails = site.indicators("Email Address")
    assert set(emails) == {"alice@example.com", "bob@mail.example.com"}
    assert {v.status for v in emails.values()} == {"Whitelisted"}
    alice = site.attributes(emails["alice@example.com"])
    assert {
        ("Keylogger", "redline"),
        ("Leak Location", "https://login.example.com/sso"),
        ("Application", "webmail"),
        ("Public Source", "stealerfeed"),
        ("Account Status", "active"),
        ("Detail", "seen in log"),
    } <= alice
    assert set(site.indicators("Username")) == {"alice"}
    (event,) = site.events()
    assert event.type == "Login Compromise"
    assert event.title == "Shadowserver keylogger: 2 credentials captured for example.com"
    assert "SECRETPW" not in site.every_text()  # a password-like column is never kept


def test_a_file_that_cannot_be_read_is_named_and_the_others_are_imported(
    site: Site, tmp_path: Path
) -> None:
    configure(site)
    unnamed = tmp_path / "report.csv"
    shutil.copy(EVENT4, unnamed)
    headless = tmp_path / "2024-05-01-event4_sinkhole_http-empty.csv"
    headless.write_text("")
    done = site.tipwire("import", "shadowserver", str(unnamed), str(headless), str(EVENT6))
    assert done.returncode == 1
    assert "report.csv: nothing imported" in done.stderr
    assert "give it with --type" in done.stderr
    assert "has no header line" in done.stderr
    assert "event6_sinkhole_http): 3 rows read, 2 matched" in done.stdout
    assert set(site.indicators("IPv6 Address")) == {"2001:db8:10::5", "2001:db8:10::6"}
    assert not site.indicators("IP Address")


def test_import_needs_the_integration_configured(site: Site) -> None:
    done = site.tipwire("import", "shadowserver", str(EVENT4))
    assert done.returncode == 2
    assert "shadowserver is not configured" in done.stderr
    bad_type = site.tipwire("import", "shadowserver", "--type", "scan_ftp", str(EVENT4))
    assert bad_type.returncode == 2
    assert "'scan_ftp' is not a report type TipWire reads" in bad_type.stderr
