"""Simulate the service centre: scenarios, the SimPy model, replications, and queueing theory."""

from flowkit.sim.run import HEADLINE_KPIS, SimulationResult, simulate
from flowkit.sim.scenario import Scenario, load_scenario, scenario_from_dict
from flowkit.sim.theory import agents_for_service_level, erlang_a, erlang_b, erlang_c

__all__ = [
    "HEADLINE_KPIS",
    "Scenario",
    "SimulationResult",
    "agents_for_service_level",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "load_scenario",
    "scenario_from_dict",
    "simulate",
]
