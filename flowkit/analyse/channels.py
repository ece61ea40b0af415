"""One company across channels: how often customers switch channel or are passed on, and what
telling the story again costs.

A *switch* is a contact in a case that comes through another channel than the contact before it,
within ``window``; a *hand-off* is a contact the log marks ``pass_on`` or ``pass_back``. Their cost
is the extra handle time, estimated by least squares with the contact's channel, whether it is
failure demand and its position in the case held equal (switching and hand-offs happen more on
failure demand, which is slower anyway, and mostly towards the phone, the slowest channel), with
heteroskedasticity-robust 95% CIs. Observational: "tell us once" is then a what-if on that cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MIN_CONTACTS", "channel_switches", "mark_switches", "retelling_cost"]

MIN_CONTACTS = 30  # fewer switched (or handed-off) timed contacts than this: "too few"


def mark_switches(contacts: pd.DataFrame, window: str | pd.Timedelta = "7D") -> pd.DataFrame:
    """Contacts with ``k`` (position in case), ``prev_channel``, ``switched`` and ``handed_off``."""
    d = contacts[contacts["case_id"].notna()].sort_values(["case_id", "received_at"], kind="stable").copy()
    g = d.groupby("case_id", observed=True, sort=False)
    d["k"] = g.cumcount() + 1
    d["prev_channel"] = g["channel"].shift(1).astype("string")
    gap = d["received_at"] - g["received_at"].shift(1)
    channel = d["channel"].astype("string")
    d["switched"] = (d["prev_channel"].notna() & channel.ne(d["prev_channel"]) & (gap <= pd.Timedelta(window))).fillna(
        False
    )
    handling = d["handling"].astype("string") if "handling" in d else pd.Series(pd.NA, index=d.index, dtype="string")
    d["handed_off"] = handling.isin(["pass_on", "pass_back"]).fillna(False)
    return d


def channel_switches(contacts: pd.DataFrame, window: str | pd.Timedelta = "7D") -> pd.DataFrame:
    """From-channel → to-channel: ``switches``, ``cases`` and the share of multi-contact cases."""
    d = mark_switches(contacts, window)
    s = d[d["switched"]]
    multi = int((d.groupby("case_id", observed=True).size() > 1).sum())
    out = (
        s.groupby([s["prev_channel"].rename("from_channel"), s["channel"].astype("string").rename("to_channel")])
        .agg(switches=("contact_id", "size"), cases=("case_id", "nunique"))
        .reset_index()
        .sort_values("switches", ascending=False, kind="stable")
    )
    out["share_of_repeat_cases"] = out["cases"] / multi if multi else np.nan
    return out.reset_index(drop=True)


def _independent(x: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``x`` in order, each kept only if it is not a combination of those before.

    A log with one channel (a phone switch's) has no switches and channel dummies that repeat
    other columns; a rank-deficient design gives arbitrary coefficients, so a term that cannot
    be separated from what came before is left out and reported as "too few", not estimated.
    """
    kept: list[str] = []
    for col in x.columns:
        trial = x[[*kept, col]].to_numpy(dtype=float)
        if np.linalg.matrix_rank(trial) == len(kept) + 1:
            kept.append(col)
    return x[kept]


def retelling_cost(contacts: pd.DataFrame, window: str | pd.Timedelta = "7D") -> pd.DataFrame:
    """Extra handle time of a switched and of a handed-off contact, adjusted, with 95% CIs.

    Rows ``channel switch`` and ``hand-off``: ``contacts`` (timed ones of that kind), ``extra_s``,
    ``ci_low``, ``ci_high``, ``agent_hours`` (what they cost in all, with ``hours_ci_low/high``),
    ``naive_s`` (plain difference of means) and ``verdict`` ("costs", "no evidence", "too few").
    """
    from statsmodels.regression.linear_model import OLS

    d = mark_switches(contacts, window)
    d = d[d["handle_s"].notna()]
    rows = []
    x = pd.DataFrame(
        {"const": 1.0, "switched": d["switched"].astype(float), "handed_off": d["handed_off"].astype(float)},
        index=d.index,
    )
    if "demand" in d and d["demand"].astype(str).eq("failure").any():
        x["failure"] = d["demand"].astype(str).eq("failure").astype(float)
    x = x.join(pd.get_dummies(d["channel"].astype(str), prefix="ch", drop_first=True, dtype=float))
    x = x.join(pd.get_dummies(d["k"].clip(upper=4), prefix="k", drop_first=True, dtype=float))
    x = _independent(x.loc[:, x.std().gt(0) | x.columns.isin(["const"])])
    y = d["handle_s"].astype(float)
    fit = None
    if len(d) > x.shape[1] + 10:
        fit = OLS(y, x).fit(cov_type="HC1")
    for term, name in (("switched", "channel switch"), ("handed_off", "hand-off")):
        flag = d[term].astype(bool)
        n = int(flag.sum())
        naive = float(y[flag].mean() - y[~flag].mean()) if n and (~flag).any() else np.nan
        if fit is None or n < MIN_CONTACTS or term not in fit.params:
            rows.append({"what": name, "contacts": n, "naive_s": naive, "verdict": "too few"})
            continue
        est = float(fit.params[term])
        lo, hi = (float(v) for v in fit.conf_int().loc[term])
        verdict = "costs" if lo > 0 else "saves" if hi < 0 else "no evidence"
        rows.append(
            {
                "what": name,
                "contacts": n,
                "extra_s": est,
                "ci_low": lo,
                "ci_high": hi,
                "agent_hours": est * n / 3600,
                "hours_ci_low": lo * n / 3600,
                "hours_ci_high": hi * n / 3600,
                "naive_s": naive,
                "verdict": verdict,
            }
        )
    cols = ["what", "contacts", "extra_s", "ci_low", "ci_high", "agent_hours", "hours_ci_low", "hours_ci_high"]
    return pd.DataFrame(rows).reindex(columns=[*cols, "naive_s", "verdict"])
