"""The orchestration the CLI and notebooks share: each step's library calls, in order, returning data.

Nothing here prints or exits; progress goes to an optional ``progress(message)`` callback.
- :mod:`.prepare`: read any contact source; stitch cases and classify when not done yet.
- :mod:`.ingest`: ingest exports and write the table, quarantine and repaired cells.
- :mod:`.classify`: classify with optional rules, reason map, model training and the evaluate protocol.
- :mod:`.simulate`: calibrate and check the fit; compare and experiment with the base's fit notice.
- :mod:`.demo`: the whole pipeline on the bundled samples, simulation section included.
"""

from flowkit.pipeline.classify import ClassifyRun, classify_and_evaluate
from flowkit.pipeline.demo import DemoRun, run_demo, simulate_for_report
from flowkit.pipeline.ingest import IngestWritten, ingest_to
from flowkit.pipeline.prepare import ensure_cases, prepare
from flowkit.pipeline.simulate import CalibrationRun, CompareRun, calibrate_and_check, compare_files, write_simulation

__all__ = [
    "CalibrationRun",
    "ClassifyRun",
    "CompareRun",
    "DemoRun",
    "IngestWritten",
    "calibrate_and_check",
    "classify_and_evaluate",
    "compare_files",
    "ensure_cases",
    "ingest_to",
    "prepare",
    "run_demo",
    "simulate_for_report",
    "write_simulation",
]
