"""The report's section on the managers' what-ifs (issue 16, questions 1 and 4): customers kept and
agent hours saved when progress chasing is designed out and when customers tell their story once.

Words a manager uses, each figure with its 95% interval over the replications, "no evidence
either way" when the interval holds zero, and what the model took from the log said first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flowkit.sim.gains import gains

if TYPE_CHECKING:
    from flowkit.pipeline.managers import ManagersWhatIf

__all__ = ["whatif_section"]


def _ci(g: dict, digits: int = 0) -> str:
    return f"95% CI {g['ci95_low']:,.{digits}f} to {g['ci95_high']:,.{digits}f}"


def _said(g: dict | None, more: str, less: str, unit: str, digits: int = 0) -> str:
    """A clause on one gain: "keeps 12 customers (95% CI ...)", or why there is no figure."""
    if g is None:
        return f"{unit}: not modelled"
    if g["mean"] == 0 and g["ci95_low"] == 0 == g["ci95_high"]:
        return f"no change in {unit} (the same in every replication)"
    if not (g["ci95_low"] > 0 or g["ci95_high"] < 0):
        gained = "kept" if more == "keeps" else "saved"
        return f"no evidence either way on {unit} {gained} ({g['mean']:+,.{digits}f}, {_ci(g, digits)})"
    verb = more if g["mean"] > 0 else less
    return f"{verb} {abs(g['mean']):,.{digits}f} {unit} ({_ci(g, digits)})"


def whatif_section(w: ManagersWhatIf, out: Path) -> dict:
    """A section for ``build_report``'s ``extra_sections`` from a :class:`flowkit.pipeline.managers.ManagersWhatIf`."""
    from flowkit.report.files import table_file

    base = w.base
    days = f"{base.horizon_hours / 24:g} days"
    paragraphs = [
        "What would it change? The simulated baseline was given two things the log shows about customers, "
        "then the same simulated customers went through two changes.",
        f"Leaving: {w.leaving_note}."
        + (
            " In the model a customer leaves after contact "
            + ", ".join(f"{k + 1}: {p:.1%}" for k, p in enumerate(base.leaving.by_contact))
            + f" (and {base.leaving.after:.1%} after any later one), and makes no further contact."
            if base.leaving is not None
            else " Customers lost and kept cannot be simulated."
        ),
        f"Telling the story again: {'; '.join(w.retelling_notes)}.",
    ]
    comp = w.comparison
    files: dict[str, Path] = {}
    tables = []
    if comp is not None:
        reps = len(comp.base.per_replication)
        lost = comp.base.summary.get("customers_lost")
        if lost is not None and np.isfinite(lost["mean"]):
            lo, hi = lost["ci95_low"], lost["ci95_high"]
            paragraphs.append(
                f"In {days} the baseline loses {lost['mean']:,.0f} customers after a contact (95% CI "
                f"{lo if lo is not None else float('nan'):,.0f} to {hi if hi is not None else float('nan'):,.0f})."
            )
        rows = []
        for name, deltas in comp.deltas.items():
            g = gains(deltas)
            kept, saved = g.get("customers_kept"), g.get("agent_hours_saved")
            paragraphs.append(
                f"{w.described[name][0].upper()}{w.described[name][1:]}. Over {days}: "
                f"{_said(kept, 'keeps', 'loses', 'customers')}; "
                f"{_said(saved, 'saves', 'costs', 'agent hours', 1)}."
            )
            fs = deltas.get("failure_share")
            rows.append(
                {
                    "what_if": name,
                    "customers_kept": kept["mean"] if kept else np.nan,
                    "kept_ci_low": kept["ci95_low"] if kept else np.nan,
                    "kept_ci_high": kept["ci95_high"] if kept else np.nan,
                    "agent_hours_saved": saved["mean"] if saved else np.nan,
                    "saved_ci_low": saved["ci95_low"] if saved else np.nan,
                    "saved_ci_high": saved["ci95_high"] if saved else np.nan,
                    "failure_share_change": fs["mean"] if fs else np.nan,
                }
            )
        paragraphs.append(
            f"Each what-if met the same simulated customers as the baseline ({reps} replications of {days}; "
            "intervals are over the replications, kept few so the demo stays quick: flowkit compare with "
            "--replications 20 narrows them). The risk of leaving is the log's observed risk after each contact, "
            "not a proven cause: customers kept here is what fewer contacts per case would give if that risk "
            "holds. The hours saved by telling us once rest on the log's measured re-telling time."
        )
        path = out / "managers_whatif.csv"
        t = table_file(pd.DataFrame(rows), path, index=False)
        t.update(
            name="managers_whatif",
            caption=f"Customers kept and agent hours saved over {days} (positive is good; 95% CIs)",
        )
        tables.append(t)
        files["managers_whatif"] = path
    paragraphs.extend(f"Not simulated: {m}." for m in w.missing)
    return {
        "id": "managers-whatif",
        "title": "Keeping customers and telling us once: the what-ifs",
        "paragraphs": paragraphs,
        "figures": [],
        "tables": tables,
        "_files": files,
    }
