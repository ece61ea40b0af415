"""Offered load against capacity, before any simulation: is the centre able to keep up at all?

A scenario whose work exceeds its agents' hours has no steady state: queues (or, with
impatient callers, abandonment) grow with the horizon, and every KPI then depends on how long
one simulates. The estimate is the week's average, per group of teams that share channels:
offered load in Erlangs = sum over streams of arrivals per second x mean handle time, with
the failure loop's returns (gain x gives 1/(1-x) contacts per first contact), hand-offs and
callbacks added, and abandonment ignored; capacity = mean agents on shift over the week.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowkit.sim.customer_keys import handoff_extra_s
from flowkit.sim.scenario import Scenario, Team

__all__ = ["LoadCheck", "load_checks", "load_warnings"]

WEEK_H = 168.0


@dataclass(frozen=True)
class LoadCheck:
    channels: tuple[str, ...]  # the channels (and "handoff") a group of teams serves
    teams: tuple[str, ...]
    offered_erlangs: float
    capacity_agents: float

    @property
    def rho(self) -> float:
        return self.offered_erlangs / self.capacity_agents if self.capacity_agents else float("inf")


def _mean_agents(team: Team) -> float:
    hours = team.count * WEEK_H + sum(s.count * (s.end_s - s.start_s) / 3600.0 * len(s.days) for s in team.shifts)
    return hours / WEEK_H


def load_checks(sc: Scenario) -> list[LoadCheck]:
    """Offered load and capacity per connected group of teams and channels."""
    load: dict[str, float] = {}
    rc = sc.recontact
    for s in sc.demand:
        lam = s.mean_rate_per_hour() / 3600.0
        avail = [f for f in s.needs if sc.data_fields[f].available]
        factor = 1.0
        for f in avail:
            factor *= sc.data_fields[f].handle_factor
        p = min(1.0, max(0.0, s.resolve_p + sum(sc.data_fields[f].resolve_p_add for f in avail)))
        u = 1.0 - p
        x = min(u * (rc.p if rc else 0.0), 0.99)
        contacts = lam / (1.0 - x)
        handle = s.handle.mean_s * factor
        returns = contacts - lam
        work = lam * handle + returns * handle * (rc.handle_factor if rc else 1.0)
        after = contacts * u
        if sc.handoff:
            load["handoff"] = load.get("handoff", 0.0) + after * sc.handoff.p * (
                sc.handoff.handle.mean_s + handoff_extra_s(sc)
            )
            after *= 1.0 - sc.handoff.p
        if sc.callback:
            work += after * sc.callback.p_promised * sc.callback.p_made * handle
        load[s.channel] = load.get(s.channel, 0.0) + work

    # groups: teams joined by the channels they share
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        while parent.setdefault(a, a) != a:
            a = parent[a]
        return a

    handoff_team = sc.handoff.team if sc.handoff else None
    for t in sc.agents:
        nodes = [f"team:{t.team}", *t.channels] + (["handoff"] if t.team == handoff_team else [])
        for n in nodes[1:]:
            parent[find(n)] = find(nodes[0])
    groups: dict[str, dict] = {}
    for t in sc.agents:
        g = groups.setdefault(find(f"team:{t.team}"), {"teams": [], "channels": set(), "agents": 0.0})
        g["teams"].append(t.team)
        g["agents"] += _mean_agents(t)
    for ch in load:
        if ch in parent:
            groups[find(ch)]["channels"].add(ch)
    return [
        LoadCheck(
            tuple(sorted(g["channels"])), tuple(g["teams"]), sum(load.get(ch, 0.0) for ch in g["channels"]), g["agents"]
        )
        for g in groups.values()
        if g["channels"]
    ]


def load_warnings(sc: Scenario) -> list[str]:
    """A plain warning for every group whose offered load is at or above its capacity (rho >= 1)."""
    out = []
    for c in load_checks(sc):
        if c.rho >= 1.0:
            out.append(
                f"offered load {c.offered_erlangs:.1f} Erlangs on {', '.join(c.channels)} is at or above the "
                f"capacity of {c.capacity_agents:.1f} agents on average over the week (rho = {c.rho:.2f}; teams "
                f"{', '.join(c.teams)}): queues grow with the horizon unless callers give up, so KPIs depend "
                f"on how long you simulate"
            )
    return out
