"""Schema migrations with Alembic, run from inside TipWire (no alembic.ini needed).

Alembic is imported only where migrations run. Every command checks the schema revision
before it opens the store, so that check reads the version table and the scripts' headers
itself: importing Alembic would add a tenth to the start-up of `tipwire run`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE: Final = "alembic_version"
_SELECT_VERSIONS: Final = text("SELECT version_num FROM alembic_version")
_REVISION = re.compile(r"""^revision\s*=\s*["']([\w-]+)["']\s*$""", re.MULTILINE)
_DOWN_REVISION = re.compile(r"""^down_revision\s*=\s*(?:None|["']([\w-]+)["'])\s*$""", re.MULTILINE)


def alembic_config() -> Config:
    """An Alembic config pointing at TipWire's migration scripts."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision``."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        revisions = list(connection.execute(_SELECT_VERSIONS).scalars())
    if len(revisions) > 1:  # branches TipWire never makes: let Alembic say what is wrong
        from alembic.runtime.migration import MigrationContext

        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    return revisions[0] if revisions else None


def head_revision() -> str | None:
    """The newest revision TipWire ships."""
    heads = _declared_heads()
    if heads is not None and len(heads) == 1:
        return heads[0]
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _declared_heads() -> list[str] | None:
    """Revisions no script builds on, from the scripts' headers; None if one is unusual."""
    revisions: list[str] = []
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        revisions.append(revision[1])
        if down[1]:
            parents.add(down[1])
    return [revision for revision in revisions if revision not in parents]
