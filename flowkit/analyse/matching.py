"""Who should answer: handle time and resolution per agent profile x customer segment, adjusted.

Raw means by profile and segment are confounded: centres route the harder contacts (failure
demand, repeat callers, complex types, busy hours) to their experts, and those are slower and
resolve less for reasons of their own. So within each segment, each profile's effect (this
profile against the others, on the same contacts) is estimated as in :mod:`flowkit.analyse.effects`:
cross-fitted AIPW with a propensity model (who gets a contact of this profile's agents) and
ridge outcome models on what the log shows - demand type, failure demand or not, channel, hour,
weekday, the customer's earlier contacts in the case and in 90 days, text length. Not the agent
or the team: they *are* the profile, so adjusting for them would leave nothing to compare.

A profile belongs to agents, so contacts are not independent: CIs are clustered by agent with a
t quantile on (agents - 1) degrees of freedom, and a cell needs ``min_agents`` agents on each
side as well as ``min_contacts`` contacts; otherwise its row says "too few" and gives no number.
A CI that holds zero is "no evidence either way". ``sensitivity`` is the E-value of the bound
nearer zero. Observational all the same: a pilot (matched routing for a random half) confirms it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from sklearn.preprocessing import OneHotEncoder

from flowkit.analyse.effects import CrossFit, _crossfit, _earlier, _evalue
from flowkit.errors import FlowkitError

__all__ = [
    "ADJUSTED_FOR",
    "MATCH_COLUMNS",
    "MatchOptions",
    "attach_agents",
    "find_attribute",
    "match_effects",
    "match_verdict",
]

ADJUSTED_FOR = (
    "demand type",
    "failure demand or not",
    "channel",
    "hour",
    "weekday",
    "the customer's earlier contacts (in the case and in the last 90 days)",
    "text length",
)
MATCH_COLUMNS = [
    "segment",
    "profile",
    "outcome",
    "contacts",
    "agents",
    "naive_mean",
    "adjusted_mean",
    "mean_ci_low",
    "mean_ci_high",
    "naive_diff",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "significant",
    "sensitivity",
    "trimmed",
    "verdict",
    "method",
]
#: agent attribute columns looked for on the contacts, in this order
ATTRIBUTE_COLUMNS = ("agent_profile", "profile", "agent_expertise", "agent_age_band", "agent_language")


@dataclass(frozen=True)
class MatchOptions:
    folds: int = 2
    trim: float = 0.02
    min_contacts: int = 30  # on each side, after trimming
    min_agents: int = 3  # on each side
    seed: int = 0


def _clean(s: pd.Series) -> pd.Series:
    """Segment and profile labels as people type them: ' Senior', 'SENIOR' and 'senior' are one."""
    out = s.astype("string").str.strip().str.lower()
    return out.mask(out.isin(["", "nan", "none", "null", "-", "n/a"]))


def attach_agents(contacts: pd.DataFrame, agents: pd.DataFrame, attribute: str) -> pd.DataFrame:
    """``contacts`` with ``attribute`` from an agents file joined on ``agent_id`` (ids compared
    trimmed; an agent listed twice with two values is ambiguous and left unknown)."""
    if "agent_id" not in agents.columns or attribute not in agents.columns:
        raise FlowkitError(
            f"the agents file needs the columns agent_id and {attribute!r} (it has {', '.join(agents.columns)})"
        )
    a = pd.DataFrame({"agent_id": agents["agent_id"].astype("string").str.strip(), "v": _clean(agents[attribute])})
    a = a.dropna(subset=["agent_id"]).drop_duplicates()
    ambiguous = a["agent_id"].duplicated(keep=False)
    by_agent = a[~ambiguous].set_index("agent_id")["v"]
    out = contacts.copy()
    out[attribute] = contacts["agent_id"].astype("string").str.strip().map(by_agent)
    return out


def find_attribute(contacts: pd.DataFrame) -> str | None:
    """The agent attribute column a log carries, if any (see :data:`ATTRIBUTE_COLUMNS`)."""
    for col in ATTRIBUTE_COLUMNS:
        if col in contacts.columns and contacts[col].notna().any():
            return col
    return None


def _population(df: pd.DataFrame, attribute: str, segment: str) -> pd.DataFrame:
    for col in (segment, attribute, "handle_s", "agent_id", "demand_type"):
        if col not in df.columns:
            raise FlowkitError(
                f"matching needs the column {col!r}"
                + (" (classify the contacts first)" if col == "demand_type" else "")
                + (
                    " (an agents file with --agents, or a column on the contacts)"
                    if col == attribute
                    else " (customer segments: carry it with the mapping's keep:)"
                    if col == segment
                    else ""
                )
            )
    secs = (df["received_at"].astype("datetime64[ns]").astype("int64") // 10**9).to_numpy(dtype=np.float64)
    cust = df["customer_id"].astype(object).to_numpy()
    prior_90 = _earlier(cust, secs, 90 * 86400.0)
    if "case_id" in df.columns and df["case_id"].notna().any():
        prior_case = _earlier(df["case_id"].astype(object).to_numpy(), secs, 365 * 86400.0)
    else:
        prior_case = _earlier(cust, secs, 14 * 86400.0)
    abandoned = df["abandoned"].astype("boolean").fillna(False).to_numpy(dtype=bool) if "abandoned" in df else False
    if "direction" in df:  # the centre's own outbound calls (callbacks) are not a customer reaching it
        abandoned = abandoned | df["direction"].astype("string").str.upper().eq("OUT").fillna(False).to_numpy(
            dtype=bool
        )
    d = df.assign(
        _segment=_clean(df[segment]),
        _profile=_clean(df[attribute]),
        _earlier_90d=prior_90,
        _earlier_case=prior_case,
    )
    keep = (
        d["handle_s"].notna().to_numpy()
        & ~abandoned
        & d["agent_id"].notna().to_numpy()
        & d["_segment"].notna().to_numpy()
        & d["_profile"].notna().to_numpy()
        & d["demand_type"].notna().to_numpy()
    )
    return d[keep]


def _features(d: pd.DataFrame) -> sp.csr_matrix:
    """What the log shows about a contact before anyone answers it (never the agent or team)."""
    t = d["received_at"].astype("datetime64[ns]")
    p90, pcase = d["_earlier_90d"].to_numpy(), d["_earlier_case"].to_numpy()
    text = d["text"] if "text" in d else pd.Series(pd.NA, index=d.index)
    tlen = text.astype("string").str.len().fillna(0).to_numpy(dtype=float)
    num = np.column_stack([np.minimum(p90, 10), np.minimum(pcase, 10), np.log1p(tlen), tlen]).astype(float)
    sd = num.std(axis=0)
    num = (num - num.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    demand = d["demand"].astype(str).to_numpy() if "demand" in d else np.full(len(d), "?")
    cats = pd.DataFrame(
        {
            "type": d["demand_type"].astype(str).to_numpy(),
            "demand": demand,
            "channel": d["channel"].astype(str).to_numpy(),
            "hour": t.dt.hour.to_numpy(),
            "weekday": t.dt.day_of_week.to_numpy(),
            "earlier_90d": np.minimum(p90, 3),
            "earlier_case": np.minimum(pcase, 3),
        }
    )
    onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=True, dtype=np.float64).fit_transform(cats)
    return sp.hstack([onehot, sp.csr_matrix(num)], format="csr")


def _clustered(a: np.ndarray, cl: np.ndarray) -> tuple[float, float, int]:
    """Mean of ``a`` and its agent-clustered standard error; the number of clusters."""
    theta = float(a.mean())
    infl = pd.Series(a - theta).groupby(cl).sum().to_numpy()
    g = len(infl)
    se = float(np.sqrt((infl**2).sum() * g / (g - 1)) / len(a)) if g > 1 else np.nan
    return theta, se, g


def match_effects(
    contacts: pd.DataFrame,
    attribute: str = "agent_profile",
    segment: str = "segment",
    options: MatchOptions | None = None,
) -> pd.DataFrame:
    """One row per segment x profile x outcome (``handle_s``, ``resolved``): the adjusted mean had
    this profile's agents answered all of the segment's contacts, and the difference against the
    other profiles (``diff``, with-minus-without as in ``flowkit effects``), with agent-clustered
    95% CIs, the naive figures beside them, and a verdict in words."""
    opt = options or MatchOptions()
    d = _population(contacts, attribute, segment)
    rows = []
    for seg in sorted(d["_segment"].unique()):
        ds = d[d["_segment"] == seg]
        profiles = sorted(ds["_profile"].unique())
        X = _features(ds) if len(ds) else None
        clusters = pd.factorize(ds["agent_id"].astype("string").str.strip())[0]
        ys = {
            "handle_s": ds["handle_s"].to_numpy(dtype=float),
            "resolved": ds["resolved"].astype("boolean").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            if "resolved" in ds
            else np.full(len(ds), np.nan),
        }
        ok = {k: ~np.isnan(v) for k, v in ys.items()}
        ys0 = {k: np.nan_to_num(v) for k, v in ys.items()}
        first: CrossFit | None = None
        for prof in profiles:
            T = (ds["_profile"] == prof).to_numpy(dtype=float)
            fit: CrossFit | None = None
            if len(profiles) == 2 and first is not None:  # one profile against the other: the same fit, mirrored
                e, m = first
                fit = (1 - e, {k: (m0, m1) for k, (m1, m0) in m.items()})
            for outcome in ("handle_s", "resolved"):
                row, fit = _row(seg, prof, outcome, T, ys[outcome], ys0, ok, clusters, X, opt, fit)
                rows.append(row)
            first = fit
    out = pd.DataFrame(rows, columns=MATCH_COLUMNS)
    out["verdict"] = [match_verdict(r) for _, r in out.iterrows()]
    return out


def _row(
    seg: str,
    prof: str,
    outcome: str,
    T: np.ndarray,
    y_raw: np.ndarray,
    ys: dict[str, np.ndarray],
    ok: dict[str, np.ndarray],
    clusters: np.ndarray,
    X: sp.csr_matrix | None,
    opt: MatchOptions,
    fit: CrossFit | None,
) -> tuple[dict[str, object], CrossFit | None]:
    """One output row, and the cross-fit it used (or was given): the next outcome and a mirrored
    second profile reuse it."""
    base = ok[outcome]
    n_with, n_without = int((base & (T == 1)).sum()), int((base & (T == 0)).sum())
    ag_with = len(np.unique(clusters[base & (T == 1)]))
    ag_without = len(np.unique(clusters[base & (T == 0)]))
    naive_mean = float(np.nanmean(y_raw[T == 1])) if n_with else np.nan
    naive_diff = float(np.nanmean(y_raw[T == 1]) - np.nanmean(y_raw[T == 0])) if n_with and n_without else np.nan
    row: dict[str, object] = {
        "segment": seg,
        "profile": prof,
        "outcome": outcome,
        "contacts": n_with,
        "agents": ag_with,
        "naive_mean": naive_mean,
        "naive_diff": naive_diff,
        "significant": False,
        "trimmed": 0,
    }
    few = (
        n_with < opt.min_contacts
        or n_without < opt.min_contacts
        or ag_with < opt.min_agents
        or ag_without < opt.min_agents
    )
    if few:
        row["method"] = (
            f"too few to estimate: {n_with} contacts by {ag_with} agents of this profile, {n_without} by "
            f"{ag_without} others (need {opt.min_contacts} contacts and {opt.min_agents} agents each side)"
        )
        return row, fit
    if fit is None:
        assert X is not None, "a segment with contacts has a design matrix"
        fit = _crossfit(X, T, ys, ok, opt.folds, opt.seed)
    e, m = fit
    y, (m1, m0) = ys[outcome], m[outcome]
    keep = base & (e >= opt.trim) & (e <= 1 - opt.trim)
    trimmed = int((base & ~keep).sum())
    row["trimmed"] = trimmed
    k = keep
    psi1 = m1 + T * (y - m1) / e
    psi = psi1 - (m0 + (1 - T) * (y - m0) / (1 - e))
    cl = clusters[k]
    mean, se_mean, g = _clustered(psi1[k], cl)
    diff, se, g = _clustered(psi[k], cl)
    q = stats.t.ppf(0.975, g - 1)
    lo, hi = diff - q * se, diff + q * se
    sig = bool(lo > 0 or hi < 0)
    near = 0.0 if not sig else (lo if lo > 0 else hi)
    p0 = float(np.clip(m0[k].mean(), 1e-6, 1 - 1e-6)) if outcome == "resolved" else np.nan
    scale = float(y[k & (T == 0)].std()) if outcome == "handle_s" else 1.0
    row.update(
        adjusted_mean=mean,
        mean_ci_low=mean - q * se_mean,
        mean_ci_high=mean + q * se_mean,
        diff=diff,
        diff_ci_low=lo,
        diff_ci_high=hi,
        significant=sig,
        sensitivity=_evalue(near, scale, outcome, p0),
        method=f"AIPW, {opt.folds}-fold cross-fitted; 95% CI clustered by agent ({g} agents)"
        + (f"; {trimmed} contacts trimmed (no comparable contact of the other profiles)" if trimmed else ""),
    )
    return row, fit


def match_verdict(r: pd.Series) -> str:
    """One phrase per row: what this profile does for this segment against the other profiles."""
    diff = r["diff"]
    if diff is None or pd.isna(diff):
        return "too few contacts or agents to say"
    if not r["significant"]:
        return "no evidence either way"
    if r["outcome"] == "handle_s":
        return f"{-r['diff']:.0f} s shorter" if r["diff"] < 0 else f"{r['diff']:.0f} s longer"
    more = "more" if r["diff"] > 0 else "fewer"
    return f"resolves {abs(r['diff']) * 100:.1f} points {more} at first contact"
