"""Figures computed by hand (numpy/pandas on the raw file), to hold flowkit's report against."""

import numpy as np
import pandas as pd


def km_quantile(days: pd.Series, closed: pd.Series, q: float) -> float:
    """Kaplan-Meier product limit written out: the first time by which a share q has closed.

    ``closed`` False = still open (censored at its ``days``). At each closing time t,
    S(t) = S(t-) * (1 - closings at t / cases still running at t).
    """
    d = np.asarray(days, dtype=float)
    e = np.asarray(closed, dtype=bool)
    s = 1.0
    for t in np.unique(d[e]):
        at_risk = (d >= t).sum()
        s *= 1 - ((d == t) & e).sum() / at_risk
        if s <= 1 - q + 1e-12:
            return float(t)
    return float("inf")
