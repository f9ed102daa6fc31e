"""Fault injection for the CTAC simulator: latency, 5xx answers and 429 throttling."""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass
from typing import Final

_ERROR_STATUSES: Final = (500, 502, 503, 504)


@dataclass(frozen=True, slots=True)
class Fault:
    """A refusal to serve: the status to answer and, for 429, the Retry-After seconds."""

    status: int
    retry_after: int | None = None
    early: bool = False  # the client came back before the Retry-After it was given


@dataclass(frozen=True, slots=True)
class Plan:
    """What the dice said for one request, drawn on arrival so the sequence is reproducible."""

    delay: float
    throttle: bool
    error_status: int | None


class FaultInjector:
    """Decides, request by request, how long to stall and whether to fail or throttle."""

    def __init__(
        self,
        seed: int,
        *,
        error_rate: float,
        throttle_rate: float,
        latency_ms: float,
        retry_after: int,
    ) -> None:
        # Seeded, so a sequential client meets the same faults in the same order every run.
        self._rng = random.Random(seed)  # faults need reproducibility, not secrecy
        self._lock = threading.Lock()
        self._error_rate = error_rate
        self._throttle_rate = throttle_rate
        self._latency = latency_ms / 1000.0
        self._retry_after = retry_after
        self._throttled_until = -math.inf

    def plan(self) -> Plan:
        """Draw this request's latency and faults; always the same number of draws."""
        with self._lock:
            jitter, throttle, error, which = (self._rng.random() for _ in range(4))
        status = _ERROR_STATUSES[int(which * len(_ERROR_STATUSES))]
        return Plan(
            # Latency varies +-50% around the setting, as real networks do.
            delay=self._latency * (0.5 + jitter),
            throttle=throttle < self._throttle_rate,
            error_status=status if error < self._error_rate else None,
        )

    def verdict(self, plan: Plan, now: float) -> Fault | None:
        """Return the fault to answer with at time ``now``, or None to serve the request."""
        with self._lock:
            remaining = self._throttled_until - now
            if remaining > 0:
                # Like a real rate limiter: a client that ignores Retry-After stays throttled.
                return Fault(429, max(1, math.ceil(remaining)), early=True)
            if plan.throttle:
                self._throttled_until = now + self._retry_after
                return Fault(429, self._retry_after)
        if plan.error_status is not None:
            return Fault(plan.error_status)
        return None
