"""Retries with exponential backoff for deliveries that may fail for a while."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """How often to try and how long to wait: ``first``, then ``factor`` times longer each time."""

    attempts: int = 4
    first: float = 2.0
    factor: float = 3.0
    sleep: Callable[[float], None] = time.sleep

    def delays(self) -> list[float]:
        """The waits between attempts."""
        return [self.first * self.factor**n for n in range(max(self.attempts - 1, 0))]


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one attempt ended: ``retry`` says whether another attempt may help."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    retry: bool = True


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a delivery ended after all its attempts."""

    ok: bool
    attempts: int
    status_code: int | None
    error: str | None


def with_backoff(send: Callable[[], Attempt], backoff: Backoff) -> Outcome:
    """Call ``send`` until it succeeds, says not to retry, or the attempts run out."""
    delays = backoff.delays()
    attempt = Attempt(ok=False, error="no attempt was made")
    for number in range(1, max(backoff.attempts, 1) + 1):
        attempt = send()
        if attempt.ok or not attempt.retry or number > len(delays):
            return Outcome(attempt.ok, number, attempt.status_code, attempt.error)
        backoff.sleep(delays[number - 1])
    return Outcome(attempt.ok, backoff.attempts, attempt.status_code, attempt.error)
