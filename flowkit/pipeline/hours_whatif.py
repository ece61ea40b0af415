"""The opening-hours what-if (issue 16, question 3), calibrated from the log, shared by the demo and notebooks.

The log says how callers who met the closed phone line behaved: how many called again in the
first hours after it opened (the morning storm) and how many turned to another channel. The
baseline is calibrated with those shares (and with those returns taken out of the logged morning,
where the log holds them already); the what-if keeps the line open until ``until`` on weekdays,
with the agents of the late shift staying on, and meets the same simulated customers. It says how
many calls no longer meet a closed line, how much smaller the first hour after opening gets (on
Mondays too), how many contacts no longer go elsewhere, and what it costs in agent hours - each
with its 95% interval over the replications.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from flowkit.pipeline.prepare import Progress, _quiet

__all__ = ["HoursWhatIf", "evening_variant", "hours_whatif_for_report", "opening_hours_whatif"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class HoursWhatIf:
    """The comparison (None when it could not be run: ``missing`` says why) and what it took from the log."""

    comparison: Any = None  # flowkit.sim.compare.Comparison
    base: Any = None  # the calibrated Scenario with the closed line's behaviour from the log
    measured: dict[str, float] = field(default_factory=dict)
    described: str = ""
    missing: str = ""
    fit: list[str] = field(default_factory=list)  # the baseline held against the log: verdict, then what is off


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def evening_variant(doc: dict, channel: str = "phone", until: str = "20:00") -> tuple[dict, str, float] | None:
    """``doc`` (a calibrated scenario document) with ``channel`` open until ``until`` Monday to Friday:
    the agents on the team's shift an hour before each weekday's closing stay on until then. Also
    says it in words, and how many agent hours on duty a week that adds. None when the line already
    stays open that late, or the document is not one calibration wrote."""
    from flowkit.sim.calibrate.profiles import _open_hours
    from flowkit.sim.scenario_file import open_intervals

    hours = doc.get("open_hours", {}).get(channel)
    teams = [t for t in doc.get("agents", []) if channel in t.get("channels", []) and "shifts" in t]
    if hours is None or len(teams) != 1:
        return None
    team_i = doc["agents"].index(teams[0])
    grid = np.zeros((7, 48), dtype=bool)
    for a, b in open_intervals(hours):
        grid.reshape(-1)[int(a // 1800) : int(np.ceil(b / 1800))] = True
    end_slot = _minutes(until) // 30
    out = copy.deepcopy(doc)
    shifts = out["agents"][team_i]["shifts"]
    added, stays = [], []
    paid = 0.0
    for d in range(5):
        day = _DAYS[d]
        mine = [s for s in shifts if s["days"] == day]
        if not mine or not grid[d].any():
            continue
        close = int(np.flatnonzero(grid[d]).max()) + 1
        if close >= end_slot:
            continue
        hour_before = (close - 2) * 30
        on = [s for s in mine if _minutes(s["start"]) <= hour_before < _minutes(s["end"])]
        count = max((int(s["count"]) for s in on), default=0) or max(int(s["count"]) for s in mine)
        start = f"{close * 30 // 60:02d}:{close * 30 % 60:02d}"
        added.append({"days": day, "start": start, "end": until, "count": count})
        paid += count * (end_slot - close) / 2
        grid[d, close:end_slot] = True
        stays.append(count)
    if not added:
        return None
    shifts.extend(added)
    out["open_hours"][channel] = _open_hours(grid.astype(float))
    out["name"] = f"{channel} open to {until}"
    words = (
        f"the {channel} line open until {until} on weekdays, the late shift's "
        f"{min(stays)}{'' if min(stays) == max(stays) else f' to {max(stays)}'} agents staying on"
    )
    return out, words, paid


def opening_hours_whatif(
    classified: pd.DataFrame,
    closed: Any,
    replications: int = 4,
    workers: int | None = None,
    until: str = "20:00",
    progress: Progress = _quiet,
) -> HoursWhatIf:
    """Calibrate a baseline with the closed line's behaviour the log shows (``closed``: a
    :class:`flowkit.analyse.hours.ClosedLine`) and compare it with the line open until ``until``."""
    from flowkit.pipeline.simulate import report_baseline
    from flowkit.sim.calibrate import untimed_channels, without_left_out
    from flowkit.sim.compare import compare
    from flowkit.sim.fit import model_fit
    from flowkit.sim.scenario import scenario_from_dict

    red = closed.redials
    row = red[red["channel"].eq("phone")] if len(red) else red
    if not len(row):
        return HoursWhatIf(missing="the log shows no phone calls to a closed line")
    r = row.iloc[0]
    if r["verdict"] != "measured":
        return HoursWhatIf(missing=f"what callers do after a closed line: {r['verdict']}")
    attempts = max(int(r["identified_attempts"]), 1)
    measured = {
        "return_p": round(int(r["redialled"]) / attempts, 4),
        "elsewhere_p": round(int(r["went_elsewhere"]) / attempts, 4),
        "within_hours": float(r["within_hours"]),
        "attempts": float(r["attempts_closed"]),
    }
    modelled = set(classified["channel"].astype(str).unique()) - set(untimed_channels(classified))
    elsewhere = "email" if "email" in modelled else None
    progress("the opening-hours what-if: a baseline with the closed line's behaviour from the log")
    cal = report_baseline(
        classified,
        "opening hours today",
        replications,
        closed_return_p=measured["return_p"],
        closed_within_hours=measured["within_hours"],
        closed_elsewhere_p=measured["elsewhere_p"] if elsewhere else 0.0,
        closed_elsewhere_channel=elsewhere,
    )
    progress("  checking that baseline against the log")
    checked = model_fit(without_left_out(classified, cal), cal.scenario, replications, workers)
    fit = [checked.sentences[0]] + [line for line in checked.sentences[1:] if "DOES NOT" in line]
    made = evening_variant(cal.doc, "phone", until)
    if made is None:
        return HoursWhatIf(
            base=cal.scenario, measured=measured, missing=f"the phone line already opens until {until}", fit=fit
        )
    doc, words, paid_per_week = made
    variant = scenario_from_dict(doc, f"{cal.scenario.name}: {words}")
    comp = compare(cal.scenario, {doc["name"]: variant}, replications, workers, progress=lambda n: progress(f"  {n}"))
    measured["staff_hours"] = paid_per_week * cal.scenario.horizon_hours / (7 * 24)
    return HoursWhatIf(comp, cal.scenario, measured, words, fit=fit)


def hours_whatif_for_report(
    classified: pd.DataFrame, out: Any, replications: int = 4, progress: Progress = _quiet
) -> dict:
    """The report's opening-hours what-if section, from the classified log (hours read from it)."""
    from flowkit.analyse.hours import closed_line
    from flowkit.report.hours_sim import hours_whatif_section

    w = opening_hours_whatif(classified, closed_line(classified), replications, progress=progress)
    return hours_whatif_section(w, out)
