"""The data-value experiment: which customer data, available at the point of contact, helps?

For every candidate field the scenario lists as not available, a variant makes it
available; all variants meet the same customers (common random numbers). Fields are ranked
by the agent hours they save, each with a 95% CI and the share of demand they touch. And
the other lever, usually bigger: for each failure type, a variant where that failure is
designed out at source, showing the capacity it frees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from flowkit.sim.compare import Comparison, compare
from flowkit.sim.gains import gains
from flowkit.sim.scenario import Scenario
from flowkit.sim.uncertainty import evidence

__all__ = ["DataValueResult", "data_value", "design_out_variants", "field_variants", "share_of_demand", "verdict"]

RANK_KPI = "agent_hours"


def share_of_demand(scenario: Scenario, fieldname: str) -> float:
    """Share of arriving demand (by mean rate) whose type needs ``fieldname``."""
    total = sum(s.mean_rate_per_hour() for s in scenario.demand)
    touched = sum(s.mean_rate_per_hour() for s in scenario.demand if fieldname in s.needs)
    return touched / total if total else 0.0


def field_variants(scenario: Scenario) -> dict[str, Scenario]:
    variants = {}
    for name, f in scenario.data_fields.items():
        if not f.available:
            fields = dict(scenario.data_fields)
            fields[name] = replace(f, available=True)
            variants[name] = scenario.with_changes(data_fields=fields, name=f"{scenario.name}+{name}")
    return variants


def design_out_variants(scenario: Scenario) -> dict[str, Scenario]:
    """One variant per failure type: its arrivals stop and the loop no longer produces it."""
    types = {s.failure_type for s in scenario.demand if s.demand == "failure" and s.failure_type}
    if scenario.recontact and scenario.recontact.p > 0:
        types.add(scenario.recontact.as_type)
        if scenario.callback and scenario.callback.p_made < 1:
            types.add("progress_chasing")  # missed callbacks come back chasing
    variants = {}
    for ft in sorted(types):
        demand = tuple(
            replace(
                s,
                rate_per_hour=0.0,
                profile_per_hour=tuple(0.0 for _ in s.profile_per_hour),
                by_weekday=tuple(tuple(0.0 for _ in d) for d in s.by_weekday),
            )
            if s.failure_type == ft
            else s
            for s in scenario.demand
        )
        changes: dict = {"demand": demand, "name": f"{scenario.name}-no-{ft}"}
        if scenario.recontact and scenario.recontact.as_type == ft:
            changes["recontact"] = replace(scenario.recontact, p=0.0)
        if ft == "progress_chasing" and scenario.callback:
            changes["callback"] = replace(scenario.callback, p_made=1.0)
        variants[ft] = scenario.with_changes(**changes)
    return variants


@dataclass
class DataValueResult:
    scenario: str
    replications: int
    fields: list[dict] = field(default_factory=list)  # ranked, most agent hours saved first
    design_out: list[dict] = field(default_factory=list)  # ranked likewise
    comparison: Comparison | None = None

    def to_json_dict(self) -> dict:
        return {
            "scenario": self.scenario,
            "replications": self.replications,
            "fields": self.fields,
            "design_out": self.design_out,
        }


def _entry(key: str, name: str, deltas: dict, extra: dict) -> dict:
    """One ranked variant. ``agent_hours_saved`` is flowkit's one sign convention (positive is
    good: hours the variant saves against the base); ``deltas`` stay variant minus base."""
    significant = any(deltas[k]["significant"] for k in (RANK_KPI, "failure_share") if k in deltas)
    statistical = any(deltas[k]["statistically_significant"] for k in (RANK_KPI, "failure_share") if k in deltas)
    a = deltas.get(RANK_KPI)
    saved = (
        {"mean": -a["mean"], "ci95_low": -a["ci95_high"], "ci95_high": -a["ci95_low"]}
        if a
        else {"mean": 0.0, "ci95_low": 0.0, "ci95_high": 0.0}
    )
    kept = gains(deltas).get("customers_kept")  # with a leaving key (flowkit.sim.leaving)
    return {
        key: name,
        **extra,
        "agent_hours_saved": saved,
        **({"customers_kept": {m: kept[m] for m in ("mean", "ci95_low", "ci95_high")}} if kept else {}),
        "deltas": {k: {m: d[m] for m in ("mean", "ci95_low", "ci95_high")} for k, d in deltas.items()},
        "significant": significant,
        "statistically_significant": statistical,
    }


def verdict(entry: dict) -> str:
    """The sentence for one ranked variant, about agent hours, in the saved convention."""
    s = entry["agent_hours_saved"]
    ci = f"95% CI {s['ci95_low']:+.1f} to {s['ci95_high']:+.1f}"
    if entry.get("status") == "not shown":
        return (
            "not shown - the log gives no evidence either way of its effect, so its simulated figure "
            f"(agent hours saved {s['mean']:+.1f}, {ci}) only repeats the log's uncertain estimate"
        )
    if not (s["ci95_low"] > 0 or s["ci95_high"] < 0):
        return f"no evidence either way on agent hours (saved {s['mean']:+.1f}, {ci})"
    word = "saves" if s["mean"] > 0 else "costs"
    if not entry["significant"]:
        return f"{word} {abs(s['mean']):.1f} agent hours ({ci}): real, but under the share of the baseline that matters"
    return f"{word} {abs(s['mean']):.1f} agent hours ({ci})"


def data_value(
    scenario: Scenario,
    replications: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    design_out: bool = True,
    progress: Callable[[str], None] | None = None,
    min_effect: float = 0.02,
) -> DataValueResult:
    """Rank fields (and designed-out failure types) by agent hours saved; ``significant`` means the
    95% CI of agent hours or failure share excludes 0 and the effect is at least ``min_effect``
    of the baseline (see :func:`flowkit.sim.compare.paired_deltas`)."""
    fields = field_variants(scenario)
    outs = design_out_variants(scenario) if design_out else {}
    variants = {**{f"field:{k}": v for k, v in fields.items()}, **{f"no:{k}": v for k, v in outs.items()}}
    comp = compare(scenario, variants, replications, workers, scheduler, progress, min_effect)
    reps = len(comp.base.per_replication)
    result = DataValueResult(scenario.name, reps, comparison=comp)
    for name in fields:
        ev = evidence(scenario.data_fields[name])
        result.fields.append(
            _entry(
                "field",
                name,
                comp.deltas[f"field:{name}"],
                {
                    "share_of_demand": share_of_demand(scenario, name),
                    "evidence": ev,
                    "status": "not shown" if ev == "none" else "ranked",
                },
            )
        )
    for ft in outs:
        result.design_out.append(_entry("failure_type", ft, comp.deltas[f"no:{ft}"], {}))
    key = lambda e: -e["agent_hours_saved"]["mean"]  # noqa: E731
    result.fields.sort(key=lambda e: (e["status"] == "not shown", key(e)))  # no evidence: ranked last, "not shown"
    result.design_out.sort(key=key)
    return result
