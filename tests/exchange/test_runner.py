"""The runner: each batch committed with its cursor and counters; failures resumed, not repeated."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, update

from tipwire.config import Settings
from tipwire.errors import ConfigurationError
from tipwire.exchange import Integration, IntegrationConfig, RunContext
from tipwire.exchange import runs as run_records
from tipwire.exchange.configs import ConfigStore
from tipwire.exchange.holder import Holder
from tipwire.exchange.lease import Lease, LeaseHeldError, utcnow
from tipwire.exchange.registry import Registry
from tipwire.exchange.runner import Runner
from tipwire.exchange.runs import INTERRUPTED, RunStatus
from tipwire.model import IngestBatch
from tipwire.store import Store, make_engine
from tipwire.store.engine import write_transaction
from tipwire.store.schema import IntegrationLeaseRow, table

from .conftest import SightingsIntegration, SyntheticIntegration
from .snapshot import intelligence

NAME = "example-synthetic"


def configure(config_store: ConfigStore, **values: Any) -> None:
    config_store.configure(NAME, values)
    config_store.set_enabled(NAME, True)


def runs_of(engine: Engine, name: str = NAME) -> list[run_records.RunView]:
    with engine.connect() as connection:
        return run_records.list_runs(connection, name)


@pytest.fixture
def runner(engine: Engine, registry: Registry, settings: Settings) -> Runner:
    return Runner(engine, registry, settings)


@pytest.fixture
def uninterrupted(tmp_path: Path, registry: Registry, settings: Settings) -> Any:
    """Snapshot of a fresh SQLite database after one uninterrupted run with these settings."""

    def snapshot(**values: Any) -> dict[str, Any]:
        engine = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
        Store(engine).upgrade()
        configure(ConfigStore(engine, registry, settings), **values)
        assert Runner(engine, registry, settings).run(NAME).status is RunStatus.SUCCESS
        taken = intelligence(engine)
        engine.dispose()
        return taken

    return snapshot


def test_each_batch_is_committed_with_its_cursor_and_counters(
    engine: Engine, config_store: ConfigStore, runner: Runner
) -> None:
    configure(config_store, total=10, batch_size=3)
    outcome = runner.run(NAME)
    assert outcome.status is RunStatus.SUCCESS
    (record,) = runs_of(engine)
    expected = {
        "id": outcome.run_id,
        "status": "success",
        "batches": 4,
        "records_fetched": 10,
        "records_matched": 10,
        "records_malformed": 0,
        "errors": [],
        "origin_cursor": None,
        "start_cursor": None,
        "cursor": "10",
    }
    assert {key: record.as_dict()[key] for key in expected} == expected
    assert record.ingested["events"]["created"] == 2
    assert record.as_dict()["objects_created"] > 0
    assert config_store.ready(NAME).cursor == "10"
    again = runner.run(NAME)
    assert (again.status, again.totals.batches, again.totals.cursor) == (RunStatus.SUCCESS, 0, "10")
    assert [r.id for r in runs_of(engine)] == [again.run_id, outcome.run_id]  # newest first


def test_a_plugin_that_raises_keeps_its_batches_and_the_next_run_resumes(
    engine: Engine, config_store: ConfigStore, runner: Runner, uninterrupted: Any
) -> None:
    configure(config_store, total=20, batch_size=3, fail_after_batches=2)
    failed = runner.run(NAME)
    assert failed.status is RunStatus.FAILED
    assert failed.error == "RuntimeError: synthetic failure after 2 batches"
    assert (failed.totals.batches, failed.totals.cursor) == (2, "6")
    config_store.configure(NAME, {}, unset=["fail_after_batches"])
    resumed = runner.run(NAME)
    assert resumed.status is RunStatus.SUCCESS
    newest = runs_of(engine)[0].as_dict()
    assert (newest["start_cursor"], newest["origin_cursor"], newest["cursor"]) == ("6", None, "20")
    assert newest["records_fetched"] == 14  # only what came after the committed cursor
    assert intelligence(engine) == uninterrupted(total=20, batch_size=3)


def test_malformed_records_are_counted_and_sampled_and_the_run_is_partial(
    engine: Engine, config_store: ConfigStore, runner: Runner
) -> None:
    configure(config_store, total=10, batch_size=5, malformed_every=4)
    outcome = runner.run(NAME)
    assert outcome.status is RunStatus.PARTIAL
    record = runs_of(engine)[0].as_dict()
    assert (record["records_fetched"], record["records_matched"]) == (10, 8)
    assert record["records_malformed"] == 2
    assert [e["sample"] for e in record["errors"]] == ["record 4", "record 8"]
    assert "not-an-address-4" in record["errors"][0]["message"]
    assert record["cursor"] == "10"


def test_a_run_whose_holder_stopped_is_closed_and_its_events_continued(
    engine: Engine,
    config_store: ConfigStore,
    registry: Registry,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    uninterrupted: Any,
) -> None:
    configure(config_store, total=12, batch_size=2, fail_after_batches=3)
    # A holder that vanishes: it records no end and never releases or renews its lease.
    with monkeypatch.context() as patch:
        patch.setattr(run_records, "finish", lambda *args, **kwargs: True)
        patch.setattr(Lease, "release", lambda self: None)
        Runner(engine, registry, settings).run(NAME)
    config_store.configure(NAME, {}, unset=["fail_after_batches"])
    (dead,) = runs_of(engine)
    assert (dead.status, dead.cursors["cursor"]) == ("running", "6")
    with pytest.raises(LeaseHeldError, match="already running"):
        Runner(engine, registry, settings).run(NAME)
    later = Runner(engine, registry, settings, clock=lambda: utcnow() + timedelta(minutes=5))
    assert later.run(NAME).status is RunStatus.SUCCESS
    closed = runs_of(engine)[1]
    assert closed.status == "failed"
    assert closed.errors[-1] == {"kind": "failure", "message": INTERRUPTED}
    assert intelligence(engine) == uninterrupted(total=12, batch_size=2)


def test_a_lease_held_elsewhere_refuses_the_run_and_records_nothing(
    engine: Engine, config_store: ConfigStore, runner: Runner
) -> None:
    configure(config_store)
    assert Lease(engine, NAME, holder=Holder.current()).acquire()
    with pytest.raises(LeaseHeldError):
        runner.run(NAME)
    assert runs_of(engine) == []


def test_a_disabled_integration_does_not_run(config_store: ConfigStore, runner: Runner) -> None:
    configure(config_store)
    config_store.set_enabled(NAME, False)
    with pytest.raises(ConfigurationError, match="disabled"):
        runner.run(NAME)


def test_a_slot_already_served_is_skipped(
    engine: Engine, config_store: ConfigStore, runner: Runner
) -> None:
    configure(config_store, total=3)
    slot = utcnow() - timedelta(minutes=1)
    assert runner.run(NAME, not_before=slot).status is RunStatus.SUCCESS
    skipped = runner.run(NAME, not_before=slot)
    assert (skipped.run_id, skipped.status) == (None, None)
    assert len(runs_of(engine)) == 1


class LeakyConfig(IntegrationConfig):
    api_key: SecretStr


class LeakyIntegration(Integration[LeakyConfig]):
    """Fails with its own key in the message, and logs it too."""

    name: ClassVar[str] = "leaky"
    title: ClassVar[str] = "Leaky"
    description: ClassVar[str] = "Puts its secret in errors."
    version: ClassVar[str] = "1"
    Config: ClassVar[type[IntegrationConfig]] = LeakyConfig

    def run(self, config: LeakyConfig, context: RunContext) -> Iterator[IngestBatch]:
        key = config.api_key.get_secret_value()
        context.log.warning("calling https://feed.example/?key=%s", key)
        context.skip({"api_key": key}, f"bad record for {key}")
        raise RuntimeError(f"401 for https://feed.example/?key={key}")
        yield  # a generator, like every plugin


def test_secret_values_never_reach_run_records_or_logs(
    engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    registry = Registry.of(LeakyIntegration)
    configs = ConfigStore(engine, registry, settings)
    configs.configure("leaky", {"api_key": "Sup3r-S3cret-Value"})
    configs.set_enabled("leaky", True)
    with caplog.at_level(logging.DEBUG):
        outcome = Runner(engine, registry, settings).run("leaky")
    assert outcome.status is RunStatus.FAILED
    record = runs_of(engine, "leaky")[0].as_dict()
    assert "Sup3r-S3cret-Value" not in repr(record)
    assert "********" in record["errors"][0]["message"]
    assert "Sup3r-S3cret-Value" not in caplog.text
    assert "key=********" in caplog.text


class StealingIntegration(SyntheticIntegration):
    """Another process takes the lease after the first batch."""

    engine: ClassVar[Engine]

    def run(self, config: Any, context: RunContext) -> Iterator[IngestBatch]:
        for number, batch in enumerate(super().run(config, context)):
            if number == 1:
                with write_transaction(self.engine) as connection:
                    leases = table(IntegrationLeaseRow)
                    connection.execute(update(leases).values(holder="another host"))
            yield batch


def test_a_run_that_lost_its_lease_commits_nothing_more(
    engine: Engine, settings: Settings, config_store: ConfigStore
) -> None:
    StealingIntegration.engine = engine
    registry = Registry.of(StealingIntegration, SightingsIntegration)
    configure(config_store, total=9, batch_size=3)
    outcome = Runner(engine, registry, settings).run(NAME)
    assert outcome.status is RunStatus.FAILED
    assert "another process took over" in (outcome.error or "")
    assert outcome.totals.batches == 1
    assert ConfigStore(engine, registry, settings).ready(NAME).cursor == "3"
