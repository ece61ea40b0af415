"""Repeat contacts the model makes itself (redials and recontacts), measured once on identified customers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit import schema
from flowkit.sim.calibrate.durations import EMPIRICAL_MIN, _duration, _lognormal


def _repeats(
    df: pd.DataFrame,
    identified: pd.Series,
    abandoned: pd.Series,
    closed_call: pd.Series,
    window: pd.Timedelta,
    notes: dict,
) -> dict:
    """Repeat contacts, counted once, on identified customers' contacts whose whole window lies in
    the log. The model makes two kinds itself: redials (a caller who gave up calls again within
    a day) and recontacts (an unresolved contact followed by another within ``window``; only
    when the log says what was resolved - otherwise a repeat cannot be told from a new need).
    ``r`` = the share of contacts the model will follow with one of these: it comes out of the
    outside arrivals, so the loop adds nothing the log does not hold."""
    last = df["received_at"].max()
    base = df[identified & (df["received_at"] <= last - window)]
    if len(base) < 100:
        base = df[identified]
    has_resolved = bool(df["resolved"].notna().any())
    out: dict = {"r": 0.0, "q_chain": 0.0, "has_resolved": has_resolved, "repeat_rows": pd.Index([])}
    if len(base) < 50:
        notes["recontact"] = (
            f"not measured: only {len(base):,} contacts from identified customers (need 50); "
            "no redial or recontact loop, every logged contact is an outside arrival"
        )
        return out
    spawning = ~closed_call.loc[base.index]
    gave = abandoned.loc[base.index] & spawning
    spawned = pd.Series(False, index=base.index)
    gone = base[gave]
    if len(gone) >= 20:
        back = gone["_next_gap"].dropna()
        back = back[back <= 86400]
        if len(back) >= 5:
            out["redial"] = {
                "p": round(len(back) / len(gone), 3),
                "delay": _duration(back) if len(back) >= EMPIRICAL_MIN else _lognormal(back),
            }
            spawned.loc[back.index] = True
            notes["redial"] = (
                f"identified callers who gave up (queue or IVR) and called again within a day: "
                f"{len(back):,} of {len(gone):,}"
            )
    ans = base[~abandoned.loc[base.index] & spawning & base["handle_s"].notna()]
    q_any = float(ans["_next_gap"].notna().mean()) if len(ans) else float("nan")
    unresolved = ans[ans["resolved"].eq(False).fillna(False).astype(bool)] if has_resolved else ans.iloc[:0]
    if has_resolved and len(unresolved) >= 20:
        back = unresolved["_next_gap"].dropna()
        q = len(back) / len(unresolved)
        if len(back) >= 5:
            as_type = "progress_chasing"
            if "demand" in df.columns:
                m = df.loc[df["_n"] > 0, "failure_type"].astype(str)
                m = m[m.isin(schema.FAILURE_TYPES)]
                if len(m):
                    as_type = m.mode().iloc[0]
            out["recontact"] = {
                "p": round(q, 3),
                "delay": _duration(back) if len(back) >= EMPIRICAL_MIN else _lognormal(back),
                "as": as_type,
            }
            spawned.loc[back.index] = True
            child = df["_next_row"].loc[back.index].astype(int)
            out["recontact_pairs"] = (back.index, pd.Index(child.map(lambda i: df.index[i])))
            notes["recontact"] = (
                f"unresolved answered contacts followed by another from the customer within "
                f"{window.days} days: {len(back):,} of {len(unresolved):,} ({q:.1%}); delay from the "
                "gaps between them"
            )
            channels = _recontact_channels(
                df.loc[back.index, "channel"].astype(str), df["channel"].astype(str).to_numpy()[child.to_numpy()]
            )
            if channels:
                out["recontact"]["channels"] = channels
                moved = {p: 1 - row.get(p, 0.0) for p, row in channels.items()}
                notes["recontact"] += "; it comes in on another channel as often as the log's pairs do (" + (
                    ", ".join(f"after {p}: {share:.0%} elsewhere" for p, share in moved.items()) + ")"
                )
    elif len(ans):
        notes["recontact"] = (
            f"not in the baseline: the log has no resolution flag, so the {q_any:.1%} of answered "
            f"identified calls followed by another within {window.days} days cannot be told from new "
            "needs; they stay outside arrivals (no failure-demand loop, resolve_p unknown, set to 1). "
            "Map a resolution column to calibrate one"
        )
    out["r"] = float(spawned.mean())
    out["q_chain"] = float(spawned[spawning].mean()) if spawning.any() else 0.0
    nxt = df["_next_row"].loc[spawned[spawned].index].dropna()
    out["repeat_rows"] = pd.Index(nxt.astype(int).map(lambda i: df.index[i]))
    return out


MIN_PAIRS = 20  # recontacts after one channel's contacts, to say where they come in


def _recontact_channels(parent: pd.Series, child: np.ndarray) -> dict[str, dict[str, float]]:
    """Shares of recontacts by the channel they come in on, per channel of the contact they follow
    (only channels with ``MIN_PAIRS`` pairs; the rest come back on the same channel). Empty when
    every recontact comes back on its own channel: the model's default then says it."""
    table = pd.crosstab(parent.to_numpy(), np.asarray(child, dtype=str))
    out: dict[str, dict[str, float]] = {}
    for p, row in table.iterrows():
        n = int(row.sum())
        if n < MIN_PAIRS:
            continue
        shares = {str(c): round(float(k) / n, 3) for c, k in row.items() if k > 0}
        top = max(shares, key=lambda c: shares[c])
        shares[top] = round(shares[top] + 1.0 - sum(shares.values()), 3)  # rounded shares still sum to 1
        out[str(p)] = shares
    if all(row == {p: 1.0} for p, row in out.items()):
        return {}
    return out
