"""Infostealer logs: credential blocks in text dumps and zips, matched by email domain."""

from __future__ import annotations

import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from tipwire.exchange.registry import Registry
from tipwire.exchange.runner import Runner
from tipwire.exchange.runs import RunStatus
from tipwire.integrations.stealer_logs import StealerLogsIntegration
from tipwire.providers.stealer_logs.parser import Refused, StolenCredential, credential_blocks

from ..store.snapshot import MOVING, snapshot
from .conftest import DATA, DOMAINS, Site

STEALER = DATA / "stealer"
WHEN = datetime(2024, 5, 1, tzinfo=UTC)


def test_blocks_split_on_rules_or_blank_lines_and_every_prefix_is_read() -> None:
    dump = (
        "URL: https://a.example.com\nUsername: a@example.com\nPassword: pw\nApplication: Chrome\n"
        "===============\n"
        "Host: https://b.example.com\nLogin: b@example.com\nPASS: pw\nSoft: Edge\n"
        "\n"
        "Hostname: https://c.example.com\nUSER: c@example.com\nPass: pw\nBrowser: Opera\n"
        "------------\n"
        "URL: https://d.example.com\nLogin: d@example.com\nPassword:\n"
    )
    found = list(credential_blocks(dump, WHEN))
    assert all(isinstance(item, StolenCredential) for item in found)
    credentials = [item for item in found if isinstance(item, StolenCredential)]
    assert [(c.email, c.leak_url, c.application, c.line) for c in credentials] == [
        ("a@example.com", "https://a.example.com", "Chrome", 1),
        ("b@example.com", "https://b.example.com", "Edge", 6),
        ("c@example.com", "https://c.example.com", "Opera", 11),
        ("d@example.com", "https://d.example.com", "", 16),
    ]
    assert [c.password_captured for c in credentials] == [True, True, True, False]
    assert not any("pw" in repr(c).split("password_captured")[0] for c in credentials)


def test_a_block_without_login_is_refused_by_line_and_banners_are_passed_over() -> None:
    dump = "*** Stealer v2 ***\n\nURL: https://x.example.com\nPassword: SECRETPW-1\n\nIP: 1.2.3.4\n"
    (refused,) = credential_blocks(dump, WHEN)
    assert refused == Refused(3, "credential block has no username or login")


def configure(site: Site, **extra: str) -> None:
    site.configs.configure("stealer-logs", {"domains": DOMAINS} | extra)


def no_password_anywhere(site: Site, *outputs: str) -> None:
    haystack = site.every_text() + "".join(outputs)
    assert "@example.com" in haystack  # the search did see the stored credentials
    assert "SECRETPW" not in haystack


def test_a_folder_import_makes_keylogger_events_and_keeps_no_password(site: Site) -> None:
    configure(site)
    done = site.tipwire("import", "stealer-logs", str(STEALER))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "All Passwords.txt (credentials): 4 rows read, 2 matched, 1 malformed" in out
    assert "Passwords.txt (credentials): 5 rows read, 2 matched, 1 malformed" in out
    assert "line 20: credential block has no username or login" in out
    assert "System Info.txt (credentials): 0 rows read" in out
    emails = site.indicators("Email Address")
    assert set(emails) == {
        "alice@example.com",
        "frank@example.com",
        "grace@example.com",
        "heidi@sub.example.com",
    }  # erin had no password; dave and ivan are not monitored
    assert {v.status for v in emails.values()} == {"Whitelisted"}
    assert {
        ("Leak Location", "https://intranet.example.com/login"),  # user:password@ removed
        ("Application", "Google_[Chrome]_Default"),
        ("Password Captured", "Yes"),
    } <= site.attributes(emails["frank@example.com"])
    titles = sorted(e.title for e in site.events())
    assert titles == [
        "Infostealer logs keylogger: 2 credentials captured for example.com",
        "Infostealer logs keylogger: 2 credentials captured for example.com",
    ]  # one event per dump file
    assert {e.type for e in site.events()} == {"Login Compromise"}
    no_password_anywhere(site, done.stdout, done.stderr)


def test_a_zip_import_twice_adds_nothing(site: Site, tmp_path: Path) -> None:
    configure(site, include_subdomains="false")
    archive = tmp_path / "logs.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(STEALER.rglob("*.txt")):
            out.write(path, path.relative_to(STEALER).as_posix())
        out.writestr("victim-2/cookies.bin", b"\x00SECRETPW-cookie")
    first = site.tipwire("import", "stealer-logs", str(archive))
    assert first.returncode == 0, first.stderr
    assert (
        "logs.zip!victim-2/All Passwords.txt (credentials): 4 rows read, 1 matched" in first.stdout
    )
    assert "heidi@sub.example.com" not in site.indicators("Email Address")
    before = snapshot(site.engine, MOVING)
    second = site.tipwire("import", "stealer-logs", str(archive), "--json")
    assert second.returncode == 0, second.stderr
    assert snapshot(site.engine, MOVING) == before
    no_password_anywhere(site, first.stdout, second.stdout, first.stderr)


def test_the_watched_folder_is_read_once_per_file(site: Site, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(STEALER / "Passwords.txt", folder / "one.txt")
    registry = Registry.of(StealerLogsIntegration)
    site.configs.registry = registry
    configure(site, folder=str(folder))
    site.configs.set_enabled("stealer-logs", True)
    runner = Runner(site.engine, registry, site.settings)
    first = runner.run("stealer-logs")
    assert first.status is RunStatus.PARTIAL, first.error  # the block without a login
    assert (first.totals.fetched, first.totals.matched, first.totals.malformed) == (5, 2, 1)
    assert first.totals.errors[0]["sample"] == "one.txt line 20"
    shutil.copy(STEALER / "victim-2" / "All Passwords.txt", folder / "two.txt")
    second = runner.run("stealer-logs")
    assert (second.totals.fetched, second.totals.matched) == (4, 2)  # only the new file
    third = runner.run("stealer-logs")
    assert (third.totals.fetched, third.status) == (0, RunStatus.SUCCESS)
    assert len(site.indicators("Email Address")) == 4
    with site.engine.connect() as connection:
        logged = repr(connection.execute(text("SELECT * FROM integration_runs")).all())
    assert "SECRETPW" not in logged


def test_a_run_without_a_folder_says_how_to_import(site: Site) -> None:
    registry = Registry.of(StealerLogsIntegration)
    site.configs.registry = registry
    configure(site)
    site.configs.set_enabled("stealer-logs", True)
    outcome = Runner(site.engine, registry, site.settings).run("stealer-logs")
    assert outcome.status is RunStatus.FAILED
    assert "tipwire import stealer-logs PATH" in (outcome.error or "")
