"""Flow: how long customers really wait for a result, and how often the first contact does it.

End-to-end time runs per case from the customer's first contact to resolution (the source's
``closed_at`` where known, else the last contact), so it includes every repeat and hand-off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flowkit.analyse.capability import XmR, xmr
from flowkit.classify import languages

if TYPE_CHECKING:
    from lifelines import KaplanMeierFitter

__all__ = [
    "agent_hours",
    "contacts_per_case",
    "end_to_end",
    "handoffs",
    "identified",
    "linked",
    "nth_contact_effect",
    "one_stop",
]

PERCENTILES = (0.5, 0.8, 0.9, 0.95)


def end_to_end(cases: pd.DataFrame) -> tuple[pd.Series, XmR | None]:
    """Percentiles of end-to-end days, and an XmR chart over finished cases in order of first contact.

    Open cases (``open`` True: the log records closing times, this case has none) are
    right-censored: they have lasted at least until the end of the log. Percentiles then come
    from the Kaplan-Meier estimate (lifelines), so open cases neither count as finished nor
    vanish; a percentile the log cannot reach (too many still open) is +inf, i.e. "longer than
    the log shows". The mean is given only when no case is open. Rows: p50, p80, p90, p95,
    mean, cases, open.
    """
    ordered = cases.sort_values("first_at", kind="stable")
    days = (ordered["end_to_end_s"] / 86400.0).reset_index(drop=True)
    is_open = ordered["open"].fillna(False).astype(bool).to_numpy() if "open" in ordered else np.zeros(len(days), bool)
    n_open = int(is_open.sum())
    if n_open:
        from lifelines import KaplanMeierFitter

        kmf = KaplanMeierFitter().fit(days.to_numpy(), event_observed=~is_open)
        pct = pd.Series({f"p{int(q * 100)}": float(_km_quantile(kmf, q)) for q in PERCENTILES})
        pct["mean"] = np.nan
    else:
        pct = days.quantile(list(PERCENTILES)).rename(lambda q: f"p{int(q * 100)}")
        pct["mean"] = days.mean()
    pct["cases"] = float(len(days))
    pct["open"] = float(n_open)
    finished = days[~is_open].reset_index(drop=True)
    return pct, (xmr(finished) if len(finished) >= 2 else None)


def _km_quantile(kmf: KaplanMeierFitter, q: float) -> float:
    """The first time by which a share ``q`` of cases has closed (inf if the estimate never gets there)."""
    sf = kmf.survival_function_.iloc[:, 0]
    reached = sf[sf <= 1 - q + 1e-12]
    return float(reached.index[0]) if len(reached) else float("inf")


def linked(df: pd.DataFrame) -> pd.DataFrame:
    """Contacts whose case belongs to a known customer, when the log has customer ids at all.

    A contact with no usable customer id (blank or a placeholder such as 0) cannot be seen
    coming back, so it is a one-contact case by construction: kept in, it would make the first
    contact look "perfect" and the Nth-contact curve start wherever anonymous calls put it.
    """
    if df["customer_id"].notna().any():
        known = df["customer_id"].notna().groupby(df["case_id"], observed=True).transform("any")
        return df[known.fillna(False).astype(bool)]
    return df


def one_stop(df: pd.DataFrame) -> dict[str, float]:
    """Value demand dealt with at the first contact: the 'perfect' share of cases.

    Among cases that start with value demand and whose first contact records ``resolved``:
    perfect = resolved at that first contact and no further contact in the case. Only cases of
    identified customers count (see :func:`linked`).
    """
    d = linked(df[df["case_id"].notna()]).sort_values(["case_id", "received_at"], kind="stable")
    n = d.groupby("case_id", observed=True)["contact_id"].transform("size")
    first = d.groupby("case_id", observed=True).head(1)
    first = first.assign(n=n.loc[first.index])
    eligible = first[first["demand"].astype(str).eq("value") & first["resolved"].notna()]
    if eligible.empty:
        return {"cases": 0, "resolved_first_contact": float("nan"), "perfect": float("nan")}
    resolved = eligible["resolved"].astype(bool)
    return {
        "cases": len(eligible),
        "resolved_first_contact": float(resolved.mean()),
        "perfect": float((resolved & (eligible["n"] == 1)).mean()),
    }


def identified(cases: pd.DataFrame) -> pd.DataFrame:
    """Cases that belong to a known customer, when the log has customer ids at all.

    A contact with no usable customer id (blank or a placeholder) is a case of one by
    construction; counting it would make repeat demand look rarer than it is.
    """
    if "customer_id" in cases and cases["customer_id"].notna().any():
        return cases[cases["customer_id"].notna()]
    return cases


def contacts_per_case(cases: pd.DataFrame) -> pd.Series:
    """How many cases took 1, 2, 3, ... contacts (cases of identified customers, see :func:`identified`)."""
    return identified(cases)["n_contacts"].value_counts().sort_index().rename("cases")


def handoffs(df: pd.DataFrame) -> pd.Series:
    """one_stop / pass_on / pass_back counts where the log records handling."""
    return df["handling"].astype(str).where(df["handling"].notna(), "not recorded").value_counts()


def _is_outcome(df: pd.DataFrame) -> pd.Series:
    """Contacts that are an outcome worth avoiding: complaints, cancellations, abandoned calls.

    A cancellation is a demand type with a ``cancellation`` phrase of any language folder's
    ``flow.yaml`` ("cancel", "rezygnacja", "расторжение", ...).
    """
    dtype = df["demand_type"].astype(str).str.lower()
    phrases = languages.flow_pattern("cancellation")
    cancelled = dtype.str.contains(phrases, regex=True) if phrases else pd.Series(False, index=df.index)
    return df["failure_type"].astype(str).eq("complaint") | cancelled | df["abandoned"].fillna(False).astype(bool)


def nth_contact_effect(df: pd.DataFrame, max_n: int = 6) -> pd.DataFrame:
    """The Nth-contact effect: of cases still going at contact N, how many end in an outcome there.

    Rows are contact numbers 1..max_n (the last row is max_n and above): cases that reached
    that contact, outcomes at that contact, and the rate. Cases of identified customers only.
    """
    d = linked(df[df["case_id"].notna()]).sort_values(["case_id", "received_at"], kind="stable")
    k = d.groupby("case_id", observed=True).cumcount() + 1
    t = pd.DataFrame({"k": np.minimum(k, max_n), "outcome": _is_outcome(d).to_numpy()})
    out = t.groupby("k").agg(contacts=("outcome", "size"), outcomes=("outcome", "sum"))
    out["rate"] = out["outcomes"] / out["contacts"]
    out.index.name = "contact_number"
    return out


def agent_hours(df: pd.DataFrame) -> pd.DataFrame:
    """Agent hours by demand (value / failure / unknown) from recorded handle time, with shares."""
    d = df[df["handle_s"].notna()]
    hours = (d["handle_s"].astype(float) / 3600.0).groupby(d["demand"].astype(str)).sum()
    out = hours.rename("agent_hours").to_frame()
    out["share"] = out["agent_hours"] / out["agent_hours"].sum() if out["agent_hours"].sum() else np.nan
    return out
