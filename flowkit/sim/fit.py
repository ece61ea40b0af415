"""Does the calibrated baseline reproduce its own log? If not, say so before any what-if.

The baseline is simulated and compared with the real log, figure by figure, on what the
what-ifs will be judged by: volume (contacts per day, and by hour), and for the phone the
mean wait, abandonment and service level, each over *offered* calls (a caller who hung up
in the IVR is offered, abandoned, with no wait), and agents' occupancy. Each figure is
computed by the same function on both logs. A baseline off by more than its tolerance on
any of them is reported as not reproducing the log, with the differences stated plainly;
the verdict is written into the scenario file (``fit:``) so ``compare`` and ``experiment``
can repeat it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flowkit.sim.run import SimulationResult, simulate
from flowkit.sim.scenario import Scenario

__all__ = ["TOLERANCE", "ModelFit", "fit_warning", "log_metrics", "model_fit"]

#: relative tolerance per figure (volume is held tighter); shares near zero are judged in points
TOLERANCE = {
    "contacts_per_day": 0.10,
    "phone_mean_wait_s": 0.15,
    "phone_abandon_rate": 0.15,
    "phone_service_level": 0.15,
    "occupancy": 0.15,
    "failure_share": 0.15,
    "resolved_at_contact": 0.15,
}
POINTS = {
    "phone_abandon_rate": 0.02,
    "failure_share": 0.02,
    "resolved_at_contact": 0.02,
    "phone_service_level": 0.02,
    "occupancy": 0.03,
}


def _days(df: pd.DataFrame) -> float:
    t = df["received_at"].dropna()
    if t.empty:
        return np.nan
    return float((t.max().normalize() - t.min().normalize()).days + 1)


def log_metrics(df: pd.DataFrame, days: float, service_level_s: float = 20.0) -> dict[str, float]:
    """The comparison figures computed the same way on a real or a simulated log.

    Phone figures are over offered calls (every phone contact with a known outcome); a call with
    no wait recorded (never queued) waits 0.
    """
    from flowkit.analyse.callbacks import outbound

    made = outbound(df)  # calls the centre made are not offered demand (the model does not log its callbacks)
    if made is not None:
        df = df[~made]
    phone = df[df["channel"].astype(str).eq("phone") & df["abandoned"].notna()]
    out = {"contacts_per_day": len(df) / days if days else np.nan}
    if len(phone):
        wait = phone["wait_s"].astype(float).fillna(0.0)
        gave_up = phone["abandoned"].astype(bool)
        out["phone_mean_wait_s"] = float(wait.mean())
        out["phone_abandon_rate"] = float(gave_up.mean())
        out["phone_service_level"] = float((~gave_up & wait.le(service_level_s)).mean())
    if "demand" in df.columns:
        d = df["demand"].astype(str)
        classified = d.isin(["value", "failure"]).sum()
        out["failure_share"] = float(d.eq("failure").sum() / classified) if classified else np.nan
    answered = df[df["handle_s"].notna() & df["resolved"].notna()]
    out["resolved_at_contact"] = float(answered["resolved"].astype(bool).mean()) if len(answered) else np.nan
    return out


@dataclass
class ModelFit:
    table: pd.DataFrame  # metric, real, simulated, difference, relative, tolerance, within tolerance
    by_hour: pd.DataFrame  # contacts per day by hour: real, simulated
    trustworthy: bool
    sentences: list[str] = field(default_factory=list)
    simulation: SimulationResult | None = None

    def metadata(self) -> dict:
        """The verdict as plain data for the scenario file's ``fit:`` key."""
        figures = {
            r["metric"]: {
                "log": _round(r["real"]),
                "baseline": _round(r["simulated"]),
                "relative": _round(r["relative"]),
                "ok": bool(r["within_tolerance"]),
            }
            for _, r in self.table.iterrows()
        }
        return {
            "reproduces": bool(self.trustworthy),
            "verdict": self.sentences[0] if self.sentences else "",
            "figures": figures,
        }


