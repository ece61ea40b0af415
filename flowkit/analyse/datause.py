"""What data handling actually used: how often each field was consulted, and the naive comparison.

Where the log records which customer-data fields an agent consulted (``data_used``), count
the share of volume each field touches, and compare handle time and resolution with and
without each field, per demand type, with bootstrap 95% CIs. That comparison is confounded
(agents look things up on harder contacts, for repeat customers, and newer agents look up
more) and can point the wrong way: the headline is :mod:`flowkit.analyse.effects`, which
adjusts for it; this one survives as its ``naive`` column and for quick looks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["EFFECT_COLUMNS", "field_effects", "field_usage"]

EFFECT_COLUMNS = [
    "demand_type",
    "field",
    "contacts_with",
    "contacts_without",
    "handle_with_s",
    "handle_without_s",
    "handle_diff_s",
    "handle_diff_low",
    "handle_diff_high",
    "resolved_with",
    "resolved_without",
    "resolved_diff",
    "resolved_diff_low",
    "resolved_diff_high",
]


def _fields(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (contact, field) it used."""
    used = df["data_used"].dropna().astype(str).str.split(";").explode().str.strip()
    used = used[used != ""]
    return pd.DataFrame({"row": used.index, "field": used.to_numpy()})


def field_usage(df: pd.DataFrame) -> pd.DataFrame:
    """Per field: contacts that used it and their share of all contacts with data_used recorded."""
    recorded = df["data_used"].notna().sum()
    f = _fields(df)
    if f.empty:
        return pd.DataFrame(columns=["field", "contacts", "share_of_recorded"])
    out = f.groupby("field")["row"].nunique().rename("contacts").sort_values(ascending=False).reset_index()
    out["share_of_recorded"] = out["contacts"] / recorded if recorded else np.nan
    return out


def _diff_ci(a: np.ndarray, b: np.ndarray, seed: int) -> tuple[float, float, float]:
    diff = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2 or (np.ptp(a) == 0 and np.ptp(b) == 0):
        return diff, diff, diff
    res = stats.bootstrap(
        (a, b),
        lambda x, y, axis=-1: x.mean(axis=axis) - y.mean(axis=axis),
        vectorized=True,
        n_resamples=999,
        confidence_level=0.95,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return diff, float(res.confidence_interval.low), float(res.confidence_interval.high)


def field_effects(df: pd.DataFrame, min_contacts: int = 20, seed: int = 0, max_sample: int = 5000) -> pd.DataFrame:
    """Handle time and resolution with vs without each field, per demand type, with 95% CIs.

    Only contacts whose log records data use (``data_used`` not missing, or handled with an
    empty list) and that were handled count. Pairs with fewer than ``min_contacts`` on
    either side are left out. Large groups are sampled to ``max_sample`` for the bootstrap.
    """
    handled = df[df["handle_s"].notna() & (df["data_used"].notna() | df["agent_id"].notna())]
    handled = handled[handled["data_used"].notna()]
    if handled.empty:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    rng = np.random.default_rng(seed)
    f = _fields(handled)
    rows = []
    types = handled["demand_type"].astype(str)
    for field in f["field"].unique():
        with_field = handled.index.isin(f.loc[f["field"] == field, "row"])
        for dtype in types.unique():
            in_type = (types == dtype).to_numpy()
            a, b = handled[in_type & with_field], handled[in_type & ~with_field]
            if len(a) < min_contacts or len(b) < min_contacts:
                continue
            ha, hb = (x["handle_s"].astype(float).to_numpy() for x in (a, b))
            if len(ha) > max_sample:
                ha = rng.choice(ha, max_sample, replace=False)
            if len(hb) > max_sample:
                hb = rng.choice(hb, max_sample, replace=False)
            h = _diff_ci(ha, hb, seed)
            ra = a["resolved"].dropna().astype(float).to_numpy()
            rb = b["resolved"].dropna().astype(float).to_numpy()
            r = _diff_ci(ra, rb, seed) if len(ra) and len(rb) else (np.nan, np.nan, np.nan)
            rows.append(
                [
                    dtype,
                    field,
                    len(a),
                    len(b),
                    float(a["handle_s"].mean()),
                    float(b["handle_s"].mean()),
                    *h,
                    float(ra.mean()) if len(ra) else np.nan,
                    float(rb.mean()) if len(rb) else np.nan,
                    *r,
                ]
            )
    out = pd.DataFrame(rows, columns=EFFECT_COLUMNS)
    return out.sort_values(["demand_type", "field"], kind="stable").reset_index(drop=True)
