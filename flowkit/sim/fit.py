"""Does the calibrated baseline reproduce its own log? If not, say so before any what-if.

The baseline is simulated and compared with the real log on the things the what-ifs will
be judged by: volume (per day, and by hour), mean wait and abandonment on the phone,
failure share, one-stop resolution. A baseline more than ``tolerance`` off on any of them
is reported as untrustworthy, with the differences stated plainly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flowkit.sim.run import SimulationResult, simulate
from flowkit.sim.scenario import Scenario

__all__ = ["ModelFit", "model_fit", "log_metrics"]


def log_metrics(df: pd.DataFrame, days: float) -> dict[str, float]:
    """The comparison metrics computed the same way on a real or a simulated log."""
    phone = df[df["channel"].astype(str).eq("phone") & df["wait_s"].notna()]
    out = {"contacts_per_day": len(df) / days if days else np.nan,
           "phone_mean_wait_s": float(phone["wait_s"].astype(float).mean()) if len(phone) else np.nan,
           "phone_abandon_rate": float(phone["abandoned"].fillna(False).astype(bool).mean()) if len(phone) else np.nan}
    if "demand" in df.columns:
        d = df["demand"].astype(str)
        classified = d.isin(["value", "failure"]).sum()
        out["failure_share"] = float(d.eq("failure").sum() / classified) if classified else np.nan
    answered = df[df["handle_s"].notna() & df["resolved"].notna()]
    out["resolved_at_contact"] = float(answered["resolved"].astype(bool).mean()) if len(answered) else np.nan
    return out


@dataclass
class ModelFit:
    table: pd.DataFrame               # metric, real, simulated, difference, relative, within tolerance
    by_hour: pd.DataFrame             # contacts per day by hour: real, simulated
    trustworthy: bool
    sentences: list[str] = field(default_factory=list)
    simulation: SimulationResult | None = None


def model_fit(real: pd.DataFrame, scenario: Scenario, replications: int | None = None, workers: int | None = None,
              tolerance: float = 0.15) -> ModelFit:
    sim = simulate(scenario, replications or min(scenario.replications, 5), workers, keep_log=True)
    log = sim.log
    reps = len(sim.per_replication)
    real_days = max((real["received_at"].max() - real["received_at"].min()).total_seconds() / 86400.0, 1.0)
    sim_days = scenario.horizon_hours / 24.0 * reps
    r, s = log_metrics(real, real_days), log_metrics(log, sim_days)
    rows = []
    for k in r:
        a, b = r[k], s.get(k, np.nan)
        if pd.isna(a) or pd.isna(b):
            continue
        diff = b - a
        rel = diff / a if a else (0.0 if b == 0 else np.inf)
        # shares near zero are judged in points, not relative terms
        ok = abs(rel) <= tolerance or (k in ("phone_abandon_rate", "failure_share", "resolved_at_contact") and abs(diff) <= 0.02)
        rows.append({"metric": k, "real": a, "simulated": b, "difference": diff, "relative": rel, "within_tolerance": ok})
    table = pd.DataFrame(rows)
    by_hour = pd.DataFrame({
        "real": real["received_at"].dt.hour.value_counts().reindex(range(24), fill_value=0) / real_days,
        "simulated": log["received_at"].dt.hour.value_counts().reindex(range(24), fill_value=0) / sim_days,
    })
    by_hour.index.name = "hour"
    trustworthy = bool(len(table)) and bool(table["within_tolerance"].all())
    sentences = []
    for _, row in table.iterrows():
        verdict = "matches" if row["within_tolerance"] else "DOES NOT match"
        sentences.append(f"{row['metric'].replace('_', ' ')}: real {row['real']:.4g}, simulated {row['simulated']:.4g} "
                         f"({row['relative']:+.0%}) - {verdict}.")
    sentences.insert(0, "The baseline reproduces its own log within ±{:.0%}: what-ifs can be trusted as far as the model "
                     "goes.".format(tolerance) if trustworthy else
                     "The baseline does NOT reproduce its own log within ±{:.0%}: treat the what-ifs as untrustworthy "
                     "until the scenario is corrected.".format(tolerance))
    return ModelFit(table, by_hour, trustworthy, sentences, sim)
