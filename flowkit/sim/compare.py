"""What-ifs: the same customers through different service designs, compared honestly.

Pairing. Random numbers are keyed by (seed, replication, stream, purpose, attempt, customer
index) (see :mod:`flowkit.sim.streams`), so a variant with the base's seed that changes one
thing meets the same customers with the same luck: common random numbers. Its effect is the
per-replication difference, with a 95% t-interval. A variant whose file sets another seed
keeps it - a seed is never overridden silently - and is compared as an independent run: a
difference of means with a Welch interval (much wider), and the comparison says so in
``pairing`` and ``warnings``. An interval that includes zero is reported as "no significant
difference", as plainly as a difference. Replications where a KPI is not defined (NaN) are
left out of that KPI's difference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from flowkit.sim.gains import gain_sentence, gains
from flowkit.sim.routing_report import ROUTING_KPIS
from flowkit.sim.run import SimulationResult, simulate
from flowkit.sim.scenario import Scenario
from flowkit.sim.windows import HOURS_KPIS

__all__ = ["COMPARE_KPIS", "Comparison", "compare", "independent_deltas", "paired_deltas"]

COMPARE_KPIS = (
    "agent_hours",
    "failure_share",
    "e2e_hours",
    "e2e_open_share",
    "service_level",
    "mean_wait_s",
    "abandon_rate",
    "contacts_offered",
    "occupancy",
    "agent_hours_failure",
    "one_stop",
    *HOURS_KPIS,  # only in scenarios that say what closed-line customers do, or have contact windows
    *ROUTING_KPIS,  # only in scenarios with routing: (both sides), else skipped
    "customers_lost",  # only with a leaving key (flowkit.sim.leaving)
    "customers_lost_share",
)


def paired_deltas(
    base: pd.DataFrame, variant: pd.DataFrame, kpis: Sequence[str] = COMPARE_KPIS, min_effect: float = 0.02
) -> dict[str, dict]:
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
        d = d[~np.isnan(d)]
        if len(d) == 0:
            continue
        mean = float(d.mean())
        if len(d) > 1 and d.std(ddof=1) > 0:
            low, high = (float(x) for x in stats.t.interval(0.95, len(d) - 1, loc=mean, scale=stats.sem(d)))
        else:
            low = high = mean
        stat = bool(len(d) > 1 and (low > 0 or high < 0))
        scale = abs(float(base[k].mean()))
        out[k] = _verdict(mean, low, high, stat, scale, min_effect)
    return out


def independent_deltas(
    base: pd.DataFrame, variant: pd.DataFrame, kpis: Sequence[str] = COMPARE_KPIS, min_effect: float = 0.02
) -> dict[str, dict]:
    """Variant minus base for runs that are not paired (different seeds): difference of means, Welch 95% CI."""
    out = {}
    for k in kpis:
        if k not in base.columns or k not in variant.columns:
            continue
        a, b = base[k].dropna().to_numpy(dtype=float), variant[k].dropna().to_numpy(dtype=float)
        if len(a) == 0 or len(b) == 0:
            continue
        mean = float(b.mean() - a.mean())
        if len(a) > 1 and len(b) > 1 and (a.std(ddof=1) > 0 or b.std(ddof=1) > 0):
            va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
            df = (va + vb) ** 2 / ((va**2 / (len(a) - 1) if va else 0) + (vb**2 / (len(b) - 1) if vb else 0))
            half = float(stats.t.ppf(0.975, df) * np.sqrt(va + vb))
            low, high = mean - half, mean + half
        else:
            low = high = mean
        stat = bool(len(a) > 1 and len(b) > 1 and (low > 0 or high < 0))
        out[k] = _verdict(mean, low, high, stat, abs(float(a.mean())), min_effect)
    return out


def _verdict(mean: float, low: float, high: float, stat: bool, scale: float, min_effect: float) -> dict:
    material = abs(mean) >= min_effect * scale if scale > 0 else abs(mean) > 0
    return {
        "mean": mean,
        "ci95_low": low,
        "ci95_high": high,
        "relative": mean / scale if scale else float("nan"),
        "statistically_significant": stat,
        "significant": stat and material,
    }


@dataclass
class Comparison:
    base: SimulationResult
    variants: dict[str, SimulationResult] = field(default_factory=dict)
    deltas: dict[str, dict[str, dict]] = field(default_factory=dict)  # variant -> kpi -> {mean, ci, significant}
    pairing: dict[str, str] = field(default_factory=dict)  # variant -> how it was paired with the base
    warnings: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict:
        """JSON-safe (a relative change of a zero base is null, not NaN)."""

        def safe(v: object) -> object:
            return None if isinstance(v, float) and np.isnan(v) else v

        return {
            "base": self.base.scenario.name,
            "replications": len(self.base.per_replication),
            "pairing": dict(self.pairing),
            "warnings": list(self.warnings),
            "variants": {
                v: {k: {f: safe(x) for f, x in d.items()} for k, d in ks.items()} for v, ks in self.deltas.items()
            },
            "gains": {v: gains(ks) for v, ks in self.deltas.items()},  # positive is good: saved, kept
        }

    def table(self) -> pd.DataFrame:
        rows = [{"variant": v, "kpi": k, **d} for v, ks in self.deltas.items() for k, d in ks.items()]
        return pd.DataFrame(
            rows,
            columns=[
                "variant",
                "kpi",
                "mean",
                "ci95_low",
                "ci95_high",
                "relative",
                "statistically_significant",
                "significant",
            ],
        )

    def verdicts(self) -> list[str]:
        """One plain sentence per variant and headline KPI, then what each saves and keeps."""
        out = []
        for v, ks in self.deltas.items():
            sentence = gain_sentence(v, ks)
            if sentence:
                out.append(sentence)
            for k in (
                "agent_hours",
                "failure_share",
                "e2e_hours",
                "service_level",
                "closed_lost",
                "monday_first_hour_offered",
            ):
                if k not in ks:
                    continue
                d = ks[k]
                ci = f"95% CI {d['ci95_low']:+.4g} to {d['ci95_high']:+.4g}"
                if d["significant"]:
                    out.append(f"{v}: {k} changes by {d['mean']:+.4g} ({d['relative']:+.1%}; {ci}).")
                elif d["statistically_significant"]:
                    out.append(
                        f"{v}: {k} changes by {d['mean']:+.4g} ({d['relative']:+.1%}; {ci}): real but too small to matter."
                    )
                else:
                    out.append(f"{v}: no significant difference in {k} ({ci}).")
        return out


def compare(
    base: Scenario,
    variants: dict[str, Scenario],
    replications: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[str], None] | None = None,
    min_effect: float = 0.02,
) -> Comparison:
    """Run base and variants and report their differences: paired (common random numbers) when a
    variant has the base's seed, independent (Welch) when its own seed differs - never overridden."""
    reps = replications or base.replications
    step = progress or (lambda _m: None)
    step(base.name)
    b = simulate(base, reps, workers, keep_log=False, scheduler=scheduler)
    result = Comparison(b)
    result.warnings.extend(f"{base.name}: {w}" for w in b.warnings)
    for name, sc in variants.items():
        step(name)
        v = simulate(sc, reps, workers, keep_log=False, scheduler=scheduler)
        result.variants[name] = v
        result.warnings.extend(f"{name}: {w}" for w in v.warnings)
        if sc.seed == base.seed:
            result.pairing[name] = (
                f"paired: common random numbers (seed {base.seed}, replications 0-{reps - 1}, "
                "numbers keyed by stream, purpose and customer)"
            )
            result.deltas[name] = paired_deltas(b.per_replication, v.per_replication, min_effect=min_effect)
        else:
            result.pairing[name] = (
                f"independent: the variant's own seed {sc.seed} differs from the base's {base.seed}; "
                "difference of means with a Welch interval"
            )
            result.warnings.append(
                f"{name}: seed {sc.seed} differs from the base's {base.seed}, so the runs are not "
                "paired and intervals are much wider; give it the base's seed to pair them"
            )
            result.deltas[name] = independent_deltas(b.per_replication, v.per_replication, min_effect=min_effect)
    return result
