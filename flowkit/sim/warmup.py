"""Warm-up: long enough for the failure-demand loop by default, and checked after every run.

A simulation starts empty: no queue and, what matters more, no failure demand, because the
customers who will come back chasing have not made their first contact yet. With re-contact
delays of days the loop needs days to fill, and a two-hour warm-up under-states the failure
share. So when a scenario gives no ``warmup_hours``, the warm-up is taken from the loop's
algebra: a contact brings another with probability at most ``x`` (the loop gain), the n-th
generation arrives after S_n, a sum of n delays, and the share of the steady-state failure
volume still missing at time t is  sum_n x^n P(S_n > t) / sum_n x^n.  The default is the
first hour where that is below 1% (at least 2 h, at most 8 weeks).

After the run, MSER-5 (White, 1997) on each replication's series - failure demand in
arrival order, and waits on the real-time channels - says where the data themselves would
truncate. MSER minimises the mean's squared error, not its bias, and a slow loop's tail
(returns days later, a few percent a day) is within its noise: on a loop with two-day
returns it truncates at ~50 h where the failure share is still 0.187 against 0.200. The loop's
algebra sees it: the missing share averaged over the measured window is the failure share's
relative shortfall (7% at 51 h: 0.200 x 0.93 = 0.186; 1.6% at 150 h: 0.197, both as measured),
so the loop's figure is the first warm-up where that average is at most 1%. The suggestion is
the later of that and MSER's median over replications (which sees queues and shifts), and the
warning says which one set it. The default warm-up stays the stricter point figure above,
which does not depend on the horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from flowkit.sim.scenario import Scenario

__all__ = [
    "MAX_HOURS",
    "MIN_HOURS",
    "TOLERANCE",
    "WarmupCheck",
    "check_warmup",
    "loop_gain",
    "loop_warmup_hours",
    "missing_share",
    "mser5",
    "warmup_hours",
]

MIN_HOURS = 2.0
MAX_HOURS = 8 * 7 * 24.0
TOLERANCE = 0.01
_SAMPLES = 20_000


def loop_gain(sc: Scenario) -> float:
    """An upper bound on the chance that a contact brings another one as failure demand."""
    unresolved = 0.0
    for s in sc.demand:
        add = sum(sc.data_fields[f].resolve_p_add for f in s.needs if sc.data_fields[f].available)
        unresolved = max(unresolved, 1.0 - min(1.0, max(0.0, s.resolve_p + add)))
    back = sc.recontact.p if sc.recontact else 0.0
    if sc.callback and sc.callback.p_promised > 0 and sc.callback.p_made < 1:
        back = max(back, sc.callback.chase_p)
    return unresolved * back


def _delays(sc: Scenario) -> list:
    out = [sc.recontact.delay] if sc.recontact and sc.recontact.p > 0 else []
    if sc.callback and sc.callback.p_made < 1 and sc.callback.chase_p > 0:
        out.append(sc.callback.chase_delay or sc.callback.delay)
    return out


def missing_share(sc: Scenario, hours: np.ndarray) -> np.ndarray:
    """Share of the steady-state failure-loop volume not yet arriving at each time (hours), an upper bound."""
    hours = np.asarray(hours, dtype=float)
    x = loop_gain(sc)
    delays = _delays(sc)
    if x <= 0 or not delays:
        return np.zeros_like(hours)
    x = min(x, 0.999)
    n_max = max(1, min(200, math.ceil(math.log(1e-4) / math.log(x))))
    weights = x ** np.arange(1, n_max + 1)
    weights /= weights.sum()
    rng = np.random.default_rng(20240101)  # fixed: the default warm-up is a property of the scenario
    worst = np.zeros_like(hours)
    for dist in delays:
        sums = np.cumsum(dist.sample(rng, (n_max, _SAMPLES)), axis=0) / 3600.0
        sums.sort(axis=1)
        share = np.zeros_like(hours)
        for n in range(n_max):
            share += weights[n] * (1.0 - np.searchsorted(sums[n], hours, side="right") / _SAMPLES)
        worst = np.maximum(worst, share)
    return worst


def warmup_hours(sc: Scenario) -> float:
    """The warm-up a run uses: the scenario's, or else long enough for the failure loop to fill."""
    if sc.warmup_hours is not None:
        return float(sc.warmup_hours)
    return _loop_hours(sc)


def loop_warmup_hours(sc: Scenario) -> tuple[float, float] | None:
    """The failure loop's warm-up for this horizon, and the share of its returns missing over the window
    with the warm-up the run uses (both averages over the window); None without a loop.

    The loop's figure is the first whole hour w where the missing share averaged over
    [w, w + horizon] is at most 1%.
    """
    if loop_gain(sc) <= 0 or not _delays(sc):
        return None
    span = max(1, math.ceil(sc.horizon_hours))
    grid = np.arange(0.0, MAX_HOURS + span + 1.0, 1.0)
    share = missing_share(sc, grid)
    cum = np.concatenate([[0.0], np.cumsum(share)])
    avg = (cum[span:] - cum[:-span]) / span  # avg[w] = mean share over hours w .. w + span - 1
    ok = np.nonzero(avg[: int(MAX_HOURS) + 1] <= TOLERANCE)[0]
    hours = float(ok[0]) if len(ok) else MAX_HOURS
    used = min(round(warmup_hours(sc)), len(avg) - 1)
    return hours, float(avg[used])


