"""Callbacks promised against callbacks made, and the failure demand a missed one brings.

The rule (stated in the report): a contact with ``callback_promised`` true is a promise; it is
*kept* when an outbound contact (``direction`` outbound, or ``outbound`` true) reaches the same
customer - or the same case when the customer is unknown - by the promised time (a
``callback_due`` column) or else within ``within_hours`` of the promise; *late* when one comes
within a week after that; *missed* otherwise.

What follows a missed callback: whether the customer makes an inbound failure-demand contact
from the promise to ``days`` after its deadline.
Missed callbacks are not missed at random - the hard demand types, the busy channels and the
customers who call a lot are both more often let down and more often back anyway - so the effect
is estimated as in :mod:`flowkit.analyse.effects`: cross-fitted AIPW (logistic propensity and
outcome models on demand type, channel, weekday and the customer's earlier contacts in 90 days;
folds by customer, repeated over five splits), a risk difference with a 95% CI clustered by customer. The naive difference is shown beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from flowkit.analyse.effects import _earlier
from flowkit.errors import FlowkitError

__all__ = ["CallbackEffect", "callback_promises", "has_callbacks", "missed_callback_effect", "outbound"]

ALPHA = 0.05
MIN_EACH = 30  # promises on each side (kept, missed) after trimming
TRIM = 0.02
SPLITS = 5  # repeated cross-fitting splits (median aggregation)
_TRUE = {"true", "yes", "y", "1", "t", "tak", "да"}


def _flag(s: pd.Series) -> np.ndarray:
    if s.dtype == bool or str(s.dtype) == "boolean":
        return s.astype("boolean").fillna(False).to_numpy(dtype=bool)
    return s.astype("string").str.strip().str.lower().isin(_TRUE).fillna(False).to_numpy(dtype=bool)


def has_callbacks(c: pd.DataFrame) -> bool:
    return "callback_promised" in c.columns and bool(_flag(c["callback_promised"]).any())


def outbound(c: pd.DataFrame) -> np.ndarray | None:
    """Which contacts the centre made (None when the log cannot tell)."""
    if "direction" in c.columns:
        return c["direction"].astype("string").str.lower().str.startswith("out").fillna(False).to_numpy(dtype=bool)
    if "outbound" in c.columns:
        return _flag(c["outbound"])
    return None


def callback_promises(c: pd.DataFrame, within_hours: float = 24.0) -> pd.DataFrame:
    """One row per promise: when, to whom, demand type, channel, and ``status`` kept/late/missed."""
    if "callback_promised" not in c.columns:
        raise FlowkitError(
            "the log has no callback_promised column: keep one in the mapping (keep: {callback_promised: COLUMN})"
        )
    out_flag = outbound(c)
    if out_flag is None:
        raise FlowkitError(
            "the log cannot tell callbacks made: it needs a direction column (inbound/outbound) or an outbound flag"
        )
    promised = _flag(c["callback_promised"]) & ~out_flag
    who = c["customer_id"].astype("string").fillna("case:" + c["case_id"].astype("string"))
    p = pd.DataFrame(
        {
            "contact_id": c["contact_id"].to_numpy()[promised],
            "who": who.to_numpy()[promised],
            "at": pd.to_datetime(c["received_at"]).to_numpy()[promised],
            "demand_type": c["demand_type"].astype("string").fillna("(unknown)").to_numpy()[promised]
            if "demand_type" in c.columns
            else "(unknown)",
            "channel": c["channel"].astype(str).to_numpy()[promised],
        }
    )
    # the promised time when the log has one (callback_due), else the rule's window
    due = pd.Series(p["at"] + pd.Timedelta(hours=within_hours))
    if "callback_due" in c.columns:
        given = pd.to_datetime(c["callback_due"], errors="coerce").to_numpy()[promised]
        due = due.where(pd.isna(given) | (given < p["at"]), given)
    p["due"] = due.to_numpy()
    p = p[p["who"].notna()].sort_values("at", kind="stable").reset_index(drop=True)
    calls = pd.DataFrame(
        {"who": who.to_numpy()[out_flag], "made_at": pd.to_datetime(c["received_at"]).to_numpy()[out_flag]}
    )
    calls = calls[calls["who"].notna()].sort_values("made_at", kind="stable")
    m = pd.merge_asof(p, calls, left_on="at", right_on="made_at", by="who", direction="forward")
    delay: pd.Series[pd.Timedelta] = m["made_at"] - m["at"]
    m["delay_hours"] = delay / pd.Timedelta(hours=1)
    late = m["made_at"] <= m["due"] + pd.Timedelta(days=7)
    m["status"] = np.where(m["made_at"] <= m["due"], "kept", np.where(late, "late", "missed"))
    m["kept"] = m["status"].eq("kept")
    return m


@dataclass
class CallbackEffect:
    """Kept vs missed promises, and the extra failure demand after a missed one (adjusted and naive)."""

    promises: int
    kept: int
    kept_share: tuple[float, float, float]  # share, CI low, CI high
    table: pd.DataFrame  # by status: promises, followed by failure demand, share
    effect: dict  # adjusted risk difference and its CI, naive, n, verdict
    rule: str


def _features(p: pd.DataFrame) -> np.ndarray:
    from sklearn.preprocessing import OneHotEncoder

    cats = pd.DataFrame(
        {
            "type": p["demand_type"].astype(str),
            "channel": p["channel"].astype(str),
            "weekday": pd.to_datetime(p["at"]).dt.day_of_week.astype(str),
            "earlier": np.minimum(p["earlier_90d"].to_numpy(), 4).astype(str),
        }
    )
    return OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit_transform(cats)


def _aipw(
    X: np.ndarray, T: np.ndarray, Y: np.ndarray, cluster: np.ndarray, seed: int = 0
) -> tuple[float, float, float, int]:
    """Cross-fitted AIPW risk difference E[Y(1) - Y(0)] with a cluster-robust t interval.

    Folds hold whole customers (drawn from their sorted ids, so the row order does not matter), and
    the cross-fitting is repeated over ``SPLITS`` random splits: the estimate is the median and the
    standard error the median of se² + (estimate - median)² (Chernozhukov et al. 2018), so one
    unlucky split neither moves the answer nor hides its own noise."""
    _, codes = np.unique(np.asarray(cluster).astype(str), return_inverse=True)
    g = int(codes.max()) + 1
    q = stats.t.ppf(1 - ALPHA / 2, g - 1)
    thetas, ses, trimmed = [], [], []
    for r in range(SPLITS):
        fold = np.random.default_rng([seed, r]).integers(0, 2, g)[codes]
        theta, se, n_trim = _one_split(X, T, Y, codes, fold)
        thetas.append(theta)
        ses.append(se)
        trimmed.append(n_trim)
    med = float(np.median(thetas))
    se = float(np.sqrt(np.median(np.square(ses) + np.square(np.asarray(thetas) - med))))
    return med, med - q * se, med + q * se, int(np.median(trimmed))


def _one_split(
    X: np.ndarray, T: np.ndarray, Y: np.ndarray, codes: np.ndarray, fold: np.ndarray
) -> tuple[float, float, int]:
    from sklearn.linear_model import LogisticRegression

    n = len(T)
    e, m1, m0 = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    for k in (0, 1):
        tr, te = fold != k, fold == k
        e[te] = LogisticRegression(C=1.0, max_iter=500).fit(X[tr], T[tr]).predict_proba(X[te])[:, 1]
        for arm, out in ((1, m1), (0, m0)):
            sel = tr & (arm == T)
            if np.unique(Y[sel]).size < 2:
                out[te] = Y[sel].mean() if sel.any() else np.nan
            else:
                out[te] = LogisticRegression(C=1.0, max_iter=500).fit(X[sel], Y[sel]).predict_proba(X[te])[:, 1]
    keep = (e >= TRIM) & (e <= 1 - TRIM)
    psi = m1 - m0 + T * (Y - m1) / e - (1 - T) * (Y - m0) / (1 - e)
    psi, cl = psi[keep], codes[keep]
    theta = float(psi.mean())
    infl = pd.Series(psi - theta).groupby(cl).sum().to_numpy()
    k = len(infl)
    se = float(np.sqrt((infl**2).sum() * k / (k - 1)) / len(psi))
    return theta, se, int((~keep).sum())


def missed_callback_effect(
    c: pd.DataFrame, within_hours: float = 24.0, days: float = 7.0, seed: int = 0
) -> CallbackEffect:
    """Promises kept (Wilson CI) and the extra chance of failure demand after a missed callback."""
    from statsmodels.stats.proportion import proportion_confint

    p = callback_promises(c, within_hours)
    rule = (
        f"a promise is kept when an outbound contact reaches the same customer (or case) by the promised time "
        f"(callback_due) or else within {within_hours:g} hours; late within a week after; missed otherwise. "
        f"Failure demand after it: an inbound failure-demand contact by the customer from the promise to "
        f"{days:g} days after that deadline"
    )
    n, k = len(p), int(p["kept"].sum())
    if n == 0:
        raise FlowkitError("no callback was promised in this log")
    lo, hi = proportion_confint(k, n, alpha=ALPHA, method="wilson")
    # the customer's inbound failure demand after the promise, and their earlier contacts
    out_flag = outbound(c)
    assert out_flag is not None, "callback_promises has checked the log tells calls made"
    inbound = c[~out_flag & c["customer_id"].notna().to_numpy()]
    fail = inbound[inbound["demand"].astype(str).eq("failure")] if "demand" in c.columns else inbound.iloc[:0]
    f = pd.DataFrame(
        {"who": fail["customer_id"].astype(str).to_numpy(), "f_at": pd.to_datetime(fail["received_at"]).to_numpy()}
    ).sort_values("f_at", kind="stable")
    p = p.sort_values("at", kind="stable").reset_index(drop=True)
    nxt = pd.merge_asof(
        p[["who", "at"]], f, left_on="at", right_on="f_at", by="who", direction="forward", allow_exact_matches=False
    )
    p["failure_after"] = (nxt["f_at"].notna() & (nxt["f_at"] <= p["due"] + pd.Timedelta(days=days))).to_numpy()
    secs = (pd.to_datetime(inbound["received_at"]).astype("int64") // 10**9).to_numpy(dtype=np.float64)
    keys = np.concatenate([inbound["customer_id"].astype(str).to_numpy(dtype=object), p["who"].to_numpy(dtype=object)])
    t_all = np.concatenate([secs, (p["at"].astype("int64") // 10**9).to_numpy(dtype=np.float64) - 0.5])
    promise_t = t_all[len(secs) :]
    p["earlier_90d"] = _earlier(keys, t_all, 90 * 86400.0)[len(secs) :] - _earlier(
        p["who"].to_numpy(dtype=object), promise_t, 90 * 86400.0
    )
    table = (
        p.groupby("status")
        .agg(promises=("status", "size"), followed_by_failure=("failure_after", "sum"))
        .reindex(["kept", "late", "missed"])
        .dropna()
        .astype(int)
        .reset_index()
    )
    table["share"] = table["followed_by_failure"] / table["promises"]
    ci = [
        proportion_confint(r.followed_by_failure, r.promises, alpha=ALPHA, method="wilson") for r in table.itertuples()
    ]
    table["ci_low"], table["ci_high"] = [x[0] for x in ci], [x[1] for x in ci]
    d = p[p["status"].isin(["kept", "missed"])]
    T = d["status"].eq("missed").to_numpy(dtype=float)
    Y = d["failure_after"].to_numpy(dtype=float)
    naive = float(Y[T == 1].mean() - Y[T == 0].mean()) if (T == 1).any() and (T == 0).any() else np.nan
    n_missed, n_kept = int(T.sum()), int((T == 0).sum())
    effect: dict[str, float | str] = {"naive": naive, "n_missed": n_missed, "n_kept": n_kept}
    if min(n_missed, n_kept) < MIN_EACH:
        effect.update(
            estimate=np.nan,
            ci_low=np.nan,
            ci_high=np.nan,
            trimmed=0,
            verdict=f"too few promises to say (need {MIN_EACH} kept and {MIN_EACH} missed)",
        )
    else:
        theta, lo_, hi_, trimmed = _aipw(_features(d), T, Y, d["who"].to_numpy(), seed)
        if lo_ > 0:
            verdict = "a missed callback brings more failure demand"
        elif hi_ < 0:
            verdict = (
                "a missed callback goes with less failure demand (check the rule against how callbacks are logged)"
            )
        else:
            verdict = "no evidence that a missed callback changes failure demand"
        effect.update(
            estimate=theta,
            ci_low=lo_,
            ci_high=hi_,
            trimmed=trimmed,
            verdict=verdict,
            adjusted_for="demand type, channel, weekday and the customer's contacts in the 90 days before",
        )
    return CallbackEffect(n, k, (k / n, float(lo), float(hi)), table, effect, rule)
