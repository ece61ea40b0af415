"""Report to managers: a self-contained HTML page with charts, plus PNGs and CSV tables."""

from flowkit.report.html import Report, build_report
from flowkit.report.privacy import mask_pii, pseudonymise

__all__ = ["Report", "build_report", "mask_pii", "pseudonymise"]