def _loop_hours(sc: Scenario) -> float:
    grid = np.arange(0.0, MAX_HOURS + 1.0, 1.0)
    share = missing_share(sc, grid)
    ok = np.nonzero(share <= TOLERANCE)[0]
    return float(max(MIN_HOURS, grid[ok[0]] if len(ok) else MAX_HOURS))


def mser5(y: np.ndarray) -> int:
    """MSER-5 truncation point: how many leading observations to delete (a multiple of 5).

    Batch means of 5; the point d (at most half the batches) minimising the squared standard
    error of the remaining mean, sum((z - mean)^2) / (m - d)^2.
    """
    y = np.asarray(y, dtype=float)
    m = len(y) // 5
    if m < 4:
        return 0
    z = y[: m * 5].reshape(m, 5).mean(axis=1)
    s1 = np.cumsum(z[::-1])[::-1]
    s2 = np.cumsum((z * z)[::-1])[::-1]
    n = np.arange(m, 0, -1, dtype=float)
    stat = (s2 - s1 * s1 / n) / (n * n)
    d = int(np.argmin(stat[: m // 2 + 1]))
    return 5 * d


LOOP = "the failure demand loop's algebra"


@dataclass
class WarmupCheck:
    used_hours: float
    suggested_hours: dict[str, float] = field(default_factory=dict)  # series -> median MSER-5 point, hours
    warnings: list[str] = field(default_factory=list)
    loop_hours: float | None = None  # the failure loop's algebraic warm-up, None without a loop
    loop_missing: float = 0.0  # share of the loop's returns missing over the window, as run
    suggested: float = 0.0  # the later of the loop's figure and every MSER-5 median
    set_by: str = ""  # which one: LOOP or "MSER-5 on <series>"


def check_warmup(
    used_hours: float,
    horizon_hours: float,
    series: list[dict[str, tuple[np.ndarray, np.ndarray]]],
    loop: tuple[float, float] | None = None,
) -> WarmupCheck:
    """MSER-5 per replication and series (times in seconds, values), median over replications,
    and the loop's figure and missing share (:func:`loop_warmup_hours`) when there is a loop: the
    later figure is the suggestion.

    A series is judged only over the run's first half or so (MSER never truncates more than
    half); a suggestion later than the warm-up used by more than an hour and 2% of the
    horizon is a warning naming the figure that set it.
    """
    loop_hours = loop[0] if loop is not None else None
    check = WarmupCheck(used_hours, loop_hours=loop_hours, loop_missing=loop[1] if loop is not None else 0.0)
    if loop_hours is not None:
        check.suggested, check.set_by = float(loop_hours), LOOP
    names = sorted({k for s in series for k in s})
    counts: dict[str, int] = {}
    by = ""
    for name in names:
        points = []
        for s in series:
            if name not in s:
                continue
            t, y = s[name]
            if len(y) < 100:
                continue
            # one observation per block of contacts, ~1000 of them: per-contact values (a 0/1 flag)
            # are so noisy that MSER would never truncate
            size = max(1, len(y) // 1000)
            m = len(y) // size
            d = mser5(y[: m * size].reshape(m, size).mean(axis=1)) * size
            points.append(float(t[d]) / 3600.0 if d < len(t) else float(t[-1]) / 3600.0)
        if not points:
            continue
        suggested = float(np.median(points))
        check.suggested_hours[name] = suggested
        counts[name] = len(points)
        if suggested > check.suggested:
            check.suggested, check.set_by, by = suggested, f"MSER-5 on {name}", name
    if check.set_by and check.suggested > used_hours + max(1.0, 0.02 * horizon_hours):
        mser = "; ".join(f"MSER-5 on {k} truncates at {v:.0f} h" for k, v in check.suggested_hours.items())
        if check.set_by == LOOP:
            why = (
                f"{LOOP} needs {check.suggested:.0f} h (with {used_hours:.0f} h, {check.loop_missing:.1%} of its "
                f"returns are missing over the measured window, so failure demand is under-stated by up to "
                f"that share)" + (f"; {mser} (MSER cannot see a slow loop's tail)" if mser else "")
            )
        else:
            why = f"{check.set_by} truncates at {check.suggested:.0f} h (median of {counts[by]} replications)" + (
                f"; {LOOP} needs {loop_hours:.0f} h" if loop_hours is not None else ""
            )
        check.warnings.append(
            f"warm-up may be too short: {why}; the run used {used_hours:.0f} h; set warmup_hours to at least "
            f"{math.ceil(check.suggested)} (set by {check.set_by}) or leave it out for the measured default"
        )
    return check
