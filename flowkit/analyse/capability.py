"""XmR (individuals and moving range) charts: is this process predictable, and what will it do?

Wheeler's limits: natural process limits X̄ ± 2.66·mR̄ (lower limit floored at 0 for counts
and durations), moving-range upper limit 3.268·mR̄. A point outside the limits is a signal
worth investigating; anything inside is the process's ordinary variation.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["MIN_POINTS", "XmR", "xmr"]

#: fewer points than this and the limits are too loose to call a process predictable or not
#: (Wheeler: 20-30 points for useful limits); a chart may still be drawn, but without a verdict.
MIN_POINTS = 20


@dataclass(frozen=True)
class XmR:
    values: pd.Series  # in time order, index = period or case
    moving_range: pd.Series  # |x_i - x_{i-1}|, first is NaN
    mean: float
    mr_bar: float
    upper: float  # X̄ + 2.66 mR̄
    lower: float  # max(0, X̄ - 2.66 mR̄) when floored
    mr_upper: float  # 3.268 mR̄
    signals: pd.Series  # bool per point: outside the natural process limits

    @property
    def judged(self) -> bool:
        """Enough points for a verdict at all."""
        return len(self.values) >= MIN_POINTS

    @property
    def predictable(self) -> bool | None:
        """No signals, on enough points; None when there are too few points to tell."""
        if not self.judged:
            return None
        return not bool(self.signals.any())

    @property
    def verdict(self) -> str:
        if not self.judged:
            return f"too few points to judge ({len(self.values)}; an XmR verdict needs at least {MIN_POINTS})"
        if self.predictable:
            return f"predictable ({len(self.values)} points, none outside the limits)"
        return (
            f"signals outside the limits ({int(self.signals.sum())} of {len(self.values)} points): "
            "look for special causes"
        )


def xmr(values: pd.Series, floor_at_zero: bool = True) -> XmR:
    """Limits for ``values`` (already in time order). Needs at least two points."""
    x = pd.Series(values, dtype="float64").dropna()
    if len(x) < 2:
        raise ValueError(f"an XmR chart needs at least 2 points, got {len(x)}")
    mr = x.diff().abs()
    mean, mr_bar = float(x.mean()), float(mr.mean())
    upper = mean + 2.66 * mr_bar
    lower = mean - 2.66 * mr_bar
    if floor_at_zero:
        lower = max(0.0, lower)
    signals = (x > upper) | (x < lower)
    return XmR(x, mr, mean, mr_bar, upper, lower, 3.268 * mr_bar, signals)
