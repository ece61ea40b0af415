"""What a what-if gains, in flowkit's one sign convention: positive is good.

Deltas stay variant minus base (:mod:`flowkit.sim.compare`); a manager reads "saves 40 agent
hours, keeps 12 customers", so the figures that cost when they grow are turned round here, each
with its 95% interval turned round with it: ``agent_hours_saved`` and ``customers_kept``.
"""

from __future__ import annotations

__all__ = ["GAINS", "gain_sentence", "gains"]

#: gain name -> the KPI it turns round
GAINS = {"agent_hours_saved": "agent_hours", "customers_kept": "customers_lost"}
_UNITS = {"agent_hours_saved": ("saves", "costs", "agent hours"), "customers_kept": ("keeps", "loses", "customers")}


def gains(deltas: dict[str, dict]) -> dict[str, dict]:
    """``{gain: {mean, ci95_low, ci95_high, statistically_significant, significant}}`` for the KPIs present."""
    out = {}
    for name, kpi in GAINS.items():
        d = deltas.get(kpi)
        if d is None:
            continue
        out[name] = {
            "mean": 0.0 - d["mean"],  # 0.0 - x, not -x: no "-0" for a what-if that changes nothing
            "ci95_low": 0.0 - d["ci95_high"],
            "ci95_high": 0.0 - d["ci95_low"],
            "statistically_significant": d["statistically_significant"],
            "significant": d["significant"],
        }
    return out


def gain_sentence(variant: str, deltas: dict[str, dict]) -> str | None:
    """One sentence: what the variant saves and keeps, each with its 95% CI, or no evidence."""
    parts = []
    for name, g in gains(deltas).items():
        more, less, unit = _UNITS[name]
        ci = f"95% CI {g['ci95_low']:+.1f} to {g['ci95_high']:+.1f}"
        if not g["statistically_significant"]:
            parts.append(f"no evidence either way on {unit} ({g['mean']:+.1f} {name.split('_')[-1]}, {ci})")
        else:
            parts.append(f"{more if g['mean'] > 0 else less} {abs(g['mean']):.1f} {unit} ({ci})")
    return f"{variant}: " + "; ".join(parts) + "." if parts else None
