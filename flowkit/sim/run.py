"""Replications: run them (serially or in parallel processes), and summarise with 95% CIs.

One run of a stochastic model is an anecdote. Each replication has its own random
streams derived from (seed, replication), so results do not depend on how many worker
processes ran them or in what order: parallel equals serial, bit for bit.

Here too: end-to-end time of the cases started in the measured window by Kaplan-Meier
(lifelines), unresolved cases censored at the horizon, with the share still open; KPIs
that are not defined in a replication (no contacts on a channel) are NaN, never 0, and
summarised over the replications where they are defined; the run's warnings (offered load
at or above capacity, a warm-up that MSER-5 finds too short) travel with the result.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from flowkit import schema
from flowkit.errors import FlowkitError
from flowkit.sim.load import load_warnings
from flowkit.sim.model import LOG_COLUMNS, ReplicationResult, simulate_replication
from flowkit.sim.scenario import Scenario
from flowkit.sim.uncertainty import draw_effects
from flowkit.sim.warmup import check_warmup, loop_warmup_hours

__all__ = [
    "HEADLINE_KPIS",
    "SIM_EPOCH",
    "SimulationResult",
    "e2e_kpis",
    "replication_scenario",
    "simulate",
    "summarise",
]

#: simulated time 0 is this Monday 00:00, so weekdays and opening hours line up.
SIM_EPOCH = pd.Timestamp("2024-01-01")
HEADLINE_KPIS = (
    "mean_wait_s",
    "p_wait",
    "service_level",
    "abandon_rate",
    "occupancy",
    "contacts_offered",
    "failure_share",
    "agent_hours_failure",
)


@dataclass
class SimulationResult:
    scenario: Scenario
    per_replication: pd.DataFrame  # one row per replication, one column per KPI
    summary: dict[str, dict[str, float | None]]  # KPI -> {mean, ci95_low, ci95_high}
    replications: list[ReplicationResult] = field(repr=False, default_factory=list)
    log: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)
    warmup_hours: float = 0.0
    headline_channel: str = ""

    def to_json_dict(self) -> dict:
        """JSON-safe: a KPI that is not defined is null (NaN is not JSON)."""
        kpis = {
            k: {s: (None if v is None or (isinstance(v, float) and math.isnan(v)) else v) for s, v in d.items()}
            for k, d in self.summary.items()
        }
        return {
            "scenario": self.scenario.name,
            "replications": len(self.per_replication),
            "kpis": kpis,
            "headline_channel": self.headline_channel,
            "warmup_hours": self.warmup_hours,
            "warnings": list(self.warnings),
        }


def summarise(per_replication: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    """Mean and 95% t-interval of each KPI over the replications where it is defined.

    No interval from one value; a KPI defined in no replication has mean NaN.
    """
    out = {}
    for name in per_replication.columns:
        x = per_replication[name].to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        n = len(x)
        if n == 0:
            out[name] = {"mean": float("nan"), "ci95_low": None, "ci95_high": None}
            continue
        mean = float(x.mean())
        if n > 1 and x.std(ddof=1) > 0:
            low, high = stats.t.interval(0.95, n - 1, loc=mean, scale=stats.sem(x))
            out[name] = {"mean": mean, "ci95_low": float(low), "ci95_high": float(high)}
        elif n > 1:
            out[name] = {"mean": mean, "ci95_low": mean, "ci95_high": mean}
        else:
            out[name] = {"mean": mean, "ci95_low": None, "ci95_high": None}
    return out


def replication_scenario(scenario: Scenario, replication: int) -> Scenario:
    """The scenario one replication runs. Today the base scenario itself.

    The seam for parameter uncertainty drawn per replication (e.g. data-field effects from
    their confidence intervals): whatever is drawn must depend only on (scenario, replication)
    - seed it from ``scenario.seed`` and ``replication`` - so results stay independent of the
    executor and variants stay paired.
    Data fields with standard errors draw their effects here (:func:`flowkit.sim.uncertainty.draw_effects`).
    """
    return draw_effects(scenario, replication)


def _one(args: tuple[Scenario, int, bool]) -> ReplicationResult:
    """One replication and its end-to-end KPIs, in whichever process runs it (the Kaplan-Meier fit
    is a replication's own work: done here, it runs in parallel with the other replications')."""
    scenario, rep, keep_log = args
    r = simulate_replication(replication_scenario(scenario, rep), rep, keep_log)
    r.e2e = e2e_kpis(r.case_hours, r.case_resolved)
    return r


def simulate(
    scenario: Scenario,
    replications: int | None = None,
    workers: int | None = None,
    keep_log: bool = True,
    progress: Callable[[int, int], None] | None = None,
    scheduler: str | None = None,
) -> SimulationResult:
    """Run ``replications`` (default: the scenario's) on ``workers`` processes (default: all cores),
    or on a Dask distributed cluster when ``scheduler`` gives its address.

    ``progress(done, total)`` is called after each replication; the library never prints.
    Results are identical whichever executor ran them: each replication seeds itself.
    """
    reps = replications or scenario.replications
    if reps < 1:
        raise ValueError(f"replications must be at least 1, got {reps}")
    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    jobs = [(scenario, r, keep_log) for r in range(reps)]
    results: list[ReplicationResult] = []
    if scheduler:
        results = run_on_dask(scheduler, jobs, progress)
    elif workers == 1 or reps == 1:
        for job in jobs:
            results.append(_one(job))
            if progress:
                progress(len(results), reps)
    else:
        _warm_for_fork()
        with ProcessPoolExecutor(max_workers=min(workers, reps)) as pool:
            for res in pool.map(_one, jobs):
                results.append(res)
                if progress:
                    progress(len(results), reps)
    return collect(scenario, results, keep_log)


@functools.cache
def _warm_for_fork() -> None:
    """Import lifelines and make a first (tiny) Kaplan-Meier fit in the parent, once, before it forks
    worker processes: each worker then inherits them, rather than each paying the import and the
    first fit's set-up in its first replication (~0.1-0.2 CPU s per worker). Not with a start method
    that does not fork: there the workers would not inherit them."""
    method = multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_all_start_methods()[0]
    if method == "fork":
        e2e_kpis(np.ones(2), np.ones(2, dtype=bool))


def run_on_dask(scheduler: str, jobs: list, progress: Callable[[int, int], None] | None = None) -> list:
    """Replications on a Dask distributed cluster (``tcp://host:port``), gathered in order."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise FlowkitError("--scheduler needs Dask distributed: pip install 'dask[distributed]'") from exc
    with Client(scheduler, timeout="30s") as client:
        futures = client.map(_one, jobs, pure=False)
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress:
                progress(done, len(jobs))
        return client.gather(futures)


def collect(scenario: Scenario, results: list[ReplicationResult], keep_log: bool = True) -> SimulationResult:
    """Turn replication results (from any executor) into a summary and one log."""
    from flowkit.sim.model import headline_channel

    results = sorted(results, key=lambda r: r.replication)
    per = pd.DataFrame(
        [r.kpis | (r.e2e if r.e2e is not None else e2e_kpis(r.case_hours, r.case_resolved)) for r in results],
        index=pd.Index([r.replication for r in results], name="replication"),
    )
    log = simulated_log(scenario, results) if keep_log else None
    used = results[0].warmup_hours if results else 0.0
    check = check_warmup(used, scenario.horizon_hours, [r.series for r in results], loop_warmup_hours(scenario))
    warnings = load_warnings(scenario) + check.warnings
    return SimulationResult(scenario, per, summarise(per), results, log, warnings, used, headline_channel(scenario))


def e2e_kpis(hours: np.ndarray, resolved: np.ndarray) -> dict[str, float]:
    """End-to-end time of cases started in the window: Kaplan-Meier median and 90th percentile
    (hours; NaN when the curve never gets there), unresolved cases censored at the horizon,
    and the share still open at the horizon."""
    if len(hours) == 0:
        return {"e2e_hours": float("nan"), "e2e_hours_p90": float("nan"), "e2e_open_share": float("nan")}
    from lifelines import KaplanMeierFitter

    km = KaplanMeierFitter().fit(np.maximum(hours, 1e-9), event_observed=resolved)
    sf = km.survival_function_.iloc[:, 0]

    def time_below(level: float) -> float:
        hit = sf[sf <= level]
        return float(hit.index[0]) if len(hit) else float("nan")

    return {
        "e2e_hours": time_below(0.5),
        "e2e_hours_p90": time_below(0.1),
        "e2e_open_share": float(1.0 - resolved.mean()),
    }


def simulated_log(scenario: Scenario, results: list[ReplicationResult]) -> pd.DataFrame:
    """The simulated contacts as a contact table (plus answered/ended times, outcome, replication)."""
    frames = []
    for r in results:
        df = pd.DataFrame.from_records(r.rows, columns=LOG_COLUMNS) if r.rows else pd.DataFrame(columns=LOG_COLUMNS)
        df["replication"] = r.replication
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    for col in ("received_at_s", "answered_at_s", "ended_at_s"):
        df[col.replace("_s", "")] = SIM_EPOCH + pd.to_timedelta(df[col].astype(float), unit="s")
    df = df.rename(columns={"received_at": "received_at", "answered_at": "answered_at", "ended_at": "ended_at"})
    df["source_file"] = f"sim:{scenario.name}:rep" + df["replication"].astype(str)
    df["text"] = None
    extras = ["answered_at", "ended_at", "outcome", "replication", "attempt"]
    if scenario.leaving is not None:  # when each customer who left did (flowkit.sim.leaving)
        left = {(r.replication, cid): t for r in results for cid, t in r.left_at.items()}
        when = [left.get(key, float("nan")) for key in zip(df["replication"], df["customer_id"], strict=True)]
        df["churned_at"] = SIM_EPOCH + pd.to_timedelta(pd.Series(when, index=df.index, dtype=float), unit="s")
        extras.append("churned_at")
    df["failure_type"] = df["failure_type"].astype(object).mask(df["failure_type"].isna(), None)
    base = schema.conform(
        df.drop(columns=["received_at_s", "answered_at_s", "ended_at_s", "queued_at_s", "queued_at"], errors="ignore")
    )
    base["demand"] = base["demand"].astype(schema.CLASSIFICATION_COLUMNS["demand"])
    return base[[*schema.COLUMNS, "demand", "demand_type", "failure_type", *extras]]
