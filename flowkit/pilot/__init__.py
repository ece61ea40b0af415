"""A/B pilots of a data field: design (power, randomisation) and analysis (cluster-robust)."""

from flowkit.pilot.analyse import PilotResult, analyse_pilot, balance, srm_test
from flowkit.pilot.design import PilotPlan, assignment, design_effect, design_pilot, icc_oneway, write_plan

__all__ = [
    "PilotPlan",
    "PilotResult",
    "analyse_pilot",
    "assignment",
    "balance",
    "design_effect",
    "design_pilot",
    "icc_oneway",
    "srm_test",
    "write_plan",
]
