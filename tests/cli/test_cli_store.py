"""The ``tipwire`` command, run as users run it: a real process on a real database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TIPWIRE = shutil.which("tipwire", path=str(Path(sys.executable).parent)) or "tipwire"


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``tipwire ARGS``; when ``ok``, fail the test on a non-zero exit."""
    done = subprocess.run(
        [TIPWIRE, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if ok:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """Environment for a fresh TipWire on each database kind."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TIPWIRE_")}
    environment["TIPWIRE_DATA_DIR"] = str(tmp_path / "data")
    if request.param == "postgresql":
        environment["TIPWIRE_DATABASE_URL"] = request.getfixturevalue("postgres_schema_url")
    return environment


def test_add_then_list_round_trip_with_normalised_values(env: dict[str, str]) -> None:
    run(env, "init")
    run(env, "indicators", "add", "IP Address", "203.0.113.7")
    run(env, "indicators", "add", "URL", "hxxp://Evil[.]Example.COM/gate.php", "--status", "Active")
    run(env, "indicators", "add", "Email Address", "Bob@Example.ORG", "--status", "whitelisted")
    again = run(env, "indicators", "add", "IP Address", "203.0.113.7")
    assert "already known" in again.stdout
    rows = json.loads(run(env, "indicators", "list", "--json").stdout)
    assert {(r["type"], r["value"], r["status"]) for r in rows} == {
        ("IP Address", "203.0.113.7", "Review"),
        ("URL", "http://evil.example.com/gate.php", "Active"),
        ("Email Address", "bob@example.org", "Whitelisted"),
    }
    assert all({"id", "first_seen", "last_seen"} <= set(r) for r in rows)
    active = json.loads(run(env, "indicators", "list", "--status", "Active", "--json").stdout)
    assert [r["type"] for r in active] == ["URL"]


def test_bad_value_is_refused_with_its_name_and_nothing_is_stored(env: dict[str, str]) -> None:
    run(env, "init")
    run(env, "indicators", "add", "IP Address", "198.51.100.1")
    refused = run(env, "indicators", "add", "Email Address", "bob@@x", ok=False)
    assert refused.returncode == 2
    assert "Email Address: 'bob@@x' is not a valid email address" in refused.stderr
    assert "Traceback" not in refused.stderr
    rows = json.loads(run(env, "indicators", "list", "--json").stdout)
    assert [r["value"] for r in rows] == ["198.51.100.1"]


def test_whitelist_rule_whitelists_matching_indicators(env: dict[str, str]) -> None:
    run(env, "init")
    run(env, "whitelist", "add", "FQDN", "*.example.com")
    run(env, "indicators", "add", "FQDN", "mail.example.com", "--status", "Active")
    run(env, "indicators", "add", "FQDN", "evil.example.net", "--status", "Active")
    rules = json.loads(run(env, "whitelist", "list", "--json").stdout)
    assert [(r["type"], r["pattern"]) for r in rules] == [("FQDN", "*.example.com")]
    rows = json.loads(run(env, "indicators", "list", "--json").stdout)
    assert {r["value"]: r["status"] for r in rows} == {
        "mail.example.com": "Whitelisted",
        "evil.example.net": "Active",
    }


def test_search_and_events_print_json(env: dict[str, str]) -> None:
    run(env, "init")
    run(env, "indicators", "add", "URL", "http://evil.example.com/gate.php")
    found = json.loads(run(env, "search", "evil", "--json").stdout)
    assert [(f["kind"], f["value"]) for f in found] == [
        ("indicator", "http://evil.example.com/gate.php")
    ]
    assert json.loads(run(env, "events", "list", "--json").stdout) == []


def test_commands_before_init_say_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIPWIRE_")}
    env["TIPWIRE_DATA_DIR"] = str(tmp_path / "never-initialised")
    refused = run(env, "indicators", "list", ok=False)
    assert refused.returncode == 2
    assert "run `tipwire init` first" in refused.stderr


def test_unknown_type_and_status_are_named(env: dict[str, str]) -> None:
    run(env, "init")
    bad_type = run(env, "indicators", "add", "Hostname", "x", ok=False)
    assert "type: 'Hostname' is not an indicator type" in bad_type.stderr
    bad_status = run(env, "indicators", "list", "--status", "Blocked", ok=False)
    assert "status: 'Blocked' is not a status" in bad_status.stderr
