"""The two kinds of time a scenario states: durations drawn from a distribution (handle times,
patience, delays) and a channel's weekly opening hours. Kept apart from the scenario's structure
(:mod:`flowkit.sim.scenario`) because the model calls them on every contact."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowkit.sim.scenario_file import open_intervals

__all__ = ["Dist", "OpenHours"]


@dataclass(frozen=True)
class Dist:
    """A duration distribution in seconds: exponential, lognormal (mean, cv), fixed or empirical."""

    kind: str
    mean_s: float
    cv: float = 1.0
    values: tuple[float, ...] = ()

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.kind == "exponential":
            return rng.exponential(self.mean_s, size)
        if self.kind == "lognormal":
            sigma2 = np.log1p(self.cv**2)
            return rng.lognormal(np.log(self.mean_s) - sigma2 / 2, np.sqrt(sigma2), size)
        if self.kind == "fixed":
            return np.full(size, self.mean_s)
        return rng.choice(np.asarray(self.values), size)


@dataclass(frozen=True)
class OpenHours:
    """Weekly open intervals in seconds from Monday 00:00: "Mon-Fri 08:00-18:00; Sat 09:00-13:00"."""

    intervals: tuple[tuple[float, float], ...]

    WEEK = 7 * 86400.0

    @staticmethod
    def parse(text: str) -> OpenHours:
        return OpenHours(open_intervals(text))

    def is_open(self, t: float) -> bool:
        w = t % self.WEEK
        return any(a <= w < b for a, b in self.intervals)

    def next_change(self, t: float) -> float:
        """The next time (> t) the channel opens or closes."""
        w, base = t % self.WEEK, t - t % self.WEEK
        edges = sorted({e for span in self.intervals for e in span})
        for e in edges:
            if e > w:
                return base + e
        return base + self.WEEK + edges[0]

    def next_open(self, t: float) -> float:
        w, base = t % self.WEEK, t - t % self.WEEK
        for a, b in self.intervals:
            if a <= w < b:
                return t
            if a > w:
                return base + a
        return base + self.WEEK + self.intervals[0][0]
