"""Engines for SQLite (embedded default) and PostgreSQL, tuned for TipWire's workload."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

# A pooled connection idle for longer than this is pinged before use: a server restart or an
# idle timeout kills idle connections, while one used a moment ago is alive (its failure, if
# any, invalidates the pool as usual). Pinging every checkout costs each request a round trip.
PING_AFTER_IDLE_SECONDS = 10.0


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        # pysqlite's own transaction handling defers BEGIN; take control so BEGIN is explicit.
        event.listen(engine, "connect", _sqlite_no_autobegin, insert=True)
        return engine
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _postgres_utc)
    event.listen(engine.pool, "checkin", _note_idle_since)
    event.listen(engine.pool, "checkout", _ping_if_idle_long)
    return engine


def read_engine(engine: Engine) -> Engine:
    """The engine for reads: autocommit on PostgreSQL, the engine itself on SQLite.

    At PostgreSQL's READ COMMITTED every statement takes its own snapshot anyway, so a read
    transaction adds only its BEGIN and ROLLBACK round trips; and psycopg drops its prepared
    statements on every ROLLBACK, so reads in transactions would be parsed and planned afresh
    each time. SQLite keeps its deferred transaction: there it is one consistent snapshot.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def _postgres_utc(dbapi_connection: Any, _record: Any) -> None:
    # Times then arrive as datetime.UTC-aware values, which UtcDateTime passes through as is.
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    dbapi_connection.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.autocommit = autocommit


def _note_idle_since(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle_long(
    dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    autocommit = dbapi_connection.autocommit
    try:
        dbapi_connection.autocommit = True
        dbapi_connection.execute("SELECT 1")
        dbapi_connection.autocommit = autocommit
    except Exception as error:
        # The pool discards this connection and checks out (or opens) another.
        raise exc.DisconnectionError(f"stale pooled connection: {type(error).__name__}") from error


def _sqlite_no_autobegin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA cache_size=-65536")
    # Reading through a memory map spares a system call per page on large ingests.
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Writers ask for IMMEDIATE: the write lock up front, so two writers queue on the busy
    # timeout instead of failing when a read lock cannot be upgraded.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """Open one transaction meant to write; it commits on success and rolls back on error."""
    with engine.connect() as plain:
        connection = plain.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            yield connection
