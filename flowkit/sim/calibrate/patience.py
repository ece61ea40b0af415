"""Patience from queued callers' waits, as censored data: Kaplan-Meier or the better parametric fit."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flowkit.errors import FlowkitError
from flowkit.sim.calibrate.durations import EMPIRICAL_MIN

if TYPE_CHECKING:  # imported where used: lifelines is slow to import
    from lifelines import ExponentialFitter, KaplanMeierFitter, LogNormalFitter

KM_MIN_EVENTS = 300  # abandonments: at least this many for patience from the Kaplan-Meier curve


def _patience(waits: pd.Series, gave_up: pd.Series, km_min_events: int = KM_MIN_EVENTS) -> tuple[dict, str]:
    """Patience from queued callers: those who gave up are events, answered ones are censored at
    their wait. With at least ``km_min_events`` events, the Kaplan-Meier curve itself (as 200
    quantiles; beyond the longest wait, the better parametric fit's tail); otherwise exponential
    or lognormal fitted by lifelines, the better AIC winning."""
    from lifelines import ExponentialFitter, KaplanMeierFitter, LogNormalFitter

    t = waits.astype(float).to_numpy()
    e = gave_up.astype(bool).to_numpy()
    keep = t > 0
    t, e = t[keep], e[keep]
    if e.sum() < 10:
        raise FlowkitError(
            f"cannot calibrate patience: only {int(e.sum())} queued callers gave up with a wait recorded (need 10)"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = {"exponential": ExponentialFitter().fit(t, e), "lognormal": LogNormalFitter().fit(t, e)}
        km = KaplanMeierFitter().fit(t, e)
    best = min(fits, key=lambda k: fits[k].AIC_)
    median_km = km.median_survival_time_
    km_text = (
        f"Kaplan-Meier median {median_km:.0f} s"
        if np.isfinite(median_km)
        else f"Kaplan-Meier survival still {float(km.survival_function_.iloc[-1, 0]):.0%} at the longest wait"
    )
    aic = ", ".join(f"{k} AIC {f.AIC_:,.0f}" for k, f in fits.items())
    if best == "exponential":
        dist = {"dist": "exponential", "mean_s": round(float(fits[best].lambda_), 1)}
    else:
        mu, sigma = float(fits[best].mu_), float(fits[best].sigma_)
        sigma = min(sigma, 3.0)
        dist = {
            "dist": "lognormal",
            "mean_s": round(float(np.exp(mu + sigma**2 / 2)), 1),
            "cv": round(float(np.sqrt(np.expm1(sigma**2))), 3),
        }
    note = (
        f"{best} fitted to {len(t):,} queued callers' waits, {int(e.sum()):,} gave up (events), the answered "
        f"censored ({aic}; {km_text})"
    )
    if e.sum() >= km_min_events:
        dist = {"dist": "empirical", "values": _km_quantiles(km, fits[best], best)}
        note = (
            f"Kaplan-Meier on {len(t):,} queued callers' waits, {int(e.sum()):,} gave up (events), the answered "
            f"censored, as 200 quantiles; beyond the longest wait with 1% (>= 50) still waiting, the {best} fit's tail ({aic}; {km_text})"
        )
    return dist, note


def _km_quantiles(
    km: KaplanMeierFitter, parametric: ExponentialFitter | LogNormalFitter, kind: str, n: int = EMPIRICAL_MIN
) -> list[float]:
    from scipy import stats

    sf = km.survival_function_.iloc[:, 0]
    # the curve only as far as enough callers were still waiting: its last steps, over a handful
    # at risk, jump; beyond that the parametric tail takes over
    at_risk = km.event_table["at_risk"].reindex(sf.index).to_numpy()
    enough = at_risk >= max(50, 0.01 * at_risk[0])
    sf = sf[enough] if enough.any() else sf.iloc[:1]
    times, cdf = sf.index.to_numpy(dtype=float), 1.0 - sf.to_numpy(dtype=float)
    probs = (np.arange(n) + 0.5) / n
    top = float(cdf[-1])
    par = (
        stats.expon(scale=float(parametric.lambda_))
        if kind == "exponential"
        else stats.lognorm(s=float(parametric.sigma_), scale=float(np.exp(parametric.mu_)))
    )
    f_max = float(par.cdf(times[-1]))
    out = []
    for q in probs:
        if q <= top:
            out.append(float(times[np.searchsorted(cdf, q, side="left")]))
        else:  # the tail the log cannot see: the parametric fit, conditional on waiting that long
            out.append(float(par.ppf(min(f_max + (q - top) / max(1 - top, 1e-12) * (1 - f_max), 1 - 1e-9))))
    return [round(max(v, 0.0), 1) for v in out]