def _round(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(round(float(x), 4))


def model_fit(
    real: pd.DataFrame,
    scenario: Scenario,
    replications: int | None = None,
    workers: int | None = None,
    tolerance: float | None = None,
    real_occupancy: float | None = None,
) -> ModelFit:
    """Simulate ``scenario`` and hold it against the ``real`` log it was calibrated from.

    ``tolerance`` overrides every figure's relative tolerance; ``real_occupancy`` (from the
    calibration's busy intervals) adds occupancy to the comparison.
    """
    sim = simulate(scenario, replications or min(scenario.replications, 5), workers, keep_log=True)
    log = sim.log
    assert log is not None, "simulated with keep_log"
    reps = len(sim.per_replication)
    real_days = _days(real)
    sim_days = scenario.horizon_hours / 24.0 * reps
    r, s = log_metrics(real, real_days, scenario.service_level_s), log_metrics(log, sim_days, scenario.service_level_s)
    if real_occupancy is not None and np.isfinite(real_occupancy):
        r["occupancy"] = float(real_occupancy)
        s["occupancy"] = float(sim.per_replication["occupancy"].mean())
    rows = []
    for k in r:
        a, b = r[k], s.get(k, np.nan)
        if pd.isna(a) or pd.isna(b):
            continue
        diff = b - a
        rel = diff / a if a else (0.0 if b == 0 else np.inf)
        tol = tolerance if tolerance is not None else TOLERANCE.get(k, 0.15)
        ok = abs(rel) <= tol or (k in POINTS and abs(diff) <= POINTS[k])
        rows.append(
            {
                "metric": k,
                "real": a,
                "simulated": b,
                "difference": diff,
                "relative": rel,
                "tolerance": tol,
                "within_tolerance": bool(ok),
            }
        )
    table = pd.DataFrame(rows)
    by_hour = pd.DataFrame(
        {
            "real": real["received_at"].dt.hour.value_counts().reindex(range(24), fill_value=0) / real_days,
            "simulated": log["received_at"].dt.hour.value_counts().reindex(range(24), fill_value=0) / sim_days,
        }
    )
    by_hour.index.name = "hour"
    trustworthy = bool(len(table)) and bool(table["within_tolerance"].all())
    sentences = []
    for _, row in table.iterrows():
        verdict = "matches" if row["within_tolerance"] else "DOES NOT match"
        sentences.append(
            f"{row['metric'].replace('_', ' ')}: log {row['real']:.4g}, baseline {row['simulated']:.4g} "
            f"({row['relative']:+.1%}, tolerance ±{row['tolerance']:.0%}) - {verdict}."
        )
    off = [row["metric"].replace("_", " ") for _, row in table.iterrows() if not row["within_tolerance"]]
    sentences.insert(
        0,
        f"The baseline reproduces its own log ({reps} replications against {real_days:.0f} days): what-ifs "
        "can be trusted as far as the model goes."
        if trustworthy
        else f"The baseline does NOT reproduce its own log ({', '.join(off) or 'nothing to compare'} off): "
        "treat the what-ifs as untrustworthy until the scenario is corrected.",
    )
    return ModelFit(table, by_hour, trustworthy, sentences, sim)


def fit_warning(scenario: Scenario) -> str | None:
    """What ``compare`` and ``experiment`` must say about the base scenario's fit, or None when it
    reproduced its log. A scenario never checked against a log says so too."""
    fit = scenario.fit or {}
    if not fit:
        return (
            f"NOTE: {scenario.name} carries no fit against a log (not made by `flowkit calibrate`, or calibrated "
            "with --no-fit): nobody has checked that it reproduces the service as it is."
        )
    if fit.get("reproduces"):
        return None
    off = [
        f"{k.replace('_', ' ')} {v.get('relative', 0) or 0:+.0%}"
        for k, v in (fit.get("figures") or {}).items()
        if not v.get("ok", True)
    ]
    return (
        f"WARNING: the baseline {scenario.name} does NOT reproduce its log ({', '.join(off) or 'see its fit'}): "
        "these what-if figures are untrustworthy until the scenario is corrected."
    )
