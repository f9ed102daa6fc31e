"""Run a plugin's producer (pull, decode, match) in a worker process, so a run uses two cores.

The worker iterates ``produce(argument)`` and streams each item back while the run stores
the previous ones. It runs at most ``ahead`` items ahead, so memory stays bounded whatever
the backlog. Whatever the producer raises is raised again in the run, and a worker that dies
is an error. The worker is stopped when the run stops, and exits by itself if the run's
process is killed: its next send finds the pipe closed.

A worker costs a fresh interpreter's start-up, which a small pull does not repay:
``handed_over`` produces in the run first and starts a worker only once the pull proves large.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from typing import Any, Final, Generic, NoReturn, TypeVar

from tipwire.errors import TipwireError

A = TypeVar("A")
T = TypeVar("T")

DEFAULT_AHEAD: Final = 16
_ITEM: Final = 0
_END: Final = 1
_ERROR: Final = 2
_READY: Final = 3
_NOTHING: Final = object()
# A worker that has sent its last message exits at once; one that does not is stopped.
_EXIT_GRACE_SECONDS: Final = 5.0
# A fresh interpreter, not a fork: the run holds database connections and a lease thread
# that a child must not share, and nothing of the caller's main module is run again.
_WORKER_CODE: Final = "from tipwire.integrations.offload import worker_main; worker_main()"


class WorkerFailedError(TipwireError):
    """A worker process died, or raised something that cannot be sent back as it was."""


@contextmanager
def offloaded(
    produce: Callable[[A], Iterator[T]], argument: A, *, ahead: int = DEFAULT_AHEAD
) -> Iterator[Iterator[T]]:
    """Iterate ``produce(argument)`` in a new process; ``produce`` and ``argument`` must pickle.

    ``produce`` must be a module-level function (it is sent by name); the worker is stopped
    when the block exits.
    """
    worker = Worker(produce, ahead=ahead)
    try:
        yield worker.items(argument)
    finally:
        worker.stop()


@contextmanager
def handed_over(
    local: Iterator[T],
    produce: Callable[[A], Iterator[T]],
    resume: Callable[[T], A],
    *,
    size: Callable[[T], int],
    start_after: int,
    within: int,
    ahead: int = DEFAULT_AHEAD,
) -> Iterator[Iterator[T]]:
    """Iterate ``local``, and hand the rest to ``produce(resume(last item))`` in a worker.

    The worker is started once the items' ``size`` reaches ``start_after``; it loads its
    code while ``local`` goes on, and takes over after the first item at which it is ready,
    or after ``within`` more items at the latest (waiting for it then). A stream that ends
    sooner never pays for a worker.
    """
    worker: Worker[A, T] | None = None

    def items() -> Generator[T, None, None]:
        nonlocal worker
        done = 0
        since_start = 0
        for item in local:
            yield item
            if worker is None:
                done += size(item)
                if done >= start_after:
                    worker = Worker(produce, ahead=ahead)
                continue
            since_start += 1
            if worker.ready() or since_start > within:
                _close(local)  # its connection is dropped: the worker fetches from here on
                yield from worker.items(resume(item))
                return

    stream = items()
    try:
        yield stream
    finally:
        stream.close()
        _close(local)
        if worker is not None:
            worker.stop()


def _close(items: Iterator[Any]) -> None:
    """Let a generator clean up (close its HTTP client) now rather than when collected."""
    close = getattr(items, "close", None)
    if close is not None:
        close()


class Worker(Generic[A, T]):
    """A worker process that loads ``produce`` at once and runs it when given its argument."""

    def __init__(self, produce: Callable[[A], Iterator[T]], *, ahead: int) -> None:
        job_read, job_write = os.pipe()
        item_read, item_write = os.pipe()
        try:
            self._process = subprocess.Popen(  # our own interpreter and code
                [sys.executable, "-c", _WORKER_CODE, str(job_read), str(item_write)],
                pass_fds=(job_read, item_write),
            )
        finally:
            # The worker holds the only other ends: its exit shows up here as end of file.
            os.close(job_read)
            os.close(item_write)
        self._job = Connection(job_write, readable=False)
        self._items = Connection(item_read, writable=False)
        self._stream = _Stream(self._items, self._process)
        self._job_sent = self._send((produce, ahead))

    def _send(self, message: object) -> bool:
        """Send the worker part of its job; False if it has already gone."""
        try:
            self._job.send(message)
        except OSError:
            return False
        return True

    def ready(self) -> bool:
        """Whether the worker has loaded its code (or has failed): taking its items won't wait."""
        return self._items.poll()

    def items(self, argument: A) -> Iterator[T]:
        """Run ``produce(argument)`` in the worker, once it is ready; its items, as they come."""
        if not self._job_sent:
            self._stream.failed()
        message = self._stream.first()
        if message is not None:  # it could not load the producer
            raise message
        if not self._send(argument):
            self._stream.failed()
        self._job.close()
        return iter(self._stream)

    def stop(self) -> None:
        """Wait for a worker that has finished; stop one that has not."""
        self._job.close()
        self._items.close()
        if self._stream.finished:
            with suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=_EXIT_GRACE_SECONDS)
        if self._process.poll() is None:  # the run stopped early, or the worker hangs
            self._process.kill()
        self._process.wait()


