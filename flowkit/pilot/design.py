"""Design an A/B pilot that can confirm (or refute) what the log suggests about a data field.

The log's adjusted effect is observational; a pilot randomises who gets the field. Its size
comes from the log's own baseline: the outcome's mean and variance on the contacts the field
is relevant to, and, when whole agent-days are randomised (agents cannot unsee a screen for
one call), the intra-cluster correlation of agent-days, which inflates the sample by the
design effect (1 + (m - 1) ICC for equal clusters; measured directly on the log's unequal
agent-days). Power calculations are statsmodels'.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from flowkit.errors import FlowkitError

__all__ = ["PilotPlan", "assignment", "design_effect", "design_pilot", "icc_oneway", "write_plan"]

OUTCOMES = ("handle_s", "resolved")
UNITS = ("contact", "agent-day")


@dataclass
class PilotPlan:
    field: str
    outcome: str
    unit: str
    mde: float  # relative to the baseline mean
    alpha: float
    power: float
    baseline_mean: float
    baseline_sd: float
    mde_absolute: float
    icc: float
    contacts_per_cluster: float
    design_effect: float
    contacts_per_arm: int
    clusters_per_arm: int
    contacts_per_day: float
    days_needed: int
    seed: int
    population: str

    def to_json_dict(self) -> dict:
        return asdict(self)


def icc_oneway(y: np.ndarray, groups: np.ndarray) -> float:
    """ANOVA estimator of the intra-cluster correlation (unequal cluster sizes), floored at 0."""
    df = pd.DataFrame({"y": y, "g": groups})
    g = df.groupby("g")["y"]
    n_i, means = g.size().to_numpy(dtype=float), g.mean().to_numpy()
    k, n = len(n_i), float(n_i.sum())
    if k < 2 or n <= k:
        return 0.0
    grand = df["y"].mean()
    msb = float((n_i * (means - grand) ** 2).sum() / (k - 1))
    msw = float(((df["y"] - g.transform("mean")) ** 2).sum() / (n - k))
    n0 = (n - (n_i**2).sum() / n) / (k - 1)
    denom = msb + (n0 - 1) * msw
    return max(0.0, (msb - msw) / denom) if denom > 0 else 0.0


def design_effect(y: np.ndarray, groups: np.ndarray) -> float:
    """The variance of a cluster-sampled mean over that of as many independent contacts, measured
    on the log: sum over clusters of (S_c - mean * n_c)^2 over sum of (y - mean)^2. For equal
    clusters it is 1 + (m - 1) ICC; for the unequal agent-days of a real log it is what the
    cluster-robust analysis of the pilot will actually see."""
    y = np.asarray(y, dtype=float)
    mu = y.mean()
    dev = pd.Series(y - mu).groupby(np.asarray(groups)).sum().to_numpy()
    denom = float(((y - mu) ** 2).sum())
    return max(1.0, float((dev**2).sum()) / denom) if denom > 0 else 1.0


def _relevant(df: pd.DataFrame, field: str) -> pd.DataFrame:
    """The contacts a pilot of ``field`` would run on: handled, on channels that record data use,
    of the demand types where the field is consulted at all."""
    if "data_used" not in df.columns or df["data_used"].notna().sum() == 0:
        raise FlowkitError("the log has no data_used column with values: no baseline for a pilot")
    handled = df[df["handle_s"].notna()]
    chans = set(handled.loc[handled["data_used"].notna(), "channel"].astype(str))
    handled = handled[handled["channel"].astype(str).isin(chans)]
    uses = handled["data_used"].fillna("").astype(str).str.split(";").apply(lambda xs: field in xs)
    if not uses.any():
        raise FlowkitError(f"field {field!r} is never in data_used: nothing to pilot (fields: see `flowkit effects`)")
    if "demand_type" in handled.columns:
        types = set(handled.loc[uses, "demand_type"].astype(str))
        handled = handled[handled["demand_type"].astype(str).isin(types)]
    return handled


def design_pilot(
    df: pd.DataFrame,
    field: str,
    outcome: str = "handle_s",
    mde: float = 0.10,
    unit: str = "contact",
    alpha: float = 0.05,
    power: float = 0.8,
    seed: int = 0,
) -> PilotPlan:
    """Contacts (and agent-days) per arm to detect a relative change ``mde`` in ``outcome``."""
    if outcome not in OUTCOMES:
        raise FlowkitError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    if unit not in UNITS:
        raise FlowkitError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    if not 0 < mde < 1:
        raise FlowkitError(f"mde is relative to the baseline mean and must be between 0 and 1, not {mde}")
    d = _relevant(df, field)
    y = d[outcome].astype("boolean").astype(float) if outcome == "resolved" else d[outcome].astype(float)
    ok = y.notna().to_numpy()
    d, yv = d[ok], y.to_numpy()[ok]
    if len(d) < 30:
        raise FlowkitError(f"only {len(d)} contacts with {outcome} for field {field!r}: too few for a baseline")
    mean, sd = float(yv.mean()), float(yv.std(ddof=1))
    solver = NormalIndPower()
    if outcome == "resolved":
        p1 = mean * (1 + mde)
        if p1 >= 1:
            raise FlowkitError(f"baseline resolution {mean:.1%} cannot rise by {mde:.0%} of itself")
        es = abs(proportion_effectsize(p1, mean))
    else:
        es = mde * mean / sd
    n_contact = math.ceil(solver.solve_power(effect_size=es, alpha=alpha, power=power, ratio=1.0))
    day = pd.to_datetime(d["received_at"]).dt.normalize()
    days = max(1, day.nunique())
    per_day = len(d) / days
    icc, m, deff = 0.0, 1.0, 1.0
    if unit == "agent-day":
        if d["agent_id"].isna().all():
            raise FlowkitError("unit agent-day needs agent_id in the log")
        cl = d["agent_id"].astype(str) + "|" + day.astype(str)
        known = d["agent_id"].notna().to_numpy()
        icc = icc_oneway(yv[known], cl.to_numpy()[known])
        m = float(pd.Series(cl[known]).value_counts().mean())
        deff = design_effect(yv[known], cl.to_numpy()[known])
    per_arm = math.ceil(n_contact * deff)
    clusters = math.ceil(per_arm / m) if unit == "agent-day" else per_arm
    days_needed = math.ceil(2 * per_arm / per_day)
    return PilotPlan(
        field,
        outcome,
        unit,
        mde,
        alpha,
        power,
        mean,
        sd,
        mde * mean,
        icc,
        m,
        deff,
        per_arm,
        clusters,
        per_day,
        days_needed,
        seed,
        f"{len(d):,} handled contacts of the types that consult {field!r}, over {days} days",
    )


def assignment(plan: PilotPlan, df: pd.DataFrame | None = None, start: str | None = None) -> pd.DataFrame:
    """The randomised assignment, reproducible from ``plan.seed``: permuted blocks of four so the
    arms stay balanced however early the pilot stops. Contacts are numbered in arrival order;
    agent-days list each agent (from the log) on each pilot day."""
    rng = np.random.default_rng(plan.seed)
    if plan.unit == "contact":
        n = 2 * plan.contacts_per_arm
        units = pd.DataFrame({"unit": [f"contact {i + 1}" for i in range(n)], "sequence": np.arange(1, n + 1)})
    else:
        agents = sorted(_relevant(df, plan.field)["agent_id"].dropna().astype(str).unique()) if df is not None else []
        if not agents:
            raise FlowkitError("agent-day assignment needs the log's agent ids")
        first = pd.Timestamp(start) if start else pd.Timestamp("today").normalize() + pd.offsets.Week(weekday=0)
        n_days = max(1, math.ceil(2 * plan.clusters_per_arm / len(agents)))
        dates = pd.bdate_range(first, periods=n_days)
        units = pd.DataFrame([(a, str(dt.date())) for dt in dates for a in agents], columns=["agent_id", "date"])
        units.insert(0, "unit", units["agent_id"] + "|" + units["date"])
        units["sequence"] = np.arange(1, len(units) + 1)
    blocks = math.ceil(len(units) / 4)
    arms = np.concatenate([rng.permutation(["treatment", "treatment", "control", "control"]) for _ in range(blocks)])
    units["arm"] = arms[: len(units)]
    return units


def write_plan(plan: PilotPlan, units: pd.DataFrame, out_dir: str | Path) -> tuple[Path, Path]:
    from flowkit.outlock import output_lock
    from flowkit.safewrite import write_csv, write_text

    with output_lock(out_dir) as out:
        p = write_text(out / "plan.json", json.dumps(plan.to_json_dict(), indent=2))
        a = write_csv(units, out / "assignment.csv")
    return p, a
