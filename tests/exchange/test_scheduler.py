"""The scheduler: cron slots, one catch-up run for missed slots, never two runs at once."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tipwire.exchange import runs
from tipwire.exchange.scheduler import is_due, latest_slot, next_slot
from tipwire.store.engine import write_transaction

from .conftest import Site
from .waiting import run_records, until

NAME = "example-synthetic"
FEED = "example-sightings"
NOW = datetime(2026, 5, 1, 10, 7, 30, tzinfo=UTC)
QUARTERLY = "*/15 * * * *"


@pytest.mark.parametrize(
    ("last_started", "due"),
    [
        (None, True),  # never ran: run at once
        (datetime(2026, 5, 1, 10, 0, 0, tzinfo=UTC), False),  # ran at the latest slot
        (datetime(2026, 5, 1, 10, 3, 0, tzinfo=UTC), False),  # ran since it
        (datetime(2026, 5, 1, 9, 59, 59, tzinfo=UTC), True),  # missed the 10:00 slot
        (datetime(2026, 4, 28, 3, 0, 0, tzinfo=UTC), True),  # missed hundreds: still one run
    ],
)
def test_due_when_no_run_started_since_the_latest_slot(
    last_started: datetime | None, due: bool
) -> None:
    assert is_due(QUARTERLY, last_started, NOW) is due


def test_slots_around_now() -> None:
    assert latest_slot(QUARTERLY, NOW) == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    on_a_slot = datetime(2026, 5, 1, 10, 15, tzinfo=UTC)
    assert latest_slot(QUARTERLY, on_a_slot) == on_a_slot
    assert next_slot(QUARTERLY, on_a_slot) == datetime(2026, 5, 1, 10, 30, tzinfo=UTC)
    assert latest_slot("@daily", NOW) == datetime(2026, 5, 1, tzinfo=UTC)


def record_past_run(site: Site, name: str, started: datetime) -> None:
    """A finished run record, as if the integration had run at ``started``."""
    with write_transaction(site.engine) as connection:
        start = runs.begin(connection, name, "earlier", None, started)
        assert start is not None
        runs.finish(connection, start.run_id, runs.RunStatus.SUCCESS, runs.RunTotals(), started)


def prepare(site: Site, marker: Path) -> None:
    """The synthetic feed missed three hourly slots; the sightings feed is not due this year."""
    site.setup(NAME, total=4, batch_size=2, hold_seconds=0.5, marker_file=str(marker))
    now = datetime.now(UTC)
    record_past_run(site, NAME, now - timedelta(hours=3, minutes=1))
    site.setup(FEED, api_url="http://127.0.0.1:9", api_key="k-123456", cidr_blocks="10.0.0.0/8")
    site.configs.configure(FEED, {"schedule": "0 0 1 1 *"})
    record_past_run(site, FEED, now)


def test_two_schedulers_catch_up_missed_slots_with_one_run(
    site_factory: type[Site], tmp_path: Path
) -> None:
    site = site_factory()
    marker = tmp_path / "marker"
    prepare(site, marker)
    schedulers = [site.start("scheduler", "--once") for _ in range(2)]
    for scheduler in schedulers:
        _, errors = scheduler.communicate(timeout=60)
        assert scheduler.returncode == 0, errors
    assert [line.split()[0] for line in marker.read_text().splitlines()] == ["start", "end"]
    assert [r.status for r in run_records(site.engine, NAME)] == ["success", "success"]
    assert len(run_records(site.engine, FEED)) == 1


def test_a_running_scheduler_runs_what_is_due_and_stops_cleanly(
    site_factory: type[Site], tmp_path: Path
) -> None:
    site = site_factory()
    marker = tmp_path / "marker"
    prepare(site, marker)
    scheduler = site.start("scheduler")
    until(lambda: [r.status for r in run_records(site.engine, NAME)] == ["success"] * 2, scheduler)
    scheduler.send_signal(signal.SIGTERM)
    _, errors = scheduler.communicate(timeout=60)
    assert scheduler.returncode == 0, errors
    assert "scheduler stopped" in errors
    assert len(run_records(site.engine, NAME)) == 2
    assert marker.read_text().count("start") == 1
