"""Callers who met a closed line, as the model will bring them back: taken out of the logged arrivals.

With ``closed.return_p`` the model makes a call at opening for each caller who found the line
closed (spread over the first ``within_hours``), and with ``elsewhere_p`` an e-mail or form a while
later. A log holds those contacts already, as the morning's calls and the day's e-mails: unless as
many come out of the logged arrivals where the model will put them, the model counts them twice
and its mornings come out busier than the log's. So the expected returns are taken out of each
open half hour of the week in proportion to the arrivals logged there, and the expected contacts
elsewhere out of that channel's arrivals alike (they land hours later, at any hour).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.sim.calibrate.profiles import _slot_index

__all__ = ["take_out_closed_returns"]

_WEEK = 7 * 48  # half hours


def take_out_closed_returns(
    df: pd.DataFrame,
    weight: pd.Series,
    closed_call: pd.Series,
    open_slots: dict[str, np.ndarray],
    return_p: float,
    within_hours: float,
    elsewhere_p: float = 0.0,
    elsewhere_channel: str | None = None,
) -> tuple[pd.Series, dict[str, float]]:
    """``weight`` (each logged contact's share as an outside arrival) less the model's own returns
    and contacts elsewhere; and how many of each were taken out (expected counts over the log)."""
    channel = df["channel"].astype(str)
    dow, slot = _slot_index(df["received_at"])
    week_slot = dow * 48 + slot
    w = weight.to_numpy(dtype=float).copy()
    closed = closed_call.to_numpy(dtype=bool)
    taken = {"returns": 0.0, "elsewhere": 0.0}
    steps = max(1, round(within_hours * 2))
    for ch, grid in open_slots.items():
        mine = channel.eq(ch).to_numpy()
        met = mine & closed
        g = np.asarray(grid, dtype=bool).reshape(-1)
        opens = np.flatnonzero(g & ~np.roll(g, 1))
        if not met.any() or not opens.size:
            continue
        if return_p > 0:
            ahead = np.concatenate([opens, opens + _WEEK])
            nxt = ahead[np.searchsorted(ahead, week_slot[met], side="right")] % _WEEK
            expected = np.zeros(_WEEK)
            for j in range(steps):
                np.add.at(expected, (nxt + j) % _WEEK, return_p / steps)
            rows = mine & ~closed
            logged = np.bincount(week_slot[rows], weights=w[rows], minlength=_WEEK)
            out = np.minimum(expected, logged)
            keep = np.divide(logged - out, logged, out=np.ones(_WEEK), where=logged > 0)
            w[rows] *= keep[week_slot[rows]]
            taken["returns"] += float(out.sum())
        if elsewhere_p > 0 and elsewhere_channel is not None:
            there = channel.eq(elsewhere_channel).to_numpy() & ~closed
            total = float(w[there].sum())
            out_e = min(elsewhere_p * int(met.sum()), total)
            if total > 0:
                w[there] *= 1.0 - out_e / total
            taken["elsewhere"] += out_e
    return pd.Series(w, index=weight.index), taken
