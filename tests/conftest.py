"""Fixtures shared by the suite: stores on a real SQLite file and on the real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from tipwire.store import Store, make_engine

POSTGRES_URL = os.environ.get(
    "TIPWIRE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


def _postgres_reason() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    engine = make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        return f"PostgreSQL at {POSTGRES_URL} does not answer: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


@pytest.fixture(scope="session")
def postgres_available() -> None:
    """Skip (locally) or fail (under CI=true) when the PostgreSQL server is not there."""
    reason = _postgres_reason()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"CI=true requires PostgreSQL: {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres_schema_url(postgres_available: None) -> Iterator[str]:
    """A database URL whose connections live in a fresh schema, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A URL to an empty database: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'tipwire.db'}"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty, migrated database."""
    engine = make_engine(database_url)
    Store(engine).upgrade()
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> Store:
    """A store on an empty, migrated database of each kind."""
    return Store(engine)
