"""``tipwire users`` and ``tipwire clients``: real processes, passwords never echoed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tipwire.store import make_engine

TIPWIRE = shutil.which("tipwire", path=str(Path(sys.executable).parent)) or "tipwire"


def run(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TIPWIRE, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TIPWIRE_")}
    environment["TIPWIRE_DATA_DIR"] = str(tmp_path / "data")
    assert run(environment, "init").returncode == 0
    return environment


def test_prompted_password_is_hashed_and_never_printed(env: dict[str, str], tmp_path: Path) -> None:
    done = run(
        env, "users", "create", "alice", "--role", "analyst", stdin="s3cret-pass\ns3cret-pass\n"
    )
    assert done.returncode == 0, done.stderr
    assert "s3cret-pass" not in done.stdout + done.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'tipwire.db'}")
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash, role FROM users")).one()
    engine.dispose()
    assert stored.password_hash.startswith("$argon2id$")
    assert stored.role == "analyst"
    listed = json.loads(run(env, "users", "list", "--json").stdout)
    assert [(u["name"], u["role"]) for u in listed] == [("alice", "analyst")]
    assert "password" not in listed[0]
    assert run(env, "users", "set-role", "alice", "--role", "admin").returncode == 0
    assert json.loads(run(env, "users", "list", "--json").stdout)[0]["role"] == "admin"


def test_bad_role_and_taken_name_are_clear_errors(env: dict[str, str]) -> None:
    bad = run(env, "users", "create", "bob", "--role", "root", "--generate")
    assert bad.returncode == 2
    assert "role: 'root' is not a role" in bad.stderr
    assert run(env, "users", "create", "bob", "--generate").returncode == 0
    taken = run(env, "users", "create", "bob", "--generate")
    assert taken.returncode == 2
    assert "'bob' is already taken" in taken.stderr


def test_client_secret_is_shown_once_in_text_and_json(env: dict[str, str]) -> None:
    plain = run(env, "clients", "create", "siem", "--role", "viewer")
    assert plain.returncode == 0, plain.stderr
    client_id = re.search(r"client_id: (\S+)", plain.stdout)
    secret = re.search(r"client_secret: (\S+)", plain.stdout)
    assert client_id and secret
    as_json = json.loads(
        run(env, "clients", "create", "soar", "--role", "analyst", "--json").stdout
    )
    assert set(as_json) >= {"client_id", "client_secret", "role", "name"}
    listed = run(env, "clients", "list", "--json").stdout
    assert secret.group(1) not in listed
    assert as_json["client_secret"] not in listed
    assert {c["name"] for c in json.loads(listed)} == {"siem", "soar"}
