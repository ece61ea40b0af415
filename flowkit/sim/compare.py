"""What-ifs: the same customers through different service designs, compared honestly.

Every scenario runs the same replications with the same seed, and each replication draws
each purpose's random numbers from its own stream (arrivals, handling, decisions, ...), so
a variant that changes one thing meets the same customers: common random numbers. The
effect is the per-replication difference, with a 95% t-interval; an interval that includes
zero is reported as "no significant difference", as plainly as a difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd
from scipy import stats

from flowkit.sim.run import SimulationResult, simulate
from flowkit.sim.scenario import Scenario

__all__ = ["Comparison", "compare", "paired_deltas", "COMPARE_KPIS"]

COMPARE_KPIS = ("agent_hours", "failure_share", "e2e_hours", "service_level", "mean_wait_s", "abandon_rate",
                "contacts_offered", "occupancy", "agent_hours_failure", "one_stop")


def paired_deltas(base: pd.DataFrame, variant: pd.DataFrame, kpis=COMPARE_KPIS, min_effect: float = 0.02) -> dict[str, dict]:
    """Variant minus base, per replication, summarised as mean and 95% CI.

    ``statistically_significant``: the interval excludes 0. ``significant``: that, and the
    effect is material - at least ``min_effect`` of the base value (relative). Common random
    numbers make tiny real effects statistically detectable; a consultant needs to know which
    ones matter.
    """
    out = {}
    for k in kpis:
        if k not in base.columns or k not in variant.columns:
            continue
        d = (variant[k] - base[k]).to_numpy(dtype=float)
        mean = float(d.mean())
        if len(d) > 1 and d.std(ddof=1) > 0:
            low, high = (float(x) for x in stats.t.interval(0.95, len(d) - 1, loc=mean, scale=stats.sem(d)))
        else:
            low = high = mean
        stat = bool(len(d) > 1 and (low > 0 or high < 0))
        scale = abs(float(base[k].mean()))
        material = abs(mean) >= min_effect * scale if scale > 0 else abs(mean) > 0
        out[k] = {"mean": mean, "ci95_low": low, "ci95_high": high, "relative": mean / scale if scale else float("nan"),
                  "statistically_significant": stat, "significant": stat and material}
    return out


@dataclass
class Comparison:
    base: SimulationResult
    variants: dict[str, SimulationResult] = field(default_factory=dict)
    deltas: dict[str, dict[str, dict]] = field(default_factory=dict)   # variant -> kpi -> {mean, ci, significant}

    def table(self) -> pd.DataFrame:
        rows = [{"variant": v, "kpi": k, **d} for v, ks in self.deltas.items() for k, d in ks.items()]
        return pd.DataFrame(rows, columns=["variant", "kpi", "mean", "ci95_low", "ci95_high", "relative",
                                           "statistically_significant", "significant"])

    def verdicts(self) -> list[str]:
        """One plain sentence per variant and headline KPI."""
        out = []
        for v, ks in self.deltas.items():
            for k in ("agent_hours", "failure_share", "e2e_hours", "service_level"):
                if k not in ks:
                    continue
                d = ks[k]
                ci = f"95% CI {d['ci95_low']:+.4g} to {d['ci95_high']:+.4g}"
                if d["significant"]:
                    out.append(f"{v}: {k} changes by {d['mean']:+.4g} ({d['relative']:+.1%}; {ci}).")
                elif d["statistically_significant"]:
                    out.append(f"{v}: {k} changes by {d['mean']:+.4g} ({d['relative']:+.1%}; {ci}): real but too small to matter.")
                else:
                    out.append(f"{v}: no significant difference in {k} ({ci}).")
        return out


def compare(base: Scenario, variants: dict[str, Scenario], replications: int | None = None, workers: int | None = None,
            scheduler: str | None = None, progress: Callable[[str], None] | None = None,
            min_effect: float = 0.02) -> Comparison:
    """Run base and variants with common random numbers and report paired differences."""
    reps = replications or base.replications
    step = progress or (lambda _m: None)
    step(base.name)
    b = simulate(base, reps, workers, keep_log=False, scheduler=scheduler)
    result = Comparison(b)
    for name, sc in variants.items():
        step(name)
        v = simulate(sc.with_changes(seed=base.seed), reps, workers, keep_log=False, scheduler=scheduler)
        result.variants[name] = v
        result.deltas[name] = paired_deltas(b.per_replication, v.per_replication, min_effect=min_effect)
    return result
