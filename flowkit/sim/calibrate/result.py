"""The calibration's result, and the scenario YAML it writes with comments saying where each number came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from flowkit.safewrite import write_text
from flowkit.sim.calibrate.period import Period
from flowkit.sim.scenario import Scenario

#: the scenario's sections in the order written; from ``replications`` on, each is followed by a
#: blank line (the header keys above it stay together, and ``demand`` ends the file)
_ORDER = (
    "name",
    "seed",
    "horizon_hours",
    "warmup_hours",
    "replications",
    "fit",
    "open_hours",
    "closed",
    "ivr",
    "patience",
    "redial",
    "recontact",
    "agents",
    "data_fields",
    "demand",
)
_BLANK_AFTER = frozenset(_ORDER[_ORDER.index("replications") : -1])


@dataclass
class Calibration:
    doc: dict  # the scenario as YAML-ready data
    scenario: Scenario  # ... and as the model reads it
    notes: dict[str, str] = field(default_factory=dict)  # section -> where it came from
    log_figures: dict[str, float] = field(default_factory=dict)  # measured on the log: occupancy, shrinkage, ...
    left_out: tuple[str, ...] = ()  # channels not simulated (``calibrate(leave_out=...)``)
    period: Period | None = None  # the days the log covers in full, the ones calibrated from

    def to_yaml(self) -> str:
        return write_scenario(self)


def write_scenario(cal: Calibration) -> str:
    """The scenario as commented YAML a consultant can read and edit."""
    lines = [
        "# Scenario calibrated by flowkit from a contact log. Edit freely: every number below is",
        "# an estimate, and the comments say where it came from.",
        f"# Log: {cal.notes.get('period', '')}",
    ]
    for key in ("left_out", "customers", "arrivals", "occupancy", "after_call_work"):
        if key in cal.notes:
            lines.append(f"# {key}: {cal.notes[key]}")
    lines.append("")
    for key in _ORDER:
        if key not in cal.doc:
            continue
        if key in cal.notes:
            lines.append(f"# {key}: {cal.notes[key]}")
        value = cal.doc[key]
        flow = None if isinstance(value, (dict, list)) else False  # scalars as `key: value`
        dumped = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, default_flow_style=flow, width=120)
        lines.append(dumped.rstrip())
        if key in _BLANK_AFTER:
            lines.append("")
    return "\n".join(lines) + "\n"


def save(cal: Calibration, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, cal.to_yaml())
    return path
