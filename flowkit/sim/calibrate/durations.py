"""Handle-time and delay distributions: empirical when the log has enough values, lognormal otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd

EMPIRICAL_MIN = 200  # handle times: at least this many for an empirical distribution


def _lognormal(x: pd.Series) -> dict:
    x = x[x > 0].astype(float)
    cv = float(x.std(ddof=1) / x.mean()) if len(x) > 1 and x.mean() > 0 else 1.0
    return {"dist": "lognormal", "mean_s": round(float(x.mean()), 1), "cv": round(max(cv, 0.05), 3)}


def _duration(x: pd.Series) -> dict:
    """Empirical when there are enough values (means of 200 equal-count bins of the sorted values:
    keeps the mean and the shape), lognormal by mean and cv otherwise."""
    v = np.sort(x.dropna().astype(float).to_numpy())
    v = v[v >= 0]
    if len(v) >= EMPIRICAL_MIN:
        k = len(v) // EMPIRICAL_MIN  # equal bins: k evenly spread sorted values each
        picked = v[np.round(np.linspace(0, len(v) - 1, k * EMPIRICAL_MIN)).astype(int)]
        return {
            "dist": "empirical",
            "values": [round(float(m), 1) for m in picked.reshape(EMPIRICAL_MIN, k).mean(axis=1)],
        }
    return _lognormal(pd.Series(v))


def _mean_s(dist: dict) -> float:
    return float(np.mean(dist["values"])) if dist["dist"] == "empirical" else float(dist["mean_s"])
