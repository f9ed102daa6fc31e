"""kill -9 at any point, then run again: the same intelligence as one uninterrupted run."""

from __future__ import annotations

from sqlalchemy import Engine

from tipwire.exchange.runs import INTERRUPTED

from .conftest import Site
from .snapshot import intelligence
from .waiting import run_records, until

NAME = "example-synthetic"
FEED = {"total": 40, "batch_size": 2, "hold_seconds": 0.2, "pause_seconds": 0.05}
# Batches committed (counted over all runs) before each kill; 0 kills a run before its first.
KILL_POINTS = (0, 1, 3, 7)


def committed_batches(engine: Engine) -> int:
    records = run_records(engine, NAME)
    return sum(record.records["batches"] for record in records)


def test_runs_killed_at_several_points_leave_what_one_run_leaves(
    site_factory: type[Site],
) -> None:
    reference = site_factory("reference")
    reference.setup(NAME, **FEED)
    assert reference.tipwire("run", NAME).returncode == 0

    killed = site_factory("killed")
    killed.setup(NAME, **FEED)
    for number, point in enumerate(KILL_POINTS, start=1):
        process = killed.start("run", NAME)
        until(
            lambda number=number, point=point: (
                len(run_records(killed.engine, NAME)) == number
                and committed_batches(killed.engine) >= point
            ),
            process,
        )
        process.kill()
        process.communicate()
    finished = killed.tipwire("run", NAME)
    assert finished.returncode == 0, finished.stderr

    records = run_records(killed.engine, NAME)
    assert [r.status for r in records] == ["success"] + ["failed"] * len(KILL_POINTS)
    assert all(r.errors[-1]["message"] == INTERRUPTED for r in records[1:])
    assert {r.cursors["origin_cursor"] for r in records} == {None}
    assert records[0].cursors["cursor"] == "40"
    assert committed_batches(killed.engine) == FEED["total"] // FEED["batch_size"]
    assert intelligence(killed.engine) == intelligence(reference.engine)
