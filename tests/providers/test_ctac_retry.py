"""Backoff arithmetic and Retry-After parsing of the CTAC client (no network, fake clock)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from tipwire.errors import ConfigurationError, TipwireError
from tipwire.providers.ctac import CtacUnavailableError, RetryPolicy
from tipwire.providers.ctac.retry import Backoff, TransientError, parse_retry_after


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def fail_forever(backoff: Backoff) -> None:
    """Report failure after failure, as against a server that never recovers."""
    while True:
        backoff.wait(TransientError("HTTP 503 from http://ctac/api"))


def test_delays_grow_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(initial_delay=1, max_delay=8, multiplier=2, jitter=0)
    rng = random.Random(1)
    assert [policy.delay(n, rng) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]


def test_jitter_only_shortens_delays_within_its_share() -> None:
    policy = RetryPolicy(initial_delay=4, max_delay=4, jitter=0.5)
    rng = random.Random(7)
    delays = [policy.delay(1, rng) for _ in range(200)]
    assert all(2 <= delay <= 4 for delay in delays)
    assert len(set(delays)) > 100


@pytest.mark.parametrize(
    "settings",
    [
        {"initial_delay": -1},
        {"max_delay": 0.1, "initial_delay": 1},
        {"jitter": 2},
        {"multiplier": 0.5},
    ],
)
def test_nonsense_policies_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        RetryPolicy(**settings)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("3", now) == 3.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_backoff_gives_up_once_the_budget_is_spent_and_says_why() -> None:
    fake = FakeTime()
    policy = RetryPolicy(initial_delay=1, max_delay=4, jitter=0, give_up_after=10)
    backoff = Backoff(policy, "GET http://ctac/api", sleep=fake.sleep, clock=fake.clock)
    with pytest.raises(CtacUnavailableError) as raised:
        fail_forever(backoff)
    assert fake.sleeps == [1, 2, 4]  # a fourth pause (4 s) would end past the 10 s budget
    error = raised.value
    assert isinstance(error, TipwireError)
    assert error.attempts == 4
    assert "HTTP 503" in str(error)
    assert "retry budget 10 s" in str(error)


def test_backoff_waits_at_least_what_retry_after_asks() -> None:
    fake = FakeTime()
    backoff = Backoff(RetryPolicy(initial_delay=0.1), "op", sleep=fake.sleep, clock=fake.clock)
    backoff.wait(TransientError("HTTP 429", retry_after=3))
    assert fake.sleeps == [3]


def test_backoff_gives_up_at_once_when_retry_after_exceeds_the_budget() -> None:
    fake = FakeTime()
    backoff = Backoff(RetryPolicy(give_up_after=5), "op", sleep=fake.sleep, clock=fake.clock)
    with pytest.raises(CtacUnavailableError, match="asked to wait 60 s"):
        backoff.wait(TransientError("HTTP 429", retry_after=60))
    assert fake.sleeps == []


def test_progress_resets_the_budget() -> None:
    fake = FakeTime()
    policy = RetryPolicy(initial_delay=1, max_delay=1, jitter=0, give_up_after=2.5)
    backoff = Backoff(policy, "op", sleep=fake.sleep, clock=fake.clock)
    for _ in range(5):
        backoff.wait(TransientError("timeout"))
        backoff.wait(TransientError("timeout"))
        backoff.reset()
    assert len(fake.sleeps) == 10
