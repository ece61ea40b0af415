"""Scenario files: one service centre, loaded into the frozen dataclasses the model runs.

The file's shape, types and bounds are declared once in :mod:`flowkit.sim.scenario_file`
(pydantic); what is left here are the checks that relate one part of the file to another (a
demand stream no team serves, a hand-off to a team that does not exist). Every mistake is a
ScenarioError naming the file and the key, so a typo never silently changes a what-if.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from flowkit.contract import check
from flowkit.errors import ScenarioError
from flowkit.sim import scenario_file as f
from flowkit.sim.clock import Dist, OpenHours
from flowkit.sim.customer_keys import Leaving, Retelling, TellUsOnce, customer_keys, reference_errors
from flowkit.sim.routing_spec import Routing, routing_from_file, routing_problems
from flowkit.sim.scenario_file import DAYS, ScenarioFile, day_span, minutes
from flowkit.sim.streams import stream_key
from flowkit.yamlfile import load_yaml

if TYPE_CHECKING:
    from flowkit.sim.windows import ClosedElsewhere, ContactWindows

__all__ = [
    "DAYS",
    "LIVE_CHANNELS",
    "Callback",
    "DataField",
    "DemandStream",
    "Dist",
    "Handoff",
    "Ivr",
    "OpenHours",
    "Recontact",
    "Redial",
    "Scenario",
    "Shift",
    "Team",
    "load_scenario",
    "scenario_from_dict",
]

LIVE_CHANNELS = ("phone", "chat", "visit")


@dataclass(frozen=True)
class Shift:
    days: tuple[int, ...]
    start_s: float
    end_s: float
    count: int


@dataclass(frozen=True)
class Team:
    team: str
    channels: tuple[str, ...]
    count: int = 0
    shifts: tuple[Shift, ...] = ()
    priority: tuple[str, ...] | str | None = None  # None: the scenario's priority
    deferred_reserve: int | None = None  # None: the scenario's
    interrupt_deferred: bool | None = None  # None: the scenario's
    profile: str | None = None  # for routing: matching
    types: tuple[str, ...] = ()  # demand types it takes, most urgent first; () = all


@dataclass(frozen=True)
class DemandStream:
    type: str
    demand: str
    channel: str
    handle: Dist
    rate_per_hour: float = 0.0
    profile_per_hour: tuple[float, ...] = ()  # 24 hourly or 48 half-hourly values (rates per hour)
    by_weekday: tuple[tuple[float, ...], ...] = ()  # 7 x (24 or 48) values, Mon first
    resolve_p: float = 1.0
    failure_type: str | None = None
    needs: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The name this stream's random numbers are keyed by (see :mod:`flowkit.sim.streams`)."""
        return stream_key(self.type, self.channel)

    def rate_at(self, t: float) -> float:
        """Arrivals per second at simulated time t (t = 0 is Monday 00:00)."""
        if self.by_weekday:
            day = self.by_weekday[int(t // 86400) % 7]
            return day[int(t % 86400 // (86400 / len(day)))] / 3600.0
        if self.profile_per_hour:
            return self.profile_per_hour[int(t % 86400 // (86400 / len(self.profile_per_hour)))] / 3600.0
        return self.rate_per_hour / 3600.0

    def slot_s(self) -> float:
        """Length of one slot of the rate profile in seconds (an hour, or half an hour)."""
        profile = self.by_weekday[0] if self.by_weekday else self.profile_per_hour
        return 86400.0 / len(profile) if profile else 3600.0

    def mean_rate_per_hour(self) -> float:
        if self.by_weekday:
            return float(np.mean(self.by_weekday))
        if self.profile_per_hour:
            return float(np.mean(self.profile_per_hour))
        return self.rate_per_hour


@dataclass(frozen=True)
class Recontact:
    p: float
    delay: Dist
    as_type: str = "progress_chasing"
    handle_factor: float = 1.0
    #: (channel followed, ((channel the recontact comes in on, share), ...)), shares summing to 1
    channels: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()

    def channel_shares(self, channel: str) -> tuple[tuple[str, float], ...] | None:
        """Where a recontact after a contact on ``channel`` comes in (None: the same channel)."""
        return next((row for parent, row in self.channels if parent == channel), None)


@dataclass(frozen=True)
class Handoff:
    p: float
    team: str
    handle: Dist
    resolve_p: float = 1.0


@dataclass(frozen=True)
class Callback:
    """Callbacks promised to unresolved contacts; a missed one is chased (failure demand,
    progress chasing) with probability ``chase_p`` after ``chase_delay``."""

    p_promised: float
    p_made: float
    delay: Dist
    chase_p: float = 1.0
    chase_delay: Dist | None = None  # None: the callback's own delay


@dataclass(frozen=True)
class Redial:
    p: float
    delay: Dist


@dataclass(frozen=True)
class Ivr:
    delay_s: float = 0.0
    reauth_s: float = 0.0  # extra handle time when a hand-off makes the customer authenticate again
    exit_p: float = 0.0  # phone callers who hang up in the IVR, before queueing (abandoned, no wait)


@dataclass(frozen=True)
class DataField:
    available: bool
    handle_factor: float = 1.0
    resolve_p_add: float = 0.0
    handle_factor_se: float = 0.0  # > 0: an estimate; each replication draws its effect (flowkit.sim.uncertainty)
    resolve_p_add_se: float = 0.0


@dataclass(frozen=True)
class Scenario:
    name: str
    demand: tuple[DemandStream, ...]
    agents: tuple[Team, ...]
    seed: int = 1
    horizon_hours: float = 120.0
    warmup_hours: float | None = None  # None: long enough for the failure loop (flowkit.sim.warmup)
    replications: int = 20
    service_level_s: float = 20.0
    open_hours: dict[str, OpenHours] = field(default_factory=dict)
    closed_return_p: float = 0.0
    closed_return_within_hours: float = 1.0
    priority: tuple[str, ...] | str = ()  # () = real-time channels before deferred; "oldest" = FIFO
    priority_age_limit_hours: float | None = None  # deferred work older than this jumps the queue
    deferred_reserve: int = 0  # deferred work only while this many teammates stay idle
    interrupt_deferred: bool | None = None  # None: true unless priority is "oldest" (see model._Agent)
    switch_cost_s: float = 0.0  # added to a deferred item each time it is resumed
    patience: Dist | None = None
    redial: Redial | None = None
    ivr: Ivr = Ivr()
    recontact: Recontact | None = None
    handoff: Handoff | None = None
    callback: Callback | None = None
    data_fields: dict[str, DataField] = field(default_factory=dict)
    closed_elsewhere: ClosedElsewhere | None = None  # see flowkit.sim.windows
    contact_windows: ContactWindows | None = None
    routing: Routing | None = None  # None: longest idle (flowkit.sim.routing_spec)
    leaving: Leaving | None = None  # customers who leave after too many contacts (flowkit.sim.leaving)
    retelling: Retelling | None = None  # the story told again on hand-offs and channel switches
    tell_us_once: TellUsOnce | None = None  # the what-if that carries the context (flowkit.sim.context)
    fit: dict = field(default_factory=dict)  # metadata: how the baseline fitted its log (written by calibrate)
    origin: str = "scenario"

    def with_changes(self, **changes: Any) -> Scenario:
        return replace(self, **changes)


def load_scenario(path: str | Path) -> Scenario:
    return scenario_from_dict(load_yaml(path, ScenarioError, "scenario file"), str(path))


def scenario_from_dict(doc: Any, origin: str = "scenario") -> Scenario:
    """Check ``doc`` (parsed YAML) against the scenario contract and build the :class:`Scenario`."""
    sf = check(ScenarioFile, doc, origin, ScenarioError)
    data_fields = {
        name: DataField(d.available, d.handle_factor, d.resolve_p_add, d.handle_factor_se, d.resolve_p_add_se)
        for name, d in (sf.data_fields or {}).items()
    }
    scenario = Scenario(
        name=sf.name,
        demand=tuple(_stream(s) for s in sf.demand),
        agents=tuple(_team(t) for t in sf.agents),
        seed=sf.seed,
        horizon_hours=sf.horizon_hours,
        warmup_hours=None if sf.warmup_hours in (None, "auto") else float(sf.warmup_hours),
        replications=sf.replications,
        service_level_s=sf.service_level_s,
        open_hours={ch: OpenHours.parse(text) for ch, text in (sf.open_hours or {}).items()},
        closed_return_p=sf.closed.return_p if sf.closed else 0.0,
        closed_return_within_hours=sf.closed.within_hours if sf.closed else 1.0,
        priority=_priority(sf.priority) if sf.priority is not None else (),
        priority_age_limit_hours=sf.priority_age_limit_hours,
        deferred_reserve=sf.deferred_reserve,
        interrupt_deferred=sf.interrupt_deferred,
        switch_cost_s=sf.switch_cost_s,
        patience=_dist(sf.patience) if sf.patience else None,
        redial=Redial(sf.redial.p, _dist(sf.redial.delay)) if sf.redial else None,
        ivr=Ivr(sf.ivr.delay_s, sf.ivr.reauth_s, sf.ivr.exit_p) if sf.ivr else Ivr(),
        recontact=_recontact(sf.recontact) if sf.recontact else None,
        handoff=Handoff(sf.handoff.p, sf.handoff.team, _dist(sf.handoff.handle), sf.handoff.resolve_p)
        if sf.handoff
        else None,
        callback=_callback(sf.callback) if sf.callback else None,
        data_fields=data_fields,
        routing=routing_from_file(sf.routing),
        **customer_keys(sf.leaving, sf.retelling, sf.tell_us_once),
        fit=sf.fit.model_dump(exclude_unset=True) if sf.fit else {},
        origin=origin,
    )
    _check_references(scenario, origin)
    from flowkit.sim.windows import with_windows  # closed-line choices and customers' contact windows

    return with_windows(scenario, sf, origin)


def _dist(d: f.Exponential | f.Lognormal | f.Fixed | f.Empirical) -> Dist:
    if isinstance(d, f.Empirical):
        vals = tuple(float(v) for v in d.values)
        mean = float(np.mean(vals))
        return Dist("empirical", mean, float(np.std(vals) / max(mean, 1e-12)), vals)
    return Dist(d.dist, float(d.mean_s), 1.0 if isinstance(d, f.Exponential) else float(d.cv))


def _priority(value: str | list[str]) -> tuple[str, ...] | str:
    return "oldest" if value == "oldest" else tuple(value)


def _team(t: f.Team) -> Team:
    shifts = tuple(
        Shift(tuple(day_span(s.days)), minutes(s.start) * 60.0, minutes(s.end) * 60.0, s.count) for s in t.shifts or ()
    )
    prio = _priority(t.priority) if t.priority is not None else None
    return Team(
        t.team,
        tuple(t.channels),
        t.count or 0,
        shifts,
        prio,
        t.deferred_reserve,
        t.interrupt_deferred,
        t.profile,
        tuple(t.types or ()),
    )


def _stream(s: f.Stream) -> DemandStream:
    weekly: tuple[tuple[float, ...], ...] = ()
    if s.by_weekday is not None:
        weekly = tuple(tuple(getattr(s.by_weekday, day)) for day in DAYS)
    return DemandStream(
        type=s.type,
        demand=s.demand,
        channel=s.channel,
        handle=_dist(s.handle),
        rate_per_hour=s.rate_per_hour or 0.0,
        profile_per_hour=tuple(s.profile_per_hour or ()),
        by_weekday=weekly,
        resolve_p=s.resolve_p,
        failure_type=s.failure_type,
        needs=tuple(s.needs),
    )


def _recontact(r: f.Recontact) -> Recontact:
    channels = tuple((parent, tuple(row.items())) for parent, row in (r.channels or {}).items())
    return Recontact(r.p, _dist(r.delay), r.as_, r.handle_factor, channels)


def _callback(c: f.Callback) -> Callback:
    chase = c.chase or f.Chase()
    return Callback(c.p_promised, c.p_made, _dist(c.delay), chase.p, _dist(chase.delay) if chase.delay else None)


def _check_references(sc: Scenario, origin: str) -> None:
    """What relates one part of the file to another; the contract checks each part alone."""

    def fail(key: str, message: str) -> ScenarioError:
        return ScenarioError(f"{origin}: {key}: {message}")

    for i, t in enumerate(sc.agents):
        interrupt = t.interrupt_deferred if t.interrupt_deferred is not None else sc.interrupt_deferred
        if interrupt and (t.priority if t.priority is not None else sc.priority) == "oldest":
            raise fail(
                f"agents[{i}].interrupt_deferred" if t.interrupt_deferred is not None else "interrupt_deferred",
                f"team {t.team!r} serves the oldest item first, so no contact outranks deferred work "
                "to interrupt it; give the team a channel priority or set interrupt_deferred: false",
            )
    people = sum(t.count or max(s.count for s in t.shifts) for t in sc.agents)
    if people > f.MAX_AGENTS:
        raise fail("agents", f"{people:,} agents in all; at most {f.MAX_AGENTS:,} (split the centre into scenarios)")
    for i, s in enumerate(sc.demand):
        for n in s.needs:
            if n not in sc.data_fields:
                raise fail(
                    f"demand[{i}].needs",
                    f"{n!r} is not under data_fields ({', '.join(sc.data_fields) or 'none defined'})",
                )
    for key, message in reference_errors(sc):
        raise fail(key, message)
    arriving = sorted({s.channel for s in sc.demand})
    for parent, row in sc.recontact.channels if sc.recontact else ():
        for channel, share in row:
            if share > 0 and channel not in arriving:
                raise fail(
                    f"recontact.channels.{parent}",
                    f"no demand arrives on {channel!r} ({', '.join(arriving)}); a recontact needs a channel "
                    "the model already serves",
                )
    team_names = {t.team for t in sc.agents}
    if sc.handoff and sc.handoff.team not in team_names:
        raise fail("handoff.team", f"{sc.handoff.team!r} is not a team under agents ({', '.join(sorted(team_names))})")
    seen: dict[str, int] = {}
    for i, s in enumerate(sc.demand):
        if s.key in seen:
            raise fail(
                f"demand[{i}].type",
                f"{s.type!r} on {s.channel} repeats demand[{seen[s.key]}]; random numbers "
                "are keyed by type and channel, so give each stream its own type",
            )
        seen[s.key] = i
    served = {ch for t in sc.agents for ch in t.channels}
    for i, s in enumerate(sc.demand):
        if s.channel not in served:
            raise fail(f"demand[{i}].channel", f"no team serves {s.channel!r}; add it to a team's channels")
    used = {s.channel for s in sc.demand}
    for i, t in enumerate(sc.agents):
        if not set(t.channels) & used and not (sc.handoff and sc.handoff.team == t.team):
            raise fail(f"agents[{i}].channels", f"team {t.team!r} serves {', '.join(t.channels)}, which no demand uses")
    for key, message in routing_problems(sc):
        raise fail(key, message)
    contacts = sum(s.mean_rate_per_hour() for s in sc.demand) * sc.horizon_hours
    if contacts > f.MAX_CONTACTS:
        raise fail(
            "horizon_hours",
            f"about {contacts:,.0f} contacts in one replication; at most {f.MAX_CONTACTS:,} "
            "(shorten the horizon or lower the rates)",
        )
