"""Planted truth for "does the fourth call lose the customer?": a log whose leaving risk the generator knows.

Each customer has one case of contacts. After contact number k the customer leaves with
probability ``segment factor × (hazard[k] + per_failure if that contact was failure demand)``;
otherwise they come back (segment-dependent) or stay quiet. Small-business customers both
call more often and leave more readily, so the raw risk by contact number drifts upward with
the count even where the planted hazard is flat: an analysis that does not adjust for the
segment sees a jump that is not there. Failure demand is rarer on a first contact than later,
so its extra risk also masquerades as a count effect. Dirt: extra contacts without a customer id,
the leaving date missing on some of a leaver's rows, and leaving after the log ends unseen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flowkit import schema

__all__ = ["ChurnTruth", "generate_churn_log"]


@dataclass(frozen=True)
class ChurnTruth:
    """What the generator plants. ``hazard[k]`` is the base leaving probability after contact k
    (the last entry holds for every later contact); ``failure_factor`` multiplies it when that contact
    is failure demand; each segment multiplies it too and has its own return probability."""

    hazard: tuple[float, ...] = (0.03, 0.03, 0.03, 0.16)
    failure_factor: float = 2.0
    segments: dict[str, tuple[float, float, float]] = field(
        # name -> (share of customers, risk factor, probability of another contact)
        default_factory=lambda: {"consumer": (0.7, 1.0, 0.62), "small_business": (0.3, 1.8, 0.82)}
    )
    failure_p_first: float = 0.1
    failure_p_later: float = 0.55
    days: int = 180

    def risk(self, k: int, failure: bool, segment: str) -> float:
        base = self.hazard[min(k, len(self.hazard)) - 1] * (self.failure_factor if failure else 1.0)
        return min(1.0, base * self.segments[segment][1])

    @property
    def jump_at(self) -> int | None:
        """The contact number where the planted base hazard rises (None when flat)."""
        steps = [k + 2 for k in range(len(self.hazard) - 1) if self.hazard[k + 1] > self.hazard[k] * 1.5]
        return steps[0] if steps else None


def generate_churn_log(
    n_customers: int = 6000,
    seed: int = 0,
    truth: ChurnTruth | None = None,
    signal: str = "column",
    start: str = "2026-01-05",
) -> pd.DataFrame:
    """A classified contact table (``demand`` set) with ``segment`` and the leaving signal.

    ``signal``: ``"column"`` adds ``churned_at`` per customer (repeated on its rows, missing on
    some); ``"closure"`` adds a contact of demand type ``account_closure`` when the customer
    leaves; ``"none"`` leaves only the contacts (for the "no contact for N days" assumption).
    """
    if signal not in ("column", "closure", "none"):
        raise ValueError(f"signal must be column, closure or none, not {signal!r}")
    t = truth or ChurnTruth()
    rng = np.random.default_rng(seed)
    names = list(t.segments)
    shares = np.array([t.segments[s][0] for s in names])
    seg = rng.choice(len(names), size=n_customers, p=shares / shares.sum())
    t0 = pd.Timestamp(start)
    end = t0 + pd.Timedelta(days=t.days)
    rows: list[tuple] = []
    left_at: dict[str, pd.Timestamp] = {}
    for i in range(n_customers):
        cust = f"C{i:06d}"
        segment = names[seg[i]]
        back_p = t.segments[segment][2]
        at = t0 + pd.Timedelta(days=float(rng.uniform(0, t.days * 0.6)))
        k = 0
        while at < end:
            k += 1
            failure = bool(rng.random() < (t.failure_p_first if k == 1 else t.failure_p_later))
            rows.append((cust, segment, at, k, failure))
            if rng.random() < t.risk(k, failure, segment):
                left_at[cust] = at + pd.Timedelta(hours=float(rng.uniform(1, 72)))
                break
            if rng.random() >= back_p:
                break
            at = at + pd.Timedelta(hours=float(6 + rng.exponential(24 * 7)))
    d = pd.DataFrame(rows, columns=["customer_id", "segment", "received_at", "k", "failure"])
    n = len(d)
    d["contact_id"] = [f"K{j:07d}" for j in range(n)]
    d["case_id"] = "case-" + d["customer_id"]
    d["channel"] = rng.choice(["phone", "email", "chat"], size=n, p=[0.6, 0.25, 0.15])
    d["demand"] = np.where(d["failure"], "failure", "value")
    d["demand_type"] = np.where(d["failure"], "chasing", "request")
    d["source"] = "synth:churn"
    if signal == "closure":
        gone = pd.Series(left_at)
        gone = gone[gone < end]
        closing = pd.DataFrame(
            {
                "customer_id": gone.index,
                "segment": d.drop_duplicates("customer_id").set_index("customer_id").loc[gone.index, "segment"].values,
                "received_at": gone.values,
                "contact_id": [f"X{j:07d}" for j in range(len(gone))],
                "channel": "phone",
                "demand": "value",
                "demand_type": "account_closure",
                "source": "synth:churn",
            }
        )
        closing["case_id"] = "close-" + closing["customer_id"]
        d = pd.concat([d, closing], ignore_index=True)
    elif signal == "column":
        when = d["customer_id"].map(left_at)
        when = when.where(when < end)
        last = ~d["customer_id"].duplicated(keep="last")
        when = when.where(last | (rng.random(len(d)) > 0.3))  # dirt: missing on some of a leaver's earlier rows
        d["churned_at"] = pd.to_datetime(when)
    # dirt: contacts nobody could tie to a customer (walk-ins, withheld numbers), copied from real ones
    stray = d.sample(frac=0.03, random_state=seed).copy()
    stray["customer_id"] = stray["case_id"] = pd.NA
    stray["contact_id"] = [f"A{j:07d}" for j in range(len(stray))]
    d = pd.concat([d, stray], ignore_index=True)
    d = d.sort_values("received_at", kind="stable").reset_index(drop=True)
    d = d.drop(columns=["k", "failure"])
    return schema.conform(d)
