"""The export and notify commands, run as users run them: a real process on a SQLite file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from stix2validator import ValidationOptions, validate_file

TIPWIRE = shutil.which("tipwire", path=str(Path(sys.executable).parent)) or "tipwire"


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [TIPWIRE, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if ok:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TIPWIRE_")}
    environment["TIPWIRE_DATA_DIR"] = str(tmp_path / "data")
    run(environment, "init")
    run(environment, "indicators", "add", "FQDN", "bad.example.net", "--status", "Active")
    run(environment, "indicators", "add", "IP Address", "203.0.113.66", "--status", "Active")
    run(
        environment,
        "indicators",
        "add",
        "Email Address",
        "ceo@example.com",
        "--status",
        "Whitelisted",
    )
    return environment


def test_stix_export_to_a_file_passes_the_validator(env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "bundle.json"
    run(env, "export", "stix", "--status", "Active", "-o", str(target))
    assert validate_file(str(target), ValidationOptions(version="2.1")).is_valid
    text = target.read_text()
    assert "bad.example.net" in text
    assert "ceo@example.com" not in text


def test_blocklist_csv_and_json_exports(env: dict[str, str]) -> None:
    assert run(env, "export", "blocklist", "--type", "IP Address").stdout == "203.0.113.66\n"
    assert run(env, "export", "blocklist", "--type", "Email Address").stdout == ""
    lines = run(env, "export", "csv", "--status", "Active").stdout.splitlines()
    assert lines[0].startswith("id,type,value") and len(lines) == 3
    rows = json.loads(run(env, "export", "json", "--type", "FQDN").stdout)
    assert [row["value"] for row in rows] == ["bad.example.net"]
    bad = run(env, "export", "blocklist", "--type", "Username", ok=False)
    assert bad.returncode == 2 and "Username" in bad.stderr


def test_misp_export_of_a_missing_event_names_it(env: dict[str, str]) -> None:
    done = run(env, "export", "misp", "42", ok=False)
    assert done.returncode == 2 and "event 42 does not exist" in done.stderr


def test_since_must_be_a_date(env: dict[str, str]) -> None:
    done = run(env, "export", "stix", "--since", "yesterday", ok=False)
    assert done.returncode == 2 and "since" in done.stderr


def test_notify_rules_are_listed_without_secrets(env: dict[str, str]) -> None:
    added = run(
        env | {"TIPWIRE_WEBHOOK_SECRET": "hunter2-hunter2"},
        "notify",
        "add-webhook",
        "siem",
        "--url",
        "https://siem.example.org/hook",
    )
    assert "hunter2" not in added.stdout
    listed = run(env, "notify", "list", "--json").stdout
    assert "hunter2" not in listed
    assert json.loads(listed)[0]["target"] == "https://siem.example.org/hook"
    run(env, "notify", "remove", "siem")
    assert json.loads(run(env, "notify", "list", "--json").stdout) == []
