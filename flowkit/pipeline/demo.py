"""The whole pipeline on the bundled samples: ingest, cases, classify, calibrate, fit, data value, report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from flowkit.errors import FlowkitError
from flowkit.pipeline.prepare import Progress, _quiet


@dataclass
class DemoRun:
    """What the demo produced: the ingest ledger, the stitched cases and the report."""

    ingest: Any  # IngestResult
    cases: pd.DataFrame
    report: Any  # flowkit.report.Report


def run_demo(out: Path, progress: Progress = _quiet, samples: Path | None = None) -> DemoRun:
    """Ingest the bundled samples (or ``samples``, a folder laid out like them), stitch, classify,
    simulate and write the report to ``out``."""
    from flowkit.cases import stitch
    from flowkit.classify import classify
    from flowkit.ingest import ingest_manifest
    from flowkit.report import build_report
    from flowkit.samples import path as bundled_samples
    from flowkit.store import quarantine_path, write_table

    manifest = (samples or bundled_samples()) / "manifest.yaml"
    if not manifest.is_file():
        raise FlowkitError(f"{manifest}: no manifest.yaml in the samples folder given")
    progress(f"ingesting the bundled samples ({manifest})")
    result = ingest_manifest(manifest)
    out.mkdir(parents=True, exist_ok=True)
    result.quarantine.to_csv(quarantine_path(out / "contacts.parquet"), index=False)
    progress("stitching cases")
    stitched = stitch(result.contacts)
    progress("classifying demand")
    classified = classify(stitched.contacts).contacts
    write_table(classified, out / "contacts.parquet")
    section = simulate_for_report(classified, out, progress=progress)
    report = build_report(
        classified,
        out,
        title="Vistula Connect: demand and flow (bundled samples)",
        progress=progress,
        extra_sections=[section],
    )
    return DemoRun(result, stitched.cases, report)


def simulate_for_report(
    classified: pd.DataFrame, out: Path, replications: int = 4, progress: Progress = _quiet
) -> dict:
    """Calibrate, check the fit and run the data-value experiment for the report's simulation section."""
    from flowkit.report.simulation import simulation_section
    from flowkit.sim.calibrate import calibrate, save, untimed_channels, without_left_out
    from flowkit.sim.experiment import data_value
    from flowkit.sim.fit import model_fit

    progress("calibrating a baseline scenario from the log")
    # a channel whose handling the log never times (the samples' web forms) cannot be simulated:
    # it is left out, and the report says so, rather than given another channel's handle times
    cal = calibrate(
        classified,
        name="baseline",
        replications=replications,
        horizon_hours=14 * 24,
        leave_out=tuple(untimed_channels(classified)),
    )
    save(cal, out / "scenario.yaml")
    progress("checking the baseline against the log")
    fit = model_fit(without_left_out(classified, cal), cal.scenario, replications=replications)
    if "left_out" in cal.notes:
        fit.sentences.insert(1, f"Channels {cal.notes['left_out']}: the log records no handle time for them.")
    progress("running the data-value experiment")
    experiment = data_value(cal.scenario, replications=replications, progress=lambda name: progress(f"  {name}"))
    return simulation_section(fit, experiment, out)
