"""Effects the log could not pin down: each replication draws its own data-field effect.

A calibrated data field carries its estimate and standard error (``handle_factor_se``,
``resolve_p_add_se``). Simulating only the point estimate would make a ranking look surer
than the evidence is; drawing each replication's effect from N(estimate, se) puts the
estimate's uncertainty into the replications' spread, so the CIs of ``compare`` and the
data-value experiment include it. The draw depends only on (seed, replication, field), so a
base scenario and its variants meet the same draws: common random numbers still hold.
A field written by hand without standard errors is a known effect and is left as it is.
"""

from __future__ import annotations

import zlib
from dataclasses import replace

import numpy as np

from flowkit.sim.scenario import DataField, Scenario

__all__ = ["draw_effects", "evidence"]


def draw_effects(scenario: Scenario, replication: int) -> Scenario:
    """The scenario with each uncertain field's effect drawn for this replication."""
    if not any(f.handle_factor_se > 0 or f.resolve_p_add_se > 0 for f in scenario.data_fields.values()):
        return scenario
    fields = {}
    for name, f in scenario.data_fields.items():
        rng = np.random.default_rng([scenario.seed, replication, zlib.crc32(name.encode()), 0xEFFEC7])
        hf = f.handle_factor + f.handle_factor_se * rng.standard_normal() if f.handle_factor_se > 0 else f.handle_factor
        add = (
            f.resolve_p_add + f.resolve_p_add_se * rng.standard_normal() if f.resolve_p_add_se > 0 else f.resolve_p_add
        )
        fields[name] = replace(f, handle_factor=float(max(hf, 0.05)), resolve_p_add=float(min(max(add, -1.0), 1.0)))
    return replace(scenario, data_fields=fields)


def evidence(f: DataField, z: float = 1.96) -> str:
    """``given`` (no standard errors: a known effect), ``estimated`` (some 95% CI excludes no
    effect) or ``none`` (every CI includes no effect: the log shows no evidence either way)."""
    if f.handle_factor_se <= 0 and f.resolve_p_add_se <= 0:
        return "given"
    shown = (f.handle_factor_se > 0 and abs(f.handle_factor - 1.0) > z * f.handle_factor_se) or (
        f.resolve_p_add_se > 0 and abs(f.resolve_p_add) > z * f.resolve_p_add_se
    )
    return "estimated" if shown else "none"
