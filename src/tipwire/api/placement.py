"""Where a read runs: in the event loop when it is short, on a worker thread when it is not."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

T = TypeVar("T")


async def run_read(work: Callable[[], T], *, short: bool) -> T:
    """Run ``work`` in place when ``short`` (index-bounded, one page), else on a thread.

    Handing a short read to a worker thread costs more than the read: every PostgreSQL round
    trip releases the GIL, and the thread then queues to take it back from the event loop.
    Reads that may run long (substring searches, counts over millions of rows) still go to a
    thread, so that they do not hold up the other requests of the process.
    """
    if short:
        return work()
    return await run_in_threadpool(work)