class _Stream:
    """The items a worker sends, and whether it has sent its last message."""

    def __init__(self, items: Connection, worker: subprocess.Popen[bytes]) -> None:
        self._items = items
        self._worker = worker
        self.finished = False

    def first(self) -> BaseException | None:
        """Wait for the worker to load its producer; what it raised if it could not."""
        try:
            kind, payload = self._items.recv()
        except EOFError:
            self.failed()
        if kind == _READY:
            return None
        self.finished = True
        if kind == _ERROR:
            return payload  # type: ignore[no-any-return]
        return WorkerFailedError(f"the worker sent {kind!r} before it was ready")

    def __iter__(self) -> Iterator[Any]:
        """Yield the worker's items until its end; raise what it raised or that it died."""
        while True:
            try:
                kind, payload = self._items.recv()
            except EOFError:
                self.failed()
            if kind == _ITEM:
                yield payload
                continue
            self.finished = True
            if kind == _END:
                return
            raise payload

    def failed(self) -> NoReturn:
        """Raise for a worker that went away without saying why."""
        self.finished = True
        try:
            code = self._worker.wait(timeout=_EXIT_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            code = None
        raise WorkerFailedError(
            f"the worker process stopped before its work was done (exit code {code})"
        )


def worker_main() -> None:
    """The worker's entry point: read the job, produce, send; the pipes are named in argv."""
    job_fd, item_fd = int(sys.argv[1]), int(sys.argv[2])
    items = Connection(item_fd, readable=False)
    with Connection(job_fd, writable=False) as job:
        header = _receive(job, items)
        if header is _NOTHING:
            return
        produce, ahead = header
        try:
            items.send((_READY, None))
        except OSError:  # the run is gone
            return
        argument = _receive(job, items)
        if argument is _NOTHING:
            return
    _serve(items, produce, argument, ahead)


def _receive(job: Connection, items: Connection) -> Any:
    """The next part of the job, or _NOTHING if there is none; a failure is sent back."""
    try:
        return job.recv()
    except EOFError:  # the run stopped, or ended before it needed this worker
        return _NOTHING
    except BaseException as exc:  # e.g. the producer's module fails to import
        with suppress(OSError):
            items.send((_ERROR, _portable(exc)))
        return _NOTHING


def _serve(
    items: Connection, produce: Callable[[Any], Iterator[Any]], argument: Any, ahead: int
) -> None:
    """Produce items while a thread sends the ones before them."""
    outbox: queue.Queue[tuple[int, Any]] = queue.Queue(maxsize=ahead)
    sending = threading.Thread(target=_send_all, args=(items, outbox), daemon=True)
    sending.start()
    try:
        for item in produce(argument):
            outbox.put((_ITEM, item))
    except BaseException as exc:  # every failure goes back to the run
        outbox.put((_ERROR, _portable(exc)))
    else:
        outbox.put((_END, None))
    sending.join()


def _send_all(items: Connection, outbox: queue.Queue[tuple[int, Any]]) -> None:
    """Send queued messages in order until the last one."""
    while True:
        message = outbox.get()
        try:
            items.send(message)
        except OSError:
            # The run's end of the pipe is closed: it stopped, or its process was killed.
            os._exit(0)
        if message[0] != _ITEM:
            return


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else one that says what it was."""
    where = "".join(traceback.format_exception(exc)).rstrip()
    try:
        copy: BaseException = pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes
    except Exception:  # any exception may refuse to pickle
        copy = WorkerFailedError(f"{type(exc).__name__}: {exc}")
    copy.add_note(f"raised in the worker process:\n{where}")
    return copy
