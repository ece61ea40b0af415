"""A synthetic service organisation with a known ground truth (samples, tests, benchmarks)."""

from flowkit.synth.exports import ExportSet, write_exports, write_single_csv
from flowkit.synth.generate import TRUTH_COLUMNS, Organisation, generate

__all__ = ["TRUTH_COLUMNS", "ExportSet", "Organisation", "generate", "write_exports", "write_single_csv"]
