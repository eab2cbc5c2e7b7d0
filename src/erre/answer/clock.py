"""The answer's clock: its timings, in ms from its start, and the checks' own time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Clock:
    """The answer's timings, in ms from its start, and the checks' own time."""

    t0: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    checks: float = 0.0  # seconds

    def ms(self) -> float:
        return round((time.perf_counter() - self.t0) * 1000, 1)

    def mark(self, key: str) -> None:
        """The time of `key`, unless it has one already."""
        self.timings.setdefault(key, self.ms())

    @contextmanager
    def checking(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.checks += time.perf_counter() - start

    def close(self) -> dict[str, float]:
        self.timings["total_ms"] = self.ms()
        self.timings["checks_ms"] = round(self.checks * 1000, 1)
        return self.timings
