"""A rate limiter by theoretical arrival time (the generic cell rate algorithm).

Each acquisition books the next slot on a schedule spaced at the limit's rate and sleeps until
it (rounded up to a short quantum), so calls go out at the limit on average. A caller that wakes
a little late does not lose its slot: the schedule may lag the clock by up to `tolerance_s`,
which, with the quantum, bounds the largest burst. One sleep per acquisition, no wake-up chains:
cheap at hundreds of calls a second.
"""

from __future__ import annotations

import asyncio
import math
import time


class RateLimiter:
    def __init__(
        self, per_minute: float, tolerance_s: float = 0.1, quantum_s: float = 0.05
    ) -> None:
        if per_minute <= 0:
            raise ValueError(f"a rate limit must be positive, got {per_minute}")
        self.per_minute = per_minute
        self.interval_s = 60.0 / per_minute
        self.tolerance_s = tolerance_s
        self.quantum_s = quantum_s
        self._next = 0.0

    async def acquire(self, amount: float = 1.0) -> None:
        now = time.monotonic()
        start = max(self._next, now - self.tolerance_s)
        self._next = start + self.interval_s * amount
        if start > now:
            # Wake at the end of the slot's quantum, so that the calls booked in one quantum go
            # out together: far fewer event-loop wake-ups, the same average rate.
            await asyncio.sleep(math.ceil(start / self.quantum_s) * self.quantum_s - now)


def make_limiter(per_minute: float | None) -> RateLimiter | None:
    return None if per_minute is None else RateLimiter(per_minute)
