"""Phone service as the caller felt it: abandonment, wait and service level over calls offered.

Every figure is over **offered** calls (all calls that reached the centre: answered and
abandoned, including those who hung up before queueing), the denominator the simulator and
Erlang C/A use, so the log and a model are compared like with like. Mean wait counts an
abandoned call's wait until it gave up. A call whose log row lacks the field a figure needs is
left out of that figure only, and the count says how many. Calls the centre made (callbacks,
outbound work: ``direction`` OUT) are not offered demand and are left out, counted; calls that met
a closed line (outside the hours the log shows the line answering) count as offered and abandoned
with no wait, as a switch records them, and are counted apart so they are not read as IVR exits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SERVICE_LEVEL_S", "phone_calls", "phone_profile", "phone_service"]

#: the usual service-level threshold: answered within 20 seconds
SERVICE_LEVEL_S = 20.0
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def phone_calls(df: pd.DataFrame) -> pd.DataFrame:
    """The inbound phone contacts that record a queue outcome (abandoned or a wait); empty if none do."""
    phone = df[df["channel"].astype(str).eq("phone")]
    made = _made(phone)
    if made is not None:
        phone = phone[~made]
    return phone[phone["abandoned"].notna() | phone["wait_s"].notna()]


def _made(phone: pd.DataFrame) -> np.ndarray | None:
    from flowkit.analyse.callbacks import outbound

    return outbound(phone)


def _figures(calls: pd.DataFrame, threshold_s: float) -> dict[str, float]:
    ab = calls["abandoned"]
    wait = calls["wait_s"].astype("Float64")
    known = ab.notna()
    abandoned = ab.fillna(False).astype(bool)
    answered_fast = (~abandoned & known) & (wait <= threshold_s).fillna(False).astype(bool)
    sl_known = known & wait.notna()
    return {
        "offered": float(len(calls)),
        "abandoned": float(abandoned.sum()),
        "abandon_rate": float(abandoned[known].mean()) if known.any() else np.nan,
        "abandoned_before_queue": float((abandoned & wait.eq(0).fillna(False).astype(bool)).sum()),
        "mean_wait_s": float(wait.mean()) if wait.notna().any() else np.nan,
        "service_level": float(answered_fast[sl_known].mean()) if sl_known.any() else np.nan,
        "no_outcome": float((~known).sum()),
        "no_wait": float(wait.isna().sum()),
    }


def phone_service(df: pd.DataFrame, threshold_s: float = SERVICE_LEVEL_S) -> dict[str, float] | None:
    """Offered, abandoned (and how many of them before queueing), abandonment rate, mean wait and
    service level (answered within ``threshold_s`` over offered) for the log's phone calls;
    None when the log has no phone calls with a queue outcome."""
    calls = phone_calls(df)
    if calls.empty:
        return None
    out = _figures(calls, threshold_s)
    out["threshold_s"] = float(threshold_s)
    made = _made(df[df["channel"].astype(str).eq("phone")])
    out["outbound"] = float(made.sum()) if made is not None else 0.0
    closed = _closed_line(df, calls)
    out["closed_line"] = float(closed.sum()) if closed is not None else np.nan
    # the wait of those who found the line open: a call to a closed line waited for nothing
    open_line = calls[~closed] if closed is not None else calls
    wait = open_line["wait_s"].astype("Float64")
    out["mean_wait_open_s"] = float(wait.mean()) if wait.notna().any() else np.nan
    return out


def _closed_line(df: pd.DataFrame, calls: pd.DataFrame) -> np.ndarray | None:
    """Which ``calls`` were abandoned with no wait while the line was closed (hours read from when
    calls were answered: :func:`flowkit.analyse.hours.infer_open_hours`); None when the hours
    cannot be told."""
    from flowkit.analyse.hours import infer_open_hours, week_slot

    hours = infer_open_hours(df, "phone")
    if hours.grid is None:
        return None
    closed = ~hours.grid[week_slot(calls["received_at"])]
    gave_up = calls["abandoned"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    no_wait = calls["wait_s"].astype("Float64").fillna(0.0).to_numpy(dtype=float) <= 0
    return np.asarray(closed & gave_up & no_wait, dtype=bool)


def phone_profile(df: pd.DataFrame, by: str, threshold_s: float = SERVICE_LEVEL_S) -> pd.DataFrame:
    """The same figures per ``hour`` of day or ``weekday`` (Mon..Sun), in clock order."""
    calls = phone_calls(df)
    cols = ["offered", "abandon_rate", "mean_wait_s", "service_level"]
    if calls.empty:
        return pd.DataFrame(columns=cols)
    if by == "hour":
        key = calls["received_at"].dt.hour.rename("hour")
    elif by == "weekday":
        key = pd.Categorical(calls["received_at"].dt.day_of_week.map(dict(enumerate(_DAYS))), _DAYS)
        key = pd.Series(key, index=calls.index, name="weekday")
    else:
        raise ValueError(f"by must be 'hour' or 'weekday', got {by!r}")
    rows = {k: _figures(g, threshold_s) for k, g in calls.groupby(key, observed=True, sort=True)}
    out = pd.DataFrame.from_dict(rows, orient="index")[cols]
    out["offered"] = out["offered"].astype(int)
    out.index.name = key.name
    return out
