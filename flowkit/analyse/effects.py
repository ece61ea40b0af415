"""Which data helps: adjusted (doubly robust) effects of consulting each field, with honest CIs.

The with-minus-without comparison in :mod:`flowkit.analyse.datause` is confounded: agents
look things up on harder contacts, for repeat customers, and newer agents look up more.
Here each field's effect is estimated with cross-fitted AIPW (augmented inverse propensity
weighting): a propensity model (who consults the field) and outcome models (what handle
time and resolution would be with and without it), both on what the log shows — demand
type, channel, hour, weekday, agent and team, the customer's earlier contacts (in the case
and in the last 90 days) and the text length. If either model is right the estimate is
consistent; cross-fitting keeps the models' own fit out of the answer.

One fit per field serves every demand type: the per-contact scores are averaged within each
type (and over all, the ``(all)`` row). CIs are cluster-robust by agent (an agent's contacts
are not independent), with a t quantile on (agents - 1) degrees of freedom. Contacts whose
propensity is outside ``[trim, 1 - trim]`` have no comparable counterpart and are left out,
and counted. ``sensitivity`` is the E-value of the CI bound nearer zero: how strongly (as a
risk ratio, with both treatment and outcome) an unmeasured confounder would have to act to
move that bound to zero. Observational all the same: a pilot confirms it.

DoubleML (and EconML) were weighed first: they fit one model set per estimand and group,
and their cluster support does not cover this one-fit, per-type, ATT-and-ATE use at a
million rows in the time allowed, so this is a small AIPW on scikit-learn models.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import scipy.sparse as sp
from joblib import Parallel, delayed
from scipy import linalg, stats
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder

from flowkit.analyse.effect_words import add_saved, verdict
from flowkit.errors import FlowkitError

__all__ = [
    "ADJUSTED_FOR",
    "EFFECTS_COLUMNS",
    "OUTCOMES",
    "EffectsOptions",
    "add_saved",
    "field_effects_adjusted",
    "fields_in",
    "verdict",
]

OUTCOMES = ("handle_s", "resolved")
LOG_OUTCOMES = ("handle_s",)
PARALLEL_FROM = 100_000  # rows; below that starting processes costs more than it saves
EFFECTS_COLUMNS = [
    "field",
    "demand_type",
    "outcome",
    "estimand",
    "naive",
    "adjusted",
    "ci_low",
    "ci_high",
    "n_with",
    "n_without",
    "significant",
    "method",
    "sensitivity",
    "se",
    "trimmed",
    "clusters",
    "baseline",
]
ADJUSTED_FOR = (
    "demand type",
    "channel",
    "hour",
    "weekday",
    "agent",
    "team",
    "the customer's earlier contacts (in the case and in the last 90 days)",
    "text length",
)


@dataclass(frozen=True)
class EffectsOptions:
    estimand: str = "ATE"  # ATE (all contacts of the type) or ATT (contacts that used the field)
    folds: int = 2
    trim: float = 0.02
    min_contacts: int = 30  # on each side, after trimming
    seed: int = 0
    n_jobs: int | None = None  # processes for the per-field fits (default: up to 2 cores)


def fields_in(df: pd.DataFrame) -> list[str]:
    used = df["data_used"].dropna().astype(str).str.split(";").explode().str.strip()
    return sorted(set(used[used != ""]))


def _population(df: pd.DataFrame) -> pd.DataFrame:
    """Handled contacts on the channels whose system records data use (a contact there with
    nothing recorded consulted nothing), with the customer's earlier contacts on any channel."""
    for col in ("demand_type", "data_used", "handle_s"):
        if col not in df.columns:
            raise FlowkitError(f"effects need the column {col!r} (classify the contacts first)")
    secs = (df["received_at"].astype("datetime64[ns]").astype("int64") // 10**9).to_numpy(dtype=np.float64)
    cust = df["customer_id"].astype(object).to_numpy()
    prior_90 = _earlier(cust, secs, 90 * 86400.0)
    if "case_id" in df.columns and df["case_id"].notna().any():
        prior_case = _earlier(df["case_id"].astype(object).to_numpy(), secs, 365 * 86400.0)
    else:
        prior_case = _earlier(cust, secs, 14 * 86400.0)
    chan = df["channel"].astype(str)
    recording = set(chan[df["data_used"].notna()])
    handled = df["handle_s"].notna() & ~df["abandoned"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    keep = (handled & chan.isin(recording) & df["demand_type"].notna()).to_numpy()
    return df[keep].assign(_earlier_90d=prior_90[keep], _earlier_case=prior_case[keep])


def _earlier(keys: np.ndarray, t: np.ndarray, window_s: float) -> np.ndarray:
    """For each row, how many earlier rows share its key within ``window_s`` seconds (vectorised)."""
    codes, _ = pd.factorize(pd.Series(keys), use_na_sentinel=True)
    order = np.lexsort((t, codes))
    c, ts = codes[order].astype(np.float64), t[order]
    span = float(ts.max() - ts.min() + window_s + 1) if len(ts) else 1.0
    key = c * span + (ts - ts.min())
    lo = np.searchsorted(key, key - window_s, side="left")
    first = np.searchsorted(key, key, side="left")  # ties: contacts at the same second are not earlier
    out = np.empty(len(t), dtype=np.int64)
    out[order] = first - lo
    out[codes < 0] = 0
    return out


def _features(d: pd.DataFrame) -> tuple[sp.csr_matrix, np.ndarray]:
    """The design matrix of what the log shows (sparse one-hot + scaled numbers) and the cluster ids."""
    t = d["received_at"].astype("datetime64[ns]")
    prior_90, prior_case = d["_earlier_90d"].to_numpy(), d["_earlier_case"].to_numpy()
    tlen = d["text"].astype("string").str.len().fillna(0).to_numpy(dtype=float)
    num = np.column_stack([np.minimum(prior_90, 10), np.minimum(prior_case, 10), np.log1p(tlen), tlen]).astype(float)
    num = (num - num.mean(axis=0)) / np.where(num.std(axis=0) > 0, num.std(axis=0), 1.0)
    agent = d["agent_id"].astype(object).where(d["agent_id"].notna(), "(none)").astype(str)
    cats = pd.DataFrame(
        {
            "type": d["demand_type"].astype(str).to_numpy(),
            "channel": d["channel"].astype(str).to_numpy(),
            "hour": t.dt.hour.to_numpy(),
            "weekday": t.dt.day_of_week.to_numpy(),
            "earlier_90d": np.minimum(prior_90, 3),
            "earlier_case": np.minimum(prior_case, 3),
            "agent": agent.to_numpy(),
            "team": d["team"].astype(object).fillna("(none)").astype(str).to_numpy(),
        }
    )
    onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=True, dtype=np.float64).fit_transform(cats)
    tcodes, _ = pd.factorize(cats["type"])
    # each demand type its own slope on the numbers: harder contacts are harder in their own way
    inter = sp.csr_matrix((np.repeat(1.0, len(d)), (np.arange(len(d)), tcodes)), shape=(len(d), tcodes.max() + 1))
    parts = [onehot, sp.csr_matrix(num)] + [inter.multiply(num[:, [j]]).tocsr() for j in range(num.shape[1])]
    X = sp.hstack(parts, format="csr")
    clusters = pd.factorize(
        agent.where(d["agent_id"].notna(), "row" + pd.Series(np.arange(len(d)), index=d.index).astype(str))
    )[0]
    return X, clusters


def _ridge(X_tr: sp.csr_matrix, Y_tr: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Ridge coefficients (last one the intercept, not penalised) of several outcomes on one sparse
    design, by the normal equations: with a few thousand columns one Gram matrix and a Cholesky
    solve are several times faster than scikit-learn's iterative sparse solvers, and shared by the outcomes."""
    Xa = sp.hstack([X_tr, sp.csr_matrix(np.ones((X_tr.shape[0], 1)))], format="csr")
    gram = (Xa.T @ Xa).toarray()
    pen = np.full(gram.shape[0], alpha)
    pen[-1] = 0.0
    return linalg.solve(gram + np.diag(pen), Xa.T @ Y_tr, assume_a="pos")


def _predict(X: sp.csr_matrix, coef: np.ndarray) -> np.ndarray:
    return X @ coef[:-1] + coef[-1]


#: a field's cross-fit: propensity e, and per outcome the predictions (m1 with the field, m0 without)
CrossFit = tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]


def _crossfit(
    X: sp.csr_matrix,
    T: np.ndarray,
    ys: dict[str, np.ndarray],
    ok: dict[str, np.ndarray],
    folds: int,
    seed: int,
) -> CrossFit:
    """Out-of-fold propensity e and outcome predictions m1, m0 for each outcome."""
    n = len(T)
    fold = np.random.default_rng(seed).integers(0, folds, n)
    e = np.full(n, np.nan)
    m = {k: (np.full(n, np.nan), np.full(n, np.nan)) for k in ys}
    for k in range(folds):
        tr, te = fold != k, fold == k
        if T[tr].min() == T[tr].max():
            e[te] = T[tr].mean()
        else:
            e[te] = LogisticRegression(C=1.0, max_iter=300).fit(X[tr], T[tr]).predict_proba(X[te])[:, 1]
        # outcomes observed on the same rows share one Gram matrix
        groups: dict[bytes, list[str]] = {}
        for name in ys:
            groups.setdefault(np.packbits(ok[name]).tobytes(), []).append(name)
        for names in groups.values():
            rows_ok = ok[names[0]]
            for arm, slot in ((1, 0), (0, 1)):
                sel = tr & (arm == T) & rows_ok
                if sel.sum() < 5:
                    for name in names:
                        pool = rows_ok & (arm == T)
                        m[name][slot][te] = ys[name][pool].mean() if pool.any() else np.nan
                    continue
                # handle times are skewed and multiplicative: model their log, back-transform with smearing
                Y = np.column_stack(
                    [np.log1p(ys[name][sel]) if name in LOG_OUTCOMES else ys[name][sel] for name in names]
                )
                coef = _ridge(X[sel], Y)
                pred = _predict(X[te], coef)
                for j, name in enumerate(names):
                    if name in LOG_OUTCOMES:
                        smear = np.mean(np.exp(Y[:, j] - _predict(X[sel], coef[:, [j]])[:, 0]))
                        m[name][slot][te] = np.expm1(pred[:, j]) * smear
                    else:
                        m[name][slot][te] = pred[:, j]
    return e, m


def _evalue(bound: float, scale: float, outcome: str, p0: float) -> float:
    """E-value (VanderWeele & Ding) of a CI bound: 1 when the CI already includes zero."""
    if not np.isfinite(bound) or bound == 0:
        return 1.0
    if outcome == "resolved" and 0 < p0 < 1:
        p1 = min(max(p0 + bound, 1e-6), 1 - 1e-6)
        rr = p1 / p0
    else:
        rr = np.exp(0.91 * abs(bound) / scale) if scale > 0 else np.inf  # standardised difference -> RR
    rr = max(rr, 1 / rr)
    return float(rr + np.sqrt(rr * (rr - 1)))


def _row(
    field: str,
    dtype: str,
    outcome: str,
    est: str,
    naive: float,
    n_with: int,
    n_without: int,
    trimmed: int,
    clusters: int,
    opt: EffectsOptions,
    *,
    adjusted: float = np.nan,
    ci_low: float = np.nan,
    ci_high: float = np.nan,
    significant: bool = False,
    method: str = "",
    sensitivity: float = np.nan,
    se: float = np.nan,
    baseline: float = np.nan,
) -> dict[str, object]:
    return {
        "field": field,
        "demand_type": dtype,
        "outcome": outcome,
        "estimand": est,
        "naive": naive,
        "adjusted": adjusted,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "n_with": int(n_with),
        "n_without": int(n_without),
        "significant": bool(significant),
        "method": method,
        "sensitivity": sensitivity,
        "se": se,
        "trimmed": int(trimmed),
        "clusters": int(clusters),
        "baseline": baseline,
    }


def field_effects_adjusted(
    df: pd.DataFrame, fields: list[str] | None = None, options: EffectsOptions | None = None
) -> pd.DataFrame:
    """One row per field x demand type x outcome (types where the field was consulted at least
    once), plus ``(all)`` rows: naive and adjusted with-minus-without, 95% CI, sensitivity."""
    opt = options or EffectsOptions()
    if opt.estimand not in ("ATE", "ATT"):
        raise FlowkitError(f"estimand must be ATE or ATT, not {opt.estimand!r}")
    d = _population(df)
    if d.empty:
        return pd.DataFrame(columns=EFFECTS_COLUMNS)
    fields = fields or fields_in(d)
    X, clusters = _features(d)
    types = d["demand_type"].astype(str).to_numpy()
    used = d["data_used"].fillna("").astype(str).str.split(";")
    ys = {
        "handle_s": d["handle_s"].to_numpy(dtype=float),
        "resolved": d["resolved"].astype("boolean").astype("Float64").to_numpy(dtype=float, na_value=np.nan),
    }
    ok = {k: ~np.isnan(v) for k, v in ys.items()}
    ys = {k: np.nan_to_num(v) for k, v in ys.items()}
    treat = {f: used.apply(lambda xs, f=f: f in xs).to_numpy(dtype=float) for f in fields}
    jobs = opt.n_jobs or min(2, os.cpu_count() or 1)
    if jobs > 1 and len(fields) > 1 and len(d) >= PARALLEL_FROM:
        # the fields are independent fits: one process per core (large arrays are memory-mapped)
        fits: list[CrossFit] = Parallel(n_jobs=jobs)(
            delayed(_crossfit)(X, treat[f], ys, ok, opt.folds, opt.seed) for f in fields
        )
    else:
        fits = [_crossfit(X, treat[f], ys, ok, opt.folds, opt.seed) for f in fields]
    rows = []
    for f, (e, m) in zip(fields, fits, strict=True):
        T = treat[f]
        keep = (e >= opt.trim) & (e <= 1 - opt.trim)
        consulted = sorted(set(types[T == 1]))
        for outcome in OUTCOMES:
            y = ys[outcome]
            m1, m0 = m[outcome]
            base = ok[outcome]
            if opt.estimand == "ATE":
                num = m1 - m0 + T * (y - m1) / e - (1 - T) * (y - m0) / (1 - e)
                den = np.ones_like(T)
            else:
                num = T * (y - m0) - (1 - T) * e / (1 - e) * (y - m0)
                den = T
            for dtype in ["(all)", *consulted]:
                g = base & (types == dtype if dtype != "(all)" else np.isin(types, consulted))
                naive = (
                    float(y[g & (T == 1)].mean() - y[g & (T == 0)].mean())
                    if (g & (T == 1)).any() and (g & (T == 0)).any()
                    else np.nan
                )
                gk = g & keep
                n_with, n_without = int((gk & (T == 1)).sum()), int((gk & (T == 0)).sum())
                trimmed = int((g & ~keep).sum())
                cl = clusters[gk]
                n_cl = len(np.unique(cl))
                # what every row for this field, type and outcome says, estimated or not
                row = partial(_row, f, dtype, outcome, opt.estimand, naive, n_with, n_without, trimmed, n_cl, opt)
                if n_with < opt.min_contacts or n_without < opt.min_contacts or n_cl < 3:
                    rows.append(
                        row(
                            method=f"too few contacts to estimate: {n_with} with, {n_without} without, "
                            f"{n_cl} agents (need {opt.min_contacts} each side and 3 agents)",
                        )
                    )
                    continue
                a, t_ = num[gk], den[gk]
                theta = float(a.sum() / t_.sum())
                infl = pd.Series(a - theta * t_).groupby(cl).sum().to_numpy()
                se = float(np.sqrt((infl**2).sum() * n_cl / (n_cl - 1)) / t_.sum())
                q = stats.t.ppf(0.975, n_cl - 1)
                lo, hi = theta - q * se, theta + q * se
                sig = bool(lo > 0 or hi < 0)
                near = 0.0 if not sig else (lo if lo > 0 else hi)
                p0 = float(np.clip(m0[gk].mean(), 1e-6, 1 - 1e-6)) if outcome == "resolved" else np.nan
                scale = float(y[gk & (T == 0)].std()) if outcome == "handle_s" else 1.0
                rows.append(
                    row(
                        adjusted=theta,
                        ci_low=lo,
                        ci_high=hi,
                        significant=sig,
                        se=se,
                        baseline=float(m0[gk].mean() if opt.estimand == "ATE" else m0[gk & (T == 1)].mean()),
                        sensitivity=_evalue(near, scale, outcome, p0),
                        method=(
                            f"AIPW, {opt.folds}-fold cross-fitted (logistic propensity, ridge outcomes); "
                            f"95% CI clustered by agent ({n_cl} clusters)"
                            + (
                                f"; {trimmed} contacts trimmed (propensity outside [{opt.trim:g}, {1 - opt.trim:g}])"
                                if trimmed
                                else ""
                            )
                        ),
                    )
                )
    return add_saved(pd.DataFrame(rows, columns=EFFECTS_COLUMNS))
