"""The report's section on the opening-hours what-if (issue 16, question 3): what keeping the phone
line open later changes - calls that meet a closed line, the storm at opening, contacts that go
elsewhere - and what it costs in agent hours, each with its 95% interval, in a manager's words."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from flowkit.pipeline.hours_whatif import HoursWhatIf

__all__ = ["hours_whatif_section"]

#: KPI -> how a manager says it (fewer ..., more ...), and the unit
_SAID = {
    "closed_attempts": "calls meeting a closed line",
    "closed_returned": "calls at opening from callers who found the line closed",
    "first_hour_offered": "calls in the first hour after an opening (on average per opening)",
    "monday_first_hour_offered": "calls in the first hour on Monday mornings",
    "closed_elsewhere": "contacts turning to e-mail instead",
    "closed_lost": "callers giving up after a closed line",
}


def _change(d: dict, unit: str, base: float | None, digits: int = 0) -> str:
    today = f"; today {base:,.{digits}f}" if base is not None and math.isfinite(base) else ""
    ci = f"95% CI {d['ci95_low']:+,.{digits}f} to {d['ci95_high']:+,.{digits}f}"
    if d["ci95_low"] == 0 == d["ci95_high"]:
        return f"no change in {unit}"
    if not (d["ci95_low"] > 0 or d["ci95_high"] < 0):
        return f"no evidence either way on {unit} ({d['mean']:+,.{digits}f}, {ci}{today})"
    word = "fewer" if d["mean"] < 0 else "more"
    return f"{abs(d['mean']):,.{digits}f} {word} {unit} ({ci}{today})"


def hours_whatif_section(w: HoursWhatIf, out: Path) -> dict:
    """A section for ``build_report``'s ``extra_sections``."""
    from flowkit.report.files import table_file

    m = w.measured
    paragraphs = ["What if the phone line stayed open later?"]
    if m:
        paragraphs.append(
            f"From the log: of the {m['attempts']:,.0f} calls that met the closed line, the share of those the log can "
            f"follow whose caller rang again in the first {m['within_hours']:g} hours after it opened is "
            f"{m['return_p']:.0%}, and {m['elsewhere_p']:.0%} turned to another channel within a day. The simulated "
            "baseline was given both (its calls at opening and its e-mails hold them already, so as many were taken "
            "out of the arrivals there)."
        )
    if w.fit:
        paragraphs.append("That baseline against its log: " + " ".join(w.fit))
    tables, files = [], {}
    comp = w.comparison
    if comp is None:
        paragraphs.append(f"Not simulated: {w.missing}.")
    else:
        reps = len(comp.base.per_replication)
        days = f"{comp.base.scenario.horizon_hours / 24:g} days"
        ((_, deltas),) = comp.deltas.items()
        base = comp.base.summary
        parts = [
            _change(deltas[k], unit, base.get(k, {}).get("mean"), 1 if k.endswith("first_hour_offered") else 0)
            for k, unit in _SAID.items()
            if k in deltas
        ]
        if "staff_hours" in m:
            parts.append(f"{m['staff_hours']:,.0f} more agent hours on duty (the late shift staying on)")
        hours = deltas.get("agent_hours")
        if hours is not None:
            parts.append(
                _change(hours, "agent hours spent handling contacts", base.get("agent_hours", {}).get("mean"), 1)
            )
        paragraphs.append(f"With {w.described}, over {days}: " + "; ".join(parts) + ".")
        paragraphs.append(
            f"The same simulated customers met both ({reps} replications; flowkit compare with --replications 20 "
            "narrows the intervals). The returns and the turn to e-mail are the log's observed shares, not proven "
            "causes; a pilot (the line open late for a few weeks) would confirm them."
        )
        rows = [
            {
                "kpi": k,
                "today": base.get(k, {}).get("mean"),
                "change": d["mean"],
                "ci_low": d["ci95_low"],
                "ci_high": d["ci95_high"],
            }
            for k, d in deltas.items()
        ]
        path = out / "hours_whatif.csv"
        t = table_file(pd.DataFrame(rows), path, index=False)
        t.update(name="hours_whatif", caption=f"The line open later against today, over {days} (95% CIs)")
        tables.append(t)
        files["hours_whatif"] = path
    return {
        "id": "hours-whatif",
        "title": "Opening later: the what-if",
        "paragraphs": paragraphs,
        "figures": [],
        "tables": tables,
        "_files": files,
    }
