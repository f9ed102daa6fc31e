"""The CTAC keylogger monitor end to end, against the simulator serving fake plaintext passwords."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select, update

from tipwire.config import Settings
from tipwire.exchange.configs import ConfigStore
from tipwire.exchange.registry import Registry
from tipwire.exchange.runner import Runner
from tipwire.exchange.runs import RunStatus
from tipwire.integrations.ctac_keylogger import CtacKeyloggerIntegration
from tipwire.match import DomainSet
from tipwire.model import IndicatorType, Status
from tipwire.providers.ctac.serve import RunningSimulator, run_simulator
from tipwire.providers.ctac.simulator import SimulatorConfig
from tipwire.store import curation, queries
from tipwire.store.schema import Base, IntegrationConfigRow, table

KEY = "keylogger-test-key"
DOMAINS = "example.com, example.org"


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    config = SimulatorConfig(seed=11, api_key=KEY, backlog=4000, unredacted=True)
    with run_simulator(config) as running:
        yield running


def raw_captures(base_url: str) -> list[dict[str, object]]:
    """What the simulator serves, read with plain JSON: the test's oracle."""
    lines = httpx.get(f"{base_url}/api/v1/keylogger/export", headers={"X-Api-Key": KEY}).text
    return [r for r in map(json.loads, lines.splitlines()) if "email" in r]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def runner(engine: Engine, data_dir: Path, simulator: RunningSimulator) -> Runner:
    registry = Registry.of(CtacKeyloggerIntegration)
    settings = Settings(data_dir=data_dir, secret_key=None, database_url=None)
    configs = ConfigStore(engine, registry, settings)
    configs.configure(
        "ctac-keylogger", {"api_url": simulator.base_url, "api_key": KEY, "domains": DOMAINS}
    )
    configs.set_enabled("ctac-keylogger", True)
    return Runner(engine, registry, settings)


def emails(engine: Engine) -> dict[str, queries.IndicatorView]:
    with engine.connect() as connection:
        page = queries.list_indicators(
            connection, queries.IndicatorQuery(type=IndicatorType.EMAIL_ADDRESS, limit=1000)
        )
    return {v.value: v for v in page.items}


def test_captures_with_passwords_become_events_and_whitelisted_emails(
    runner: Runner, engine: Engine, simulator: RunningSimulator
) -> None:
    served = raw_captures(simulator.base_url)
    monitored = DomainSet.from_strings(DOMAINS.split(", "))
    found = monitored.match([str(r["email"]) for r in served])
    with_password = {}
    without_password = set()
    for position, domain in found.hits():
        record = served[position]
        email = str(record["email"]).lower()
        if record.get("password"):
            with_password[email] = (domain, record)
        else:
            without_password.add(email)
    assert with_password, "the simulator serves captured passwords for example.com/org"
    assert without_password - set(with_password), "and captures without a password"
    outcome = runner.run("ctac-keylogger")
    assert outcome.status is RunStatus.SUCCESS
    stored = emails(engine)
    assert set(stored) == set(with_password)  # password-less captures are dropped
    assert {v.status for v in stored.values()} == {"Whitelisted"}
    email, (domain, record) = sorted(with_password.items())[0]
    with engine.connect() as connection:
        attributes = {
            (a.name, a.value) for a in queries.indicator_attributes(connection, stored[email].id)
        }
        events = queries.indicator_events(connection, stored[email].id)
    assert ("Keylogger", record["keylogger"]) in attributes
    assert ("Leak Location", record["leak_url"]) in attributes
    assert ("Application", record["application"]) in attributes
    assert ("Victim Host", record["victim_host"]) in attributes
    assert ("Password Captured", "Yes") in attributes
    assert [e.type for e in events] == ["Login Compromise"]
    assert events[0].title.endswith(f"credentials captured for {domain}")


def test_an_analysts_status_survives_the_next_run(runner: Runner, engine: Engine) -> None:
    runner.run("ctac-keylogger")
    email = sorted(emails(engine))[0]
    with engine.begin() as connection:
        curation.set_status(connection, emails(engine)[email].id, Status.REVIEW)
        # Rewind the cursor, so the next run ingests the same captures once more.
        connection.execute(update(table(IntegrationConfigRow)).values(cursor=None))
    outcome = runner.run("ctac-keylogger")
    assert outcome.totals.matched > 0
    stored = emails(engine)
    assert stored[email].status == "Review"
    assert {v.status for k, v in stored.items() if k != email} == {"Whitelisted"}


def test_no_plaintext_password_is_stored_or_logged(
    runner: Runner,
    engine: Engine,
    data_dir: Path,
    simulator: RunningSimulator,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    passwords = {str(r["password"]) for r in raw_captures(simulator.base_url) if r.get("password")}
    assert passwords and all(p.startswith("SIMPW-") for p in passwords)
    with caplog.at_level(logging.DEBUG):
        outcome = runner.run("ctac-keylogger")
    assert outcome.status is RunStatus.SUCCESS
    with engine.connect() as connection:
        rows = [repr(connection.execute(select(t)).all()) for t in Base.metadata.sorted_tables]
    engine.dispose()  # let SQLite fold its WAL into the file read below
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    if engine.dialect.name == "sqlite" and engine.url.database:
        files += Path(engine.url.database).parent.glob("tipwire.db*")
    haystack = b"".join(p.read_bytes() for p in files)
    haystack += "".join(rows).encode() + caplog.text.encode() + repr(outcome).encode()
    assert b"@example." in haystack  # the search did see the stored captures
    assert b"SIMPW-" not in haystack


def test_malformed_captures_are_counted_and_sampled_without_passwords(
    engine: Engine, tmp_path: Path
) -> None:
    config = SimulatorConfig(
        seed=12, api_key=KEY, backlog=3000, unredacted=True, malformed_rate=0.05
    )
    registry = Registry.of(CtacKeyloggerIntegration)
    settings = Settings(data_dir=tmp_path / "data", secret_key=None, database_url=None)
    with run_simulator(config) as running:
        configs = ConfigStore(engine, registry, settings)
        configs.configure(
            "ctac-keylogger", {"api_url": running.base_url, "api_key": KEY, "domains": DOMAINS}
        )
        configs.set_enabled("ctac-keylogger", True)
        outcome = Runner(engine, registry, settings).run("ctac-keylogger")
    assert outcome.status is RunStatus.PARTIAL
    assert outcome.totals.malformed > 50  # about 5% of 3000
    assert outcome.totals.errors
    assert all("keylogger record" in e.get("sample", "") for e in outcome.totals.errors), (
        outcome.totals.errors[:3]
    )
    with engine.connect() as connection:
        stored = "".join(
            repr(connection.execute(select(t)).all()) for t in Base.metadata.sorted_tables
        )
    assert "keylogger record" in stored  # the samples reached the run record
    assert "SIMPW-" not in stored + repr(outcome)
