"""Leases: one holder at a time, renewed, fenced, expiring, and freed when the holder died."""

from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from tipwire.exchange.holder import Holder
from tipwire.exchange.lease import Lease, LeaseLostError
from tipwire.store.engine import write_transaction

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def lease(engine: Engine, clock: Clock, holder: Holder | None = None) -> Lease:
    return Lease(engine, "it", holder=holder or Holder.current(), seconds=60, clock=clock)


def dead_holder() -> Holder:
    """The identity of a process on this host that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    me = Holder.current()
    started = "1" if me.started != "1" else "2"
    return replace(me, pid=child.pid, started=started)


def test_one_holder_at_a_time_until_release(engine: Engine) -> None:
    clock = Clock()
    first, second = lease(engine, clock), lease(engine, clock)
    assert first.acquire()
    assert first.acquire()  # a holder may take its own lease again
    assert not second.acquire()
    held = second.held_by()
    assert held is not None and held[0] == str(first.holder)
    first.release()
    assert second.acquire()


def test_an_unrenewed_lease_expires_and_a_renewed_one_does_not(engine: Engine) -> None:
    clock = Clock()
    first, second = lease(engine, clock), lease(engine, clock)
    assert first.acquire()
    clock.now += timedelta(seconds=50)
    with write_transaction(engine) as connection:
        assert first.renew(connection)
    clock.now += timedelta(seconds=50)
    assert not second.acquire()
    clock.now += timedelta(seconds=11)
    assert second.acquire()
    with pytest.raises(LeaseLostError), write_transaction(engine) as connection:
        first.fence(connection)


def test_a_dead_holder_on_this_host_is_replaced_at_once(engine: Engine) -> None:
    clock = Clock()
    assert lease(engine, clock, dead_holder()).acquire()
    assert lease(engine, clock).acquire()


def test_a_live_or_foreign_holder_is_respected(engine: Engine) -> None:
    clock = Clock()
    foreign = replace(dead_holder(), namespace="another-host")
    assert lease(engine, clock, foreign).acquire()
    assert not lease(engine, clock).acquire()
    assert Holder.parse(str(Holder.current())) is not None
    assert not Holder.current().is_dead_here()


def test_racing_acquirers_get_exactly_one_lease(engine: Engine) -> None:
    clock = Clock()
    contenders = [lease(engine, clock) for _ in range(6)]
    barrier = threading.Barrier(len(contenders))
    won: list[bool] = []

    def contend(candidate: Lease) -> None:
        barrier.wait()
        won.append(candidate.acquire())

    threads = [threading.Thread(target=contend, args=(c,)) for c in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False] * 5 + [True]


def test_heartbeat_keeps_the_lease_and_notices_its_loss(engine: Engine) -> None:
    mine = Lease(engine, "it", seconds=0.3)
    assert mine.acquire()
    with mine.heartbeat():
        expiry = mine.held_by()
        while (mine.held_by() or ("", T0))[1] == (expiry or ("", T0))[1]:
            threading.Event().wait(0.05)  # wait for one beat to move the expiry
        stolen = Lease(engine, "it", holder=Holder.current(), seconds=60)
        with write_transaction(engine) as connection:
            connection.exec_driver_sql(
                "UPDATE integration_leases SET holder = 'someone else' WHERE name = 'it'"
            )
        assert mine.lost.wait(10)
        assert stolen.held_by() is not None
