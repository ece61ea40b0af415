"""Weekday x half-hour profiles: arrivals per hour, mean agents on duty, shifts and opening hours."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.sim.scenario import DAYS

SLOT_S = 1800  # arrival and staffing profiles per half hour


def _slot_index(times: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    sec = (times - times.dt.normalize()).dt.total_seconds().to_numpy()
    return times.dt.day_of_week.to_numpy(), (sec // SLOT_S).astype(int)


def _weekly_profile(times: pd.Series, days_of_week: np.ndarray, weights: float | np.ndarray = 1.0) -> list[list[float]]:
    """Arrivals per hour in each weekday x half hour: (weighted) counts / number of such weekdays observed."""
    counts = np.zeros((7, 86400 // SLOT_S))
    np.add.at(counts, _slot_index(times), np.broadcast_to(np.asarray(weights, dtype=float), len(times)))
    per_hour = counts / np.maximum(days_of_week, 1)[:, None] * (3600 / SLOT_S)
    return np.round(per_hour, 3).tolist()


def _staffing(on_duty: pd.DataFrame, all_days: pd.DatetimeIndex) -> np.ndarray:
    """Mean agents on duty per weekday x half hour over the days observed (days with nobody count)."""
    per_day = 86400 // SLOT_S
    total = np.zeros((7, per_day))
    if on_duty.empty:
        return total
    t = on_duty["slot"]
    keep = t.dt.normalize().isin(all_days)
    days, slots = _slot_index(t[keep])
    np.add.at(total, (days, slots), on_duty.loc[keep, "agents"].to_numpy())
    n = np.bincount(all_days.day_of_week, minlength=7).astype(float)
    return total / np.maximum(n, 1)[:, None]


def _hhmm(slot: int) -> str:
    s = slot * SLOT_S
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def _shifts(staff: np.ndarray) -> list[dict]:
    """Half-hourly staffing as shifts: runs of equal (rounded) counts within a day."""
    counts = np.round(staff).astype(int)
    per_day = counts.shape[1]
    shifts = []
    for day in range(7):
        slot = 0
        while slot < per_day:
            count = int(counts[day, slot])
            end = slot
            while end < per_day and int(counts[day, end]) == count:
                end += 1
            if count > 0:
                shifts.append(
                    {
                        "days": DAYS[day],
                        "start": _hhmm(slot),
                        "end": _hhmm(end) if end < per_day else "24:00",
                        "count": count,
                    }
                )
            slot = end
    return shifts


def _open_hours(staff: np.ndarray) -> str | None:
    counts = np.round(staff).astype(int)
    spans = []
    for day in range(7):
        slots = np.flatnonzero(counts[day] > 0)
        if slots.size:
            end = slots.max() + 1
            spans.append(f"{DAYS[day]} {_hhmm(slots.min())}-{'24:00' if end == counts.shape[1] else _hhmm(end)}")
    return "; ".join(spans) or None
