"""Planted truth for "one company across channels": what re-telling the story costs.

Cases of several contacts. A later contact may come through another channel than the one
before it, and any contact may be passed on to a second agent; both make the customer
authenticate and tell the story again, which the generator adds to the handle time
(``retell_s`` and ``handoff_s``). Confounding as in a real log: switching and hand-offs are
more common on failure demand, which is slower anyway, and customers switch mostly *to* the
phone, the slowest channel, so a naive with/without comparison overstates the cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from flowkit import schema

__all__ = ["ChannelTruth", "generate_channel_log"]

_CHANNELS = ("phone", "chat", "email")
_BASE_S = {"phone": 300.0, "chat": 420.0, "email": 240.0}


@dataclass(frozen=True)
class ChannelTruth:
    """Seconds that re-telling adds to a contact after a channel switch and after a hand-off."""

    retell_s: float = 75.0
    handoff_s: float = 120.0
    failure_extra_s: float = 150.0
    switch_p: tuple[float, float] = (0.15, 0.45)  # value, failure contact
    handoff_p: tuple[float, float] = (0.08, 0.25)
    again_p: float = 0.55


def generate_channel_log(n_cases: int = 4000, seed: int = 0, truth: ChannelTruth | None = None) -> pd.DataFrame:
    """A classified contact table (``demand`` set, ``handling`` pass_on for hand-offs); dirt: some
    contacts with no handle time, no customer id (a case of their own), and a few duplicated rows."""
    t = truth or ChannelTruth()
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2026-03-02")
    for i in range(n_cases):
        at = start + pd.Timedelta(hours=float(rng.uniform(0, 24 * 60)))
        channel = _CHANNELS[rng.choice(3, p=[0.5, 0.3, 0.2])]
        k = 1
        while True:
            failure = k > 1 and rng.random() < 0.6
            switched = False
            if k > 1 and rng.random() < t.switch_p[int(failure)]:
                others = [c for c in _CHANNELS if c != channel]  # mostly to the phone, when not on it
                channel = "phone" if "phone" in others and rng.random() < 0.7 else others[-1]
                switched = True
            handoff = rng.random() < t.handoff_p[int(failure)]
            handle = _BASE_S[channel] * float(np.exp(rng.normal(0, 0.35)))
            handle += t.failure_extra_s * failure + t.retell_s * switched + t.handoff_s * handoff
            rows.append((f"C{i:06d}", f"case-{i:06d}", at, channel, failure, handoff, handle))
            if rng.random() >= t.again_p or k >= 8:
                break
            k += 1
            at = at + pd.Timedelta(hours=float(1 + rng.exponential(40)))
    d = pd.DataFrame(
        rows, columns=["customer_id", "case_id", "received_at", "channel", "failure", "handoff", "handle_s"]
    )
    d["contact_id"] = [f"H{j:07d}" for j in range(len(d))]
    d["demand"] = np.where(d["failure"], "failure", "value")
    d["handling"] = np.where(d["handoff"], "pass_on", "one_stop")
    d["source"] = "synth:channels"
    d.loc[rng.random(len(d)) < 0.04, "handle_s"] = np.nan  # dirt: untimed contacts
    d = d.drop(columns=["failure", "handoff"]).sort_values("received_at", kind="stable").reset_index(drop=True)
    return schema.conform(d)
