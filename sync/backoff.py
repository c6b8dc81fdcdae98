"""Full-jitter exponential backoff with a cap, and the daemon's injectable clock.

``delay = uniform(0, min(cap, base * 2**failures))`` (the "full jitter" of the AWS architecture blog):
every failure re-arms a new delay from a growing window, success resets it. Jitter spreads the retries of
many devices after an HQ outage so they do not return in lock-step.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable


class Backoff:
    def __init__(self, base_s: float = 1.0, cap_s: float = 900.0, rng: Callable[[], float] = random.random):
        if not 0 < base_s <= cap_s:
            raise ValueError("backoff needs 0 < base <= cap")
        self.base, self.cap, self.rng = base_s, cap_s, rng
        self.failures = 0

    def window(self) -> float:
        """The upper bound of the next delay."""
        return min(self.cap, self.base * (2 ** min(self.failures, 62)))

    def failure(self) -> float:
        """Count a failure and return the delay before the next attempt."""
        delay = self.rng() * self.window()
        self.failures += 1
        return delay

    def success(self) -> None:
        self.failures = 0


class Clock:
    """Wall time and an interruptible sleep. Tests pass a :class:`VirtualClock` instead."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        """Sleep up to ``seconds``; True when ``stop`` was set meanwhile."""
        return stop.wait(max(0.0, seconds))


class VirtualClock(Clock):
    """Time that moves only when the daemon sleeps (``real_sleep`` seconds of real time per sleep)."""

    def __init__(self, start: float | None = None, real_sleep: float = 0.0):
        self.t = time.time() if start is None else start
        self.real_sleep = real_sleep
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)
        return stop.wait(self.real_sleep) if self.real_sleep else stop.is_set()
