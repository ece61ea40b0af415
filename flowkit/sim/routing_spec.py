"""Who should answer: the scenario's routing keys (contract and frozen model), apart from the model.

``routing:`` chooses the policy beside longest-idle, the customers' segments and what a match of
agent profile and segment changes; a team's ``profile`` and ``types`` (the demand types it serves,
most urgent first) are the agent side. Kept out of :mod:`flowkit.sim.scenario_file` and
:mod:`flowkit.sim.scenario` (which only hook it in) so routing is one idea in one place.

- ``longest_idle``: today's rule (a team's ``types`` still limit what it may take);
- ``skills``: a contact goes to the idle agent for whom its type ranks highest in ``types``
  (longest idle among equals); a free agent takes its most urgent type first, oldest first;
- ``matching``: for ``wait_limit_s`` a contact waits for an agent whose profile matches its
  segment (a pair under ``matches``); after that any agent who serves it may take it
  (``never``: it waits for a match). Contacts whose segment no agent on the staff matches, and
  customers with no segment, go to any agent at once. ``wait_limit_s: 0`` is longest-idle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from flowkit.contract import Contract, explained
from flowkit.schema import FAILURE_TYPES

if TYPE_CHECKING:
    from flowkit.sim.scenario import Scenario

__all__ = ["POLICIES", "MatchSpec", "Routing", "RoutingFile", "routing_from_file", "routing_problems"]

POLICIES = ("longest_idle", "skills", "matching")
_Name = Annotated[str, Field(min_length=1, max_length=200)]
_Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False, description="a share of customers, 0 to 1")]
_Factor = Annotated[float, Field(gt=0.0, le=100.0, allow_inf_nan=False, description="a multiplier, > 0")]
_Add = Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False, description="added to resolve_p, -1 to 1")]
_Limit = Annotated[
    Annotated[float, Field(ge=0.0, le=365 * 86400, allow_inf_nan=False)] | Literal["never"],
    explained("must be seconds (0 to a year) or never, got {got}"),
]


class MatchFile(Contract):
    profile: _Name
    segment: _Name
    handle_factor: _Factor = 1.0
    resolve_p_add: _Add = 0.0


class RoutingFile(Contract):
    """Who answers: the policy, the customers' segments and what a match changes."""

    policy: Annotated[
        Literal[POLICIES],  # type: ignore[valid-type]
        explained(f"{{got}} is not a routing policy; use one of {', '.join(POLICIES)}"),
    ] = Field("longest_idle", description="longest_idle, skills (types in priority order) or matching")
    segments: dict[_Name, _Share] = Field(
        default_factory=dict, max_length=1_000, description="segment -> share of customers (the rest: no segment)"
    )
    wait_limit_s: _Limit = Field(60.0, description="matching: seconds a contact waits for a match, or never")
    matches: list[MatchFile] = Field(
        default_factory=list, max_length=10_000, description="agent profile x customer segment pairs that match"
    )

    @model_validator(mode="after")
    def _consistent(self) -> RoutingFile:
        total = sum(self.segments.values())
        if total > 1 + 1e-9:
            raise ValueError(f"segment shares add up to {total:g}; at most 1 (the rest have no segment)")
        seen = set()
        for i, m in enumerate(self.matches):
            if m.segment not in self.segments:
                raise ValueError(
                    f"matches[{i}]: segment {m.segment!r} is not under segments ({', '.join(self.segments) or 'none'})"
                )
            if (m.profile, m.segment) in seen:
                raise ValueError(f"matches[{i}]: {m.profile!r} x {m.segment!r} is given twice")
            seen.add((m.profile, m.segment))
        if self.policy == "matching" and not self.matches:
            raise ValueError("policy matching needs matches (agent profile x customer segment pairs)")
        return self


@dataclass(frozen=True)
class MatchSpec:
    handle_factor: float = 1.0
    resolve_p_add: float = 0.0


@dataclass(frozen=True)
class Routing:
    policy: str = "longest_idle"
    segments: tuple[tuple[str, float], ...] = ()  # (segment, share), in the file's order
    wait_limit_s: float = 60.0  # inf: never
    matches: tuple[tuple[tuple[str, str], MatchSpec], ...] = ()  # ((profile, segment), modifiers)

    def match(self, profile: str | None, segment: str | None) -> MatchSpec | None:
        for key, spec in self.matches:
            if key == (profile, segment):
                return spec
        return None


def routing_from_file(r: RoutingFile | None) -> Routing | None:
    if r is None:
        return None
    return Routing(
        policy=r.policy,
        segments=tuple(r.segments.items()),
        wait_limit_s=math.inf if r.wait_limit_s == "never" else float(r.wait_limit_s),
        matches=tuple(((m.profile, m.segment), MatchSpec(m.handle_factor, m.resolve_p_add)) for m in r.matches),
    )


def routing_problems(sc: Scenario) -> list[tuple[str, str]]:
    """(key, message) for what relates routing to the rest of the scenario: a match names a
    profile no team has; a team's ``types`` names a type no stream has (a typo would leave the
    type to every team: a type no team on its channel lists goes to any of them)."""
    out = []
    profiles = {t.profile for t in sc.agents if t.profile}
    r = sc.routing
    if r is not None:
        for i, ((profile, _), _) in enumerate(r.matches):
            if profile not in profiles:
                out.append(
                    (
                        f"routing.matches[{i}].profile",
                        f"{profile!r} is not the profile of any team ({', '.join(sorted(profiles)) or 'none given'}); "
                        "give a team profile: ...",
                    )
                )
    known = {s.type for s in sc.demand} | set(FAILURE_TYPES)
    for i, t in enumerate(sc.agents):
        for ty in t.types:
            if ty not in known:
                out.append(
                    (
                        f"agents[{i}].types",
                        f"{ty!r} is not the type of any demand stream (nor a failure type): "
                        f"{', '.join(sorted({s.type for s in sc.demand}))}",
                    )
                )
    return out
