"""Connections: reads outside transactions on PostgreSQL, stale pooled connections, upkeep."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tipwire.cli import app
from tipwire.model import Event, EventType, Indicator, IndicatorType, IngestBatch, Source, Status
from tipwire.store import Store, feeds, queries
from tipwire.store import engine as engine_module
from tipwire.store.maintenance import maintain

from ..conftest import POSTGRES_URL

AT = datetime(2026, 3, 1, tzinfo=UTC)


def test_times_come_back_as_utc_aware_datetimes(store: Store) -> None:
    store.ingest(IngestBatch(Source("Feed"), events=[Event("E", EventType.MALWARE, AT)]))
    with store.read() as connection:
        event = queries.list_events(connection, queries.EventQuery()).items[0]
    assert event.happened_at == AT
    assert event.happened_at.utcoffset() is not None
    assert event.happened_at.isoformat() == "2026-03-01T00:00:00+00:00"


@pytest.fixture
def postgres_store(postgres_schema_url: str) -> Iterator[Store]:
    """A migrated store in a fresh PostgreSQL schema."""
    store = Store(engine_module.make_engine(postgres_schema_url))
    store.upgrade()
    yield store
    store.close()


@pytest.mark.postgres
def test_reads_keep_prepared_statements_on_postgresql(postgres_store: Store) -> None:
    """A read connection returns to the pool without a ROLLBACK, which would drop them."""
    store = postgres_store
    store.ingest(IngestBatch(Source("Feed"), indicators=[Indicator(IndicatorType.FQDN, "a.test")]))
    for _ in range(8):  # psycopg prepares a statement on its fifth run
        with store.read() as connection:
            assert queries.find_indicators(connection, "a.test")
    with store.read() as connection:
        prepared = connection.execute(
            text("SELECT count(*) FROM pg_prepared_statements")
        ).scalar_one()
    assert prepared >= 1


@pytest.mark.postgres
def test_a_connection_the_server_dropped_while_idle_is_replaced(
    postgres_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = postgres_store
    with store.read() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    killer = engine_module.make_engine(POSTGRES_URL)
    with killer.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    with store.read() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid


def test_feed_values_stream_past_one_batch(store: Store) -> None:
    values = [f"host{n}.example.org" for n in range(12_000)]
    active = [Indicator(IndicatorType.FQDN, v, status=Status.ACTIVE) for v in values]
    store.ingest(IngestBatch(Source("Feed"), indicators=active))
    with store.read() as connection:
        streamed = list(feeds.feed_values(connection, None))
    ids = [row_id for row_id, _, _ in streamed]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert {value for _, _, value in streamed} == set(values)


def test_maintain_gives_the_planner_statistics(store: Store) -> None:
    store.ingest(IngestBatch(Source("Feed"), indicators=[Indicator(IndicatorType.FQDN, "a.test")]))
    tables = maintain(store.engine)
    assert "indicators" in tables and "events" in tables
    with store.read() as connection:
        if store.engine.dialect.name == "postgresql":
            analyzed = connection.execute(
                text(
                    "SELECT last_analyze IS NOT NULL AND last_vacuum IS NOT NULL "
                    "FROM pg_stat_user_tables WHERE relname = 'indicators' "
                    "AND schemaname = current_schema()"
                )
            ).scalar_one()
            assert analyzed
        else:
            names = connection.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars()
            assert "indicators" in set(names)


def test_db_maintain_command(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIPWIRE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TIPWIRE_DATABASE_URL", database_url)
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["db", "maintain"])
    assert result.exit_code == 0, result.output
    assert "maintained" in result.output
