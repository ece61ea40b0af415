"""The whole pipeline on the bundled samples: ingest, cases, classify, calibrate, fit, data value, report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from flowkit.errors import FlowkitError
from flowkit.pipeline.prepare import Progress, _quiet
from flowkit.privacy import Privacy, privacy_for


@dataclass
class DemoRun:
    """What the demo produced: the ingest ledger, the stitched cases, the report and the quarantine file."""

    ingest: Any  # IngestResult
    cases: pd.DataFrame
    report: Any  # flowkit.report.Report
    quarantine: Path


def run_demo(
    out: Path, progress: Progress = _quiet, samples: Path | None = None, privacy: Privacy | None = None
) -> DemoRun:
    """Ingest the bundled samples (or ``samples``, a folder laid out like them), stitch, classify,
    simulate and write the report to ``out``.

    The run holds ``out``'s folder lock throughout; customer ids are pseudonymised with the
    folder's own key unless ``privacy`` says otherwise (the quarantine alone keeps raw rows, 0600).
    """
    from flowkit.ingest import ingest_manifest
    from flowkit.outlock import output_lock
    from flowkit.samples import path as bundled_samples

    manifest = (samples or bundled_samples()) / "manifest.yaml"
    if not manifest.is_file():
        raise FlowkitError(f"{manifest}: no manifest.yaml in the samples folder given")
    progress(f"ingesting the bundled samples ({manifest})")
    result = ingest_manifest(manifest)
    with output_lock(out):
        return _write_demo(result, out, progress, privacy or privacy_for(out))


def _write_demo(result: Any, out: Path, progress: Progress, privacy: Privacy) -> DemoRun:
    from flowkit.cases import stitch
    from flowkit.classify import classify
    from flowkit.pipeline.hours_whatif import hours_whatif_for_report
    from flowkit.pipeline.managers import managers_for_report
    from flowkit.report import build_report
    from flowkit.store import quarantine_path, write_quarantine, write_table

    write_quarantine(result.quarantine, quarantine_path(out / "contacts.parquet"))
    progress("stitching cases")
    stitched = stitch(result.contacts)
    progress("classifying demand")
    classified = classify(stitched.contacts).contacts
    write_table(classified, out / "contacts.parquet", privacy)
    section = simulate_for_report(classified, out, progress=progress)
    whatif = managers_for_report(classified, out, progress=progress)  # issue 16, q1 and q4
    opening = hours_whatif_for_report(classified, out, progress=progress)  # issue 16, q3
    report = build_report(
        classified,
        out,
        title="Vistula Connect: demand and flow (bundled samples)",
        privacy=privacy,
        progress=progress,
        extra_sections=[section, whatif, opening],
    )
    return DemoRun(result, stitched.cases, report, quarantine_path(out / "contacts.parquet"))


def simulate_for_report(
    classified: pd.DataFrame, out: Path, replications: int = 4, progress: Progress = _quiet
) -> dict:
    """Calibrate, check the fit and run the data-value experiment for the report's simulation section."""
    from flowkit.pipeline.simulate import report_baseline
    from flowkit.report.simulation import simulation_section
    from flowkit.sim.calibrate import save, without_left_out
    from flowkit.sim.experiment import data_value
    from flowkit.sim.fit import model_fit

    progress("calibrating a baseline scenario from the log")
    cal = report_baseline(classified, "baseline", replications)
    save(cal, out / "scenario.yaml")
    progress("checking the baseline against the log")
    fit = model_fit(without_left_out(classified, cal), cal.scenario, replications=replications)
    if "left_out" in cal.notes:
        fit.sentences.insert(1, f"Channels {cal.notes['left_out']}: the log records no handle time for them.")
    progress("running the data-value experiment")
    experiment = data_value(cal.scenario, replications=replications, progress=lambda name: progress(f"  {name}"))
    return simulation_section(fit, experiment, out)
