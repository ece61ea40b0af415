"""The managers' questions in the simulator (issue 16, questions 1 and 4), shared by the demo and notebooks.

The calibrated baseline is given the log's own risk of leaving by contact number and its
re-telling costs (:mod:`flowkit.sim.calibrate.customers`); then two what-ifs meet the same
simulated customers (common random numbers): progress chasing designed out (every promised
callback made, no customer chasing), and "tell us once" (context carried across hand-offs and
channel switches). What each keeps and saves comes with 95% CIs over the replications.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from flowkit.pipeline.prepare import Progress, _quiet

__all__ = ["ManagersWhatIf", "customer_baseline", "managers_for_report", "managers_whatif"]


@dataclass
class ManagersWhatIf:
    """The what-ifs for questions 1 and 4, and what the baseline took from the log."""

    comparison: Any  # flowkit.sim.compare.Comparison, None when nothing could be simulated
    base: Any  # the Scenario the what-ifs start from
    leaving_note: str
    retelling_notes: list[str]
    described: dict[str, str] = field(default_factory=dict)  # variant -> what it changes, in words
    missing: list[str] = field(default_factory=list)  # what could not be simulated, and why


def customer_baseline(classified: pd.DataFrame, scenario: Any, signal: dict | None) -> tuple[Any, str, list[str]]:
    """``scenario`` with ``leaving`` (when ``signal`` says how the log knows who left) and
    ``retelling`` from the log, and the notes saying where each came from."""
    from flowkit.sim.calibrate.customers import leaving_from_log, net_handle, retelling_from_log
    from flowkit.sim.customer_keys import LeavingSpec, RetellingSpec, customer_keys
    from flowkit.sim.model import channels_of

    if signal is None:
        leaving, leaving_note = None, "the log says nothing about which customers left"
    else:
        leaving, leaving_note = leaving_from_log(classified, **signal)
    retelling, notes, per_contact = retelling_from_log(classified, channels_of(scenario))
    if per_contact > 0:
        notes.append(
            f"the calibrated handle times already hold {per_contact:.1f} s of re-telling per contact on average, "
            "taken out of them so that the model adds it only where it happens"
        )
    keys = customer_keys(
        LeavingSpec.model_validate(leaving, strict=False) if leaving else None,
        RetellingSpec.model_validate(retelling, strict=False) if retelling else None,
        None,
    )
    return net_handle(scenario, per_contact).with_changes(**keys), leaving_note, notes


def managers_whatif(
    classified: pd.DataFrame,
    scenario: Any,
    signal: dict | None,
    replications: int = 4,
    workers: int | None = None,
    progress: Progress = _quiet,
) -> ManagersWhatIf:
    """Run the two what-ifs against ``scenario`` given the log's leaving risk and re-telling costs."""
    from flowkit.sim.compare import compare
    from flowkit.sim.customer_keys import TellUsOnce
    from flowkit.sim.experiment import design_out_variants

    progress("the managers' questions in the simulator: leaving risk and re-telling from the log")
    base, leaving_note, notes = customer_baseline(classified, scenario, signal)
    base = base.with_changes(name=f"{scenario.name} (with leaving and re-telling)")
    result = ManagersWhatIf(None, base, leaving_note, notes)
    variants = {}
    chasing = design_out_variants(base).get("progress_chasing")
    if chasing is not None:
        variants["no progress chasing"] = chasing
        result.described["no progress chasing"] = (
            "progress chasing designed out: every promised callback is made and customers are kept informed, "
            "so nobody has to chase"
        )
    else:
        result.missing.append("the baseline has no progress chasing to design out (no failure-demand loop)")
    rt = base.retelling
    handoffs = base.handoff is not None and (base.ivr.reauth_s > 0 or (rt is not None and rt.handoff_s > 0))
    transfers = rt is not None and rt.transfer_p > 0 and rt.transfer_s > 0
    switches = rt is not None and rt.switch_p > 0 and rt.switch_s > 0
    if handoffs or transfers or switches:
        variants["tell us once"] = base.with_changes(tell_us_once=TellUsOnce(), name="tell us once")
        result.described["tell us once"] = (
            "tell us once: the context travels with the customer, so nobody authenticates again or re-tells "
            "their story when passed on or when they switch channel"
        )
    else:
        result.missing.append(
            "tell us once: the log shows no re-telling cost the model can remove (no measured extra time on "
            "passed-on or switched contacts)"
        )
    if variants:
        result.comparison = compare(base, variants, replications, workers, progress=lambda name: progress(f"  {name}"))
    return result


def managers_for_report(
    classified: pd.DataFrame, out: Path, replications: int = 4, progress: Progress = _quiet
) -> dict:
    """The report's what-if section for questions 1 and 4, from the baseline calibrated into
    ``out/scenario.yaml`` (by :func:`flowkit.pipeline.demo.simulate_for_report`)."""
    from flowkit.report.managers import churn_signal
    from flowkit.report.managers_sim import whatif_section
    from flowkit.sim import load_scenario

    scenario = load_scenario(out / "scenario.yaml")
    w = managers_whatif(classified, scenario, churn_signal(classified), replications, progress=progress)
    return whatif_section(w, out)
