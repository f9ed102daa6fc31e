"""A producer run in a worker process: its items in order, its errors, its end and its death."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tipwire.integrations.offload import WorkerFailedError, handed_over, offloaded

# Producers are sent by name, so these tests use functions any fresh interpreter can import.


def children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie has finished)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_items_arrive_in_order() -> None:
    with offloaded(iter, list(range(1000))) as items:
        assert list(items) == list(range(1000))


def test_what_the_producer_raises_is_raised_in_the_run() -> None:
    with (
        pytest.raises(ValueError, match="invalid literal for int") as caught,
        offloaded(int, "not a number") as items,
    ):
        list(items)
    assert any("worker process" in note for note in caught.value.__notes__)


def test_a_worker_that_dies_is_an_error_naming_its_exit_code() -> None:
    with pytest.raises(WorkerFailedError, match="exit code 3"), offloaded(os._exit, 3) as items:
        list(items)


def test_stopping_early_stops_the_worker() -> None:
    with offloaded(itertools.count, 0) as items:
        assert list(itertools.islice(items, 5)) == [0, 1, 2, 3, 4]
        assert len(children(os.getpid())) == 1
    assert children(os.getpid()) == []


def test_a_worker_whose_run_is_killed_exits_by_itself() -> None:
    code = (
        "import itertools\n"
        "from tipwire.integrations.offload import offloaded\n"
        "with offloaded(itertools.count, 0) as items:\n"
        "    for item in items:\n"
        "        if item == 0:\n"
        "            print('ready', flush=True)\n"
    )
    run = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert run.stdout is not None
    assert run.stdout.readline() == "ready\n"
    (worker,) = children(run.pid)
    run.send_signal(signal.SIGKILL)
    run.communicate()
    deadline = time.monotonic() + 60  # a liveness bound, not a speed check
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(worker)


def rest_after(last: int) -> list[int]:
    """What a worker produces after ``last``, in a test whose items are 0 to 9."""
    return list(range(last + 1, 10))


def test_a_stream_that_proves_large_is_finished_by_a_worker() -> None:
    with handed_over(
        iter(range(10)), iter, rest_after, size=lambda _: 1, start_after=3, within=0
    ) as items:
        first = list(itertools.islice(items, 4))
        assert children(os.getpid()) != []  # started after 3 items, in charge after the 4th
        assert first + list(items) == list(range(10))
    assert children(os.getpid()) == []


def test_a_stream_that_ends_early_never_starts_a_worker() -> None:
    with handed_over(
        iter(range(10)), iter, rest_after, size=lambda _: 1, start_after=11, within=0
    ) as items:
        assert list(items) == list(range(10))
        assert children(os.getpid()) == []


def test_a_worker_that_cannot_take_over_fails_the_stream() -> None:
    with (
        pytest.raises(WorkerFailedError, match="exit code 3"),
        handed_over(
            iter(range(10)), os._exit, lambda _: 3, size=lambda _: 1, start_after=2, within=0
        ) as items,
    ):
        list(items)
