"""Report to managers: a self-contained HTML page with charts, plus PNGs and CSV tables."""

from flowkit.privacy import mask_pii, pseudonymise
from flowkit.report.html import Report, build_report

__all__ = ["Report", "build_report", "mask_pii", "pseudonymise"]
