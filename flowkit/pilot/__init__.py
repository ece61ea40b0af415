"""A/B pilots of a data field: design (power, randomisation) and analysis (cluster-robust)."""

from flowkit.pilot.analyse import PilotResult, analyse_pilot, balance, srm_test
from flowkit.pilot.design import PilotPlan, assignment, design_effect, design_pilot, icc_oneway, write_plan

__all__ = ["PilotPlan", "design_pilot", "assignment", "icc_oneway", "design_effect", "write_plan", "PilotResult", "analyse_pilot",
           "balance", "srm_test"]
