"""Waiting on other processes without timing assertions: poll until a state is reached."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

from sqlalchemy import Engine

from tipwire.exchange import runs

# Only a bound against hanging forever; no test asserts on how long anything took.
PATIENCE_SECONDS = 60.0


def until(condition: Callable[[], bool], process: subprocess.Popen[str] | None = None) -> None:
    """Poll ``condition``; fail if ``process`` ends first or the wait seems endless."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        if process is not None and process.poll() is not None:
            _, errors = process.communicate()
            raise AssertionError(f"process ended ({process.returncode}) first: {errors}")
        if time.monotonic() > deadline:
            raise AssertionError("the awaited state was never reached")
        time.sleep(0.01)


def run_records(engine: Engine, name: str) -> list[runs.RunView]:
    """The run records of ``name``, newest first."""
    with engine.connect() as connection:
        return runs.list_runs(connection, name)
