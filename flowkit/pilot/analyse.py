"""Analyse a pilot: the randomised effect of a data field, checked before it is believed.

Three checks before the number: sample-ratio mismatch (did the arms get the share of units
the design said? if not, assignment leaked and the comparison is suspect), balance (do the
arms look alike on what randomisation should have balanced?), and a cluster-robust CI
(statsmodels OLS of the outcome on the arm, standard errors clustered by the randomised unit
or the agent). The result is written as a scenario ``data_fields`` entry, with standard
errors, ready for ``flowkit compare``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from flowkit.errors import FlowkitError

__all__ = ["PilotResult", "analyse_pilot", "balance", "srm_test"]


@dataclass
class PilotResult:
    field: str
    n_treatment: int
    n_control: int
    srm_p: float
    srm_ok: bool
    balance: pd.DataFrame
    # outcome -> {effect, se, ci_low, ci_high, p, control_mean, clusters}; ``dataclasses.field``, as the
    # attribute ``field`` above shadows the bare name in the class body
    effects: dict = dataclasses.field(default_factory=dict)
    cluster: str = "contact"

    def data_field(self) -> dict:
        """``{field: {available, handle_factor, handle_factor_se, resolve_p_add, resolve_p_add_se}}``."""
        entry: dict = {"available": False}
        h = self.effects.get("handle_s")
        if h and h["control_mean"] > 0:
            entry["handle_factor"] = round(1 + h["effect"] / h["control_mean"], 4)
            entry["handle_factor_se"] = round(h["se"] / h["control_mean"], 4)
        r = self.effects.get("resolved")
        if r:
            entry["resolve_p_add"] = round(r["effect"], 4)
            entry["resolve_p_add_se"] = round(r["se"], 4)
        return {self.field: entry}

    def to_json_dict(self) -> dict:
        return {
            "field": self.field,
            "n_treatment": self.n_treatment,
            "n_control": self.n_control,
            "srm_p": self.srm_p,
            "srm_ok": self.srm_ok,
            "cluster": self.cluster,
            "effects": self.effects,
            "balance": self.balance.to_dict(orient="records"),
            "data_fields": self.data_field(),
        }


def srm_test(n_treatment: int, n_control: int, expected_share: float = 0.5) -> float:
    """Chi-square p-value of the observed split against the designed one."""
    n = n_treatment + n_control
    if n == 0:
        return float("nan")
    exp = [n * expected_share, n * (1 - expected_share)]
    return float(stats.chisquare([n_treatment, n_control], exp).pvalue)


def balance(df: pd.DataFrame, arm: pd.Series) -> pd.DataFrame:
    """Standardised mean differences of what randomisation should balance; |SMD| > 0.1 is flagged."""
    covs = {}
    t = pd.to_datetime(df["received_at"])
    covs["hour"] = t.dt.hour.astype(float)
    covs["weekend"] = (t.dt.day_of_week >= 5).astype(float)
    for col in ("channel", "demand_type"):
        if col in df.columns:
            top = df[col].astype(str).value_counts().index[:8]
            for v in top:
                covs[f"{col}={v}"] = df[col].astype(str).eq(v).astype(float)
    if "text" in df.columns:
        covs["text length"] = df["text"].astype("string").str.len().fillna(0).astype(float)
    rows = []
    treated = arm.eq("treatment").to_numpy()
    for name, x in covs.items():
        a, b = x.to_numpy()[treated], x.to_numpy()[~treated]
        sd = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2) if len(a) > 1 and len(b) > 1 else np.nan
        smd = (a.mean() - b.mean()) / sd if sd and sd > 0 else 0.0
        rows.append({"covariate": name, "treatment": a.mean(), "control": b.mean(), "smd": smd, "flag": abs(smd) > 0.1})
    return pd.DataFrame(rows)


def analyse_pilot(
    df: pd.DataFrame, field: str, arm_column: str = "arm", cluster: str | None = None, expected_share: float = 0.5
) -> PilotResult:
    """Effect of the field (treatment minus control) on handle time and resolution."""
    if arm_column not in df.columns:
        raise FlowkitError(f"the pilot log needs a column {arm_column!r} with 'treatment' or 'control'")
    arms = df[arm_column].astype(str).str.strip().str.lower()
    bad = ~arms.isin(["treatment", "control"])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise FlowkitError(f"row {i + 1}: {arm_column}={df[arm_column].iloc[i]!r} is neither 'treatment' nor 'control'")
    if cluster is None:
        cluster = (
            "unit"
            if "unit" in df.columns
            else ("agent_id" if "agent_id" in df.columns and df["agent_id"].notna().any() else "contact")
        )
    # SRM on the randomised units (each unit counted once)
    units = df.assign(_arm=arms)
    if cluster not in ("contact",) and cluster in df.columns and cluster == "unit":
        units = units.drop_duplicates("unit")
    n_t, n_c = int(units["_arm"].eq("treatment").sum()), int(units["_arm"].eq("control").sum())
    if n_t == 0 or n_c == 0:
        raise FlowkitError(f"the pilot log has {n_t} treatment and {n_c} control rows: both arms are needed")
    p_srm = srm_test(n_t, n_c, expected_share)
    result = PilotResult(field, n_t, n_c, p_srm, bool(p_srm >= 0.001), balance(df, arms), cluster=cluster)
    x = sm.add_constant(arms.eq("treatment").astype(float).to_numpy())
    for outcome in ("handle_s", "resolved"):
        if outcome not in df.columns:
            continue
        y = (df[outcome].astype("boolean").astype("Float64") if outcome == "resolved" else df[outcome]).astype(float)
        ok = y.notna().to_numpy()
        if ok.sum() < 10:
            continue
        if cluster == "contact" or cluster not in df.columns:
            fit = sm.OLS(y.to_numpy()[ok], x[ok]).fit(cov_type="HC1")
            n_cl = int(ok.sum())
        else:
            groups = pd.factorize(df[cluster].astype(str).to_numpy()[ok])[0]
            fit = sm.OLS(y.to_numpy()[ok], x[ok]).fit(cov_type="cluster", cov_kwds={"groups": groups})
            n_cl = len(np.unique(groups))
        lo, hi = fit.conf_int(0.05)[1]
        result.effects[outcome] = {
            "effect": float(fit.params[1]),
            "se": float(fit.bse[1]),
            "ci_low": float(lo),
            "ci_high": float(hi),
            "p": float(fit.pvalues[1]),
            "control_mean": float(fit.params[0]),
            "clusters": n_cl,
            "significant": bool(lo > 0 or hi < 0),
        }
    return result
