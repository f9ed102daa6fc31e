"""Retrying transient CTAC failures: exponential backoff with jitter inside a time budget."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tipwire.errors import ConfigurationError
from tipwire.providers.ctac.errors import CtacUnavailableError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long and how often to retry 5xx, 429, timeouts and connection errors."""

    initial_delay: float = 0.5
    max_delay: float = 30.0
    multiplier: float = 2.0
    # Each delay is cut by a random share of up to ``jitter`` so that many clients
    # failing together do not come back in lockstep.
    jitter: float = 0.5
    # Seconds of consecutive failure after which the client gives up; any progress resets it.
    give_up_after: float = 120.0

    def __post_init__(self) -> None:
        """Refuse settings that would retry forever or never wait."""
        if not (self.initial_delay >= 0 and self.max_delay >= self.initial_delay):
            raise ConfigurationError("retry delays must satisfy 0 <= initial_delay <= max_delay")
        if not self.multiplier >= 1:
            raise ConfigurationError("retry multiplier must be at least 1")
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError("retry jitter must be between 0 and 1")
        if not (self.give_up_after >= 0 and math.isfinite(self.give_up_after)):
            raise ConfigurationError("give_up_after must be a finite number of seconds")

    def delay(self, failures: int, rng: random.Random) -> float:
        """Return the pause before retry number ``failures`` (1-based), jitter included."""
        ceiling = min(self.max_delay, self.initial_delay * self.multiplier ** (failures - 1))
        return ceiling * (1 - self.jitter * rng.random())


class TransientError(Exception):
    """A failure worth retrying, with the server's Retry-After when it sent one."""

    def __init__(self, description: str, retry_after: float | None = None) -> None:
        self.description = description
        self.retry_after = retry_after
        super().__init__(description)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Return the seconds a Retry-After header asks for (delta-seconds or HTTP-date)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Backoff:
    """Retry bookkeeping for one operation: sleeps between attempts, gives up on budget."""

    def __init__(
        self,
        policy: RetryPolicy,
        operation: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._policy = policy
        self._operation = operation
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()  # jitter needs no cryptographic randomness
        self._failures = 0
        self._first_failure_at = 0.0

    def reset(self) -> None:
        """Forget past failures: the operation made progress."""
        self._failures = 0

    def wait(self, failure: TransientError) -> None:
        """Sleep before the next attempt, or raise CtacUnavailableError when over budget."""
        now = self._clock()
        if self._failures == 0:
            self._first_failure_at = now
        self._failures += 1
        elapsed = now - self._first_failure_at
        delay = self._policy.delay(self._failures, self._rng)
        if failure.retry_after is not None:
            # Never come back before the server said to; backing off longer is still polite.
            delay = max(delay, failure.retry_after)
        if elapsed + delay > self._policy.give_up_after:
            message = self._give_up_message(failure, elapsed)
            raise CtacUnavailableError(message, self._failures, elapsed)
        self._sleep(delay)

    def _give_up_message(self, failure: TransientError, elapsed: float) -> str:
        """Explain the give-up: what failed, how often, for how long, and the last error."""
        message = (
            f"gave up on {self._operation} after {self._failures} failed attempt(s) "
            f"over {elapsed:.1f} s (retry budget {self._policy.give_up_after:g} s); "
            f"last error: {failure.description}"
        )
        if failure.retry_after is not None:
            message += f"; the server asked to wait {failure.retry_after:g} s more"
        return message
