"""The days a log covers in full: its edges trimmed of partial and straggler days.

An export often starts or ends part-way through a day, and a few late records (a chase answered
after the cut-off, a callback logged days later) stretch its span over days it does not cover.
Averaged per weekday, those days read as days with almost no demand and no agents on duty, and
the calibrated model comes out short-staffed and quiet. Days inside the log stay whatever they
hold (an empty Tuesday in the middle is a closed day); only the edges are trimmed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["FULL_DAY_SHARE", "Period", "covered_period"]

#: an edge day is covered when it holds at least this share of a like weekday's median contacts
FULL_DAY_SHARE = 0.5


@dataclass(frozen=True)
class Period:
    """Days ``start`` (inclusive) to ``end`` (exclusive), and what the trimmed edges held."""

    start: pd.Timestamp
    end: pd.Timestamp
    trimmed_days: int = 0
    trimmed_contacts: int = 0

    def holds(self, received_at: pd.Series) -> pd.Series:
        """Which contacts fall inside the period."""
        return received_at.ge(self.start) & received_at.lt(self.end)

    def note(self) -> str:
        if not self.trimmed_days:
            return ""
        return (
            f"{self.trimmed_contacts:,} contacts on {self.trimmed_days} day(s) at the log's start or end left out: "
            f"each held under {FULL_DAY_SHARE:.0%} of a like weekday's median (a partial export, or late records)"
        )


def covered_period(received_at: pd.Series) -> Period:
    """The log's days from the first to the last that hold at least ``FULL_DAY_SHARE`` of the median
    of their weekday's days (days between with no contacts count, as zero, in that median)."""
    t = pd.to_datetime(received_at.dropna())
    day = t.dt.normalize()
    span = pd.date_range(day.min(), day.max(), freq="D")
    counts = day.value_counts().reindex(span, fill_value=0)
    typical = counts.groupby(span.day_of_week).transform("median").to_numpy()
    full = counts.to_numpy() >= FULL_DAY_SHARE * typical
    if not full.any():  # nothing stands out as a full day: keep the whole span
        return Period(span[0], span[-1] + pd.Timedelta(days=1))
    first, last = int(full.argmax()), len(full) - 1 - int(full[::-1].argmax())
    start, end = span[first], span[last] + pd.Timedelta(days=1)
    trimmed = int(counts.iloc[:first].sum() + counts.iloc[last + 1 :].sum())
    return Period(start, end, first + len(full) - 1 - last, trimmed)
