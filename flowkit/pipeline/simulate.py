"""Calibrate a baseline and check it against its log; load what-ifs and their base's fit notice.

A what-if is only as good as its baseline: every comparison starts with whether the base
scenario reproduced its log (``fit_warning``), and says so in the text and in the JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from flowkit.pipeline.prepare import Progress, _quiet


@dataclass
class CalibrationRun:
    """The calibration (scenario, notes, log figures) and, when checked, the fit to the log."""

    calibration: Any  # flowkit.sim.calibrate.Calibration
    fit: Any = None  # flowkit.sim.fit.ModelFit, None with fit=False


def calibrate_and_check(
    table: pd.DataFrame,
    *,
    fit: bool = True,
    workers: int | None = None,
    progress: Progress = _quiet,
    **options: Any,
) -> CalibrationRun:
    """Calibrate a scenario from ``table`` (``options`` go to :func:`flowkit.sim.calibrate.calibrate`)
    and, with ``fit``, simulate it and hold it against the part of the log it models; the fit is
    recorded in the scenario document (``doc["fit"]``) so what-ifs can say whether it held."""
    from flowkit.sim.calibrate import calibrate

    progress("estimating")
    cal = calibrate(table, **options)
    if not fit:
        return CalibrationRun(cal)
    progress("simulating the baseline to check it against the log")
    return CalibrationRun(cal, check_fit(table, cal, workers))


def report_baseline(classified: pd.DataFrame, name: str, replications: int, **options: Any) -> Any:
    """A baseline calibrated for a report's what-ifs: 14 days simulated, and a channel whose handling the
    log never times (the samples' web forms) left out - the report says so - rather than given another
    channel's handle times. ``options`` go to :func:`flowkit.sim.calibrate.calibrate`."""
    from flowkit.sim.calibrate import calibrate, untimed_channels

    return calibrate(
        classified,
        name=name,
        replications=replications,
        horizon_hours=14 * 24,
        leave_out=tuple(untimed_channels(classified)),
        **options,
    )


def check_fit(table: pd.DataFrame, cal: Any, workers: int | None = None) -> Any:
    """Simulate the calibrated baseline, hold it against the part of the log it models, and record
    the fit in the scenario document (``doc["fit"]``), so what-ifs can say whether it held."""
    from flowkit.sim.calibrate import without_left_out
    from flowkit.sim.fit import model_fit

    result = model_fit(
        without_left_out(table, cal), cal.scenario, workers=workers, real_occupancy=cal.log_figures.get("occupancy")
    )
    cal.doc["fit"] = result.metadata()
    return result


def baseline_fit(scenario: Any, notice: str | None) -> dict:
    """The JSON block compare and experiment carry: did the base reproduce its log, and the warning."""
    return {"reproduces_log": bool(scenario.fit.get("reproduces")) if scenario.fit else None, "warning": notice}


@dataclass
class CompareRun:
    """A comparison of what-ifs with their base, and what to say first about the base's fit."""

    base: Any  # Scenario
    comparison: Any  # flowkit.sim.compare.Comparison
    notice: str | None

    def to_json_dict(self) -> dict:
        doc = self.comparison.to_json_dict()
        doc["baseline_fit"] = baseline_fit(self.base, self.notice)
        return doc


def load_variants(paths: Sequence[Path]) -> dict:
    """Scenarios by name; a second scenario with a name already taken goes by its path."""
    from flowkit.sim import load_scenario

    variants: dict = {}
    for path in paths:
        sc = load_scenario(path)
        variants[sc.name if sc.name not in variants else str(path)] = sc
    return variants


def compare_files(
    base: Path,
    variants: Sequence[Path],
    replications: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    min_effect: float = 0.02,
    progress: Progress = _quiet,
    on_notice: Callable[[str], None] = _quiet,
) -> CompareRun:
    """Load the base and the variants and compare them (paired differences, 95% CIs).

    ``on_notice`` hears the base's fit warning before the (long) runs start."""
    from flowkit.sim import load_scenario
    from flowkit.sim.compare import compare
    from flowkit.sim.fit import fit_warning

    b = load_scenario(base)
    vs = load_variants(variants)
    notice = fit_warning(b)
    if notice:
        on_notice(notice)
    result = compare(b, vs, replications, workers, scheduler, progress=progress, min_effect=min_effect)
    return CompareRun(b, result, notice)


def write_simulation(result: Any, out: Path) -> Path:
    """Write a simulation's per-replication KPIs (kpis.csv) and simulated log (contacts.parquet)
    into ``out``, holding its folder lock and writing each file atomically."""
    from flowkit.outlock import output_lock
    from flowkit.safewrite import write_csv
    from flowkit.store import write_table

    with output_lock(out) as folder:
        write_csv(result.per_replication, folder / "kpis.csv", index=True)
        write_table(result.log, folder / "contacts.parquet")
    return Path(out)
