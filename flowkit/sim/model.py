"""The service centre as a SimPy model: one replication of one scenario.

Arrivals per demand stream (piecewise-constant hourly or half-hourly rates, so
non-homogeneous Poisson exactly); opening hours per channel; an IVR delay and IVR hang-ups;
queues per skill; phone patience, abandonment and redial (redials, re-contacts and chases are
drawn again rather than land on a closed line, re-contacts and chases thinned by their
stream's time-of-day rate); agents in teams with channel skills, channel priorities and shifts, the longest-idle
eligible agent taking each contact; handle times; resolution at first contact; hand-off to
a back office; callbacks made or missed (a missed one is chased); and the failure-demand
loop, by which an unresolved contact returns later as failure demand.
Customer-data fields, when available, change the handle time and resolution of the demand
types that need them.

Every random number is keyed by (replication, stream, purpose, attempt, customer index) -
see :mod:`flowkit.sim.streams` for the rule - so two scenarios that differ in one field
meet the same customers with the same luck. Events are SimPy timeouts with callbacks rather
than one process per customer: the same SimPy scheduler, a fraction of the bookkeeping.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from heapq import heappush

import numpy as np
import simpy
from simpy.core import NORMAL

from flowkit.sim.scenario import LIVE_CHANNELS, Scenario
from flowkit.sim.streams import PURPOSES, Keyed, stream_hash
from flowkit.sim.warmup import warmup_hours

__all__ = ["LOG_COLUMNS", "ReplicationResult", "channels_of", "headline_channel", "simulate_replication"]

LOG_COLUMNS = [
    "contact_id",
    "received_at_s",
    "channel",
    "customer_id",
    "demand",
    "demand_type",
    "failure_type",
    "reason_code",
    "wait_s",
    "handle_s",
    "abandoned",
    "resolved",
    "case_id",
    "agent_id",
    "team",
    "data_used",
    "handling",
    "answered_at_s",
    "ended_at_s",
    "outcome",
    "attempt",
    "queued_at_s",
    "interruptions",
]

NAN = float("nan")


def _uniform(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.random(size)


def _cancelled(*_args) -> None:
    """What a pre-empted item's scheduled finish calls instead (SimPy's heap has no delete)."""


def channels_of(sc: Scenario) -> list[str]:
    """The channels the scenario's demand arrives on, in a fixed order (KPI columns)."""
    return sorted({s.channel for s in sc.demand})


def headline_channel(sc: Scenario) -> str:
    """The channel whose queue KPIs are the headline: phone, else chat, else visit, else the busiest.

    Queue KPIs are never pooled across channels: an e-mail backlog of hours is not a phone wait.
    """
    chans = channels_of(sc)
    for ch in LIVE_CHANNELS:
        if ch in chans:
            return ch
    rate = {ch: sum(s.mean_rate_per_hour() for s in sc.demand if s.channel == ch) for ch in chans}
    return max(chans, key=lambda ch: (rate[ch], ch))


class _Call:
    """A call of ``fn(*args)`` scheduled on SimPy's own event queue: what ``Environment.step``
    needs of an event (``callbacks``, ``_ok``) and nothing more - no argument checks, no closure."""

    __slots__ = ("args", "callbacks", "fn")
    _ok = True

    def __init__(self, fn, args):
        self.fn, self.args = fn, args
        self.callbacks = (self,)

    def __call__(self, _event) -> None:
        self.fn(*self.args)


class _Item:
    """A contact (or a piece of back-office / callback work) moving through the centre."""

    __slots__ = (
        "abandoned",
        "agent",
        "answered",
        "arrival",
        "attempt",
        "channel",
        "counted",
        "demand",
        "demand_type",
        "done",
        "ended",
        "failure_type",
        "handle",
        "handle_factor",
        "handling",
        "index",
        "interrupts",
        "jumped",
        "kind",
        "outcome",
        "parent",
        "queued",
        "remaining",
        "resolved",
        "root",
        "skill",
        "stream",
        "t_queue",
        "team",
        "wait",
        "waiting",
    )

    def __init__(self):
        self.answered = self.ended = self.wait = self.handle = self.t_queue = self.remaining = None
        self.abandoned = self.waiting = self.queued = self.jumped = False
        self.interrupts = 0
        self.resolved = self.agent = self.team = self.handling = self.parent = self.done = None
        self.outcome = "waiting"
        self.handle_factor = 1.0


class _Agent:
    """An agent. ``rank`` maps each skill to its priority group; with ``interrupt`` set, a real-time
    contact may pre-empt this agent's deferred item when it ranks above it (see ``_Centre._victim``)."""

    __slots__ = (
        "busy_since",
        "call",
        "deferred",
        "id",
        "interrupt",
        "item",
        "leaving",
        "on_shift",
        "order",
        "rank",
        "reserve",
        "skills",
        "team",
        "until",
    )

    def __init__(
        self,
        ident: str,
        team: str,
        skills: frozenset,
        order: tuple,
        deferred: tuple,
        reserve: int = 0,
        interrupt: bool = False,
    ):
        self.id, self.team, self.skills, self.order, self.deferred = ident, team, skills, order, deferred
        self.reserve = reserve
        self.rank = {skill: g for g, group in enumerate(order) for skill in group}
        self.interrupt = interrupt
        self.busy_since = self.until = self.call = None
        self.item = None
        self.on_shift = False
        self.leaving = False


@dataclass
class ReplicationResult:
    """One replication: KPIs, the per-contact log rows (optional), and what run.py summarises."""

    replication: int
    kpis: dict[str, float]
    rows: list[tuple] = field(default_factory=list)
    offered: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    little_L: float = 0.0  # time-average number of contacts waiting in the window (event-driven)
    little_lambda_w: float = 0.0  # queue entries per second in the window x their mean wait (from the records)
    warmup_hours: float = 0.0
    case_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))  # cases started in the window
    case_resolved: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    series: dict = field(default_factory=dict)  # name -> (arrival times s, values), for the warm-up check


class _Centre:
    def __init__(self, sc: Scenario, rep: int, keep_log: bool):
        self.sc, self.rep, self.keep_log = sc, rep, keep_log
        self.env = simpy.Environment()
        self.warmup_h = warmup_hours(sc)
        self.t0 = self.warmup_h * 3600.0
        self.t_end = self.t0 + sc.horizon_hours * 3600.0

        self.hash = [stream_hash(s.key) for s in sc.demand]
        self.prefix = [f"S{rep}-{h:08x}-" for h in self.hash]
        self.keyed: dict[tuple, Keyed] = {}
        self.arrivals = [
            self._keyed(k, "arrival", 0, lambda rng, size: rng.standard_exponential(size))
            for k in range(len(sc.demand))
        ]
        self.n_drawn = [0] * len(sc.demand)
        self.n_arrived = [0] * len(sc.demand)
        self.handle1 = [self._keyed(k, "handle", 1, s.handle.sample) for k, s in enumerate(sc.demand)]

        # data-field effects per stream, fixed for the run
        self.factor, self.p_resolve, self.used = [], [], []
        for s in sc.demand:
            avail = [f for f in s.needs if sc.data_fields[f].available]
            self.factor.append(float(np.prod([sc.data_fields[f].handle_factor for f in avail])) if avail else 1.0)
            add = sum(sc.data_fields[f].resolve_p_add for f in avail)
            self.p_resolve.append(min(1.0, max(0.0, s.resolve_p + add)))
            self.used.append(";".join(sorted(avail)) or None)
        self.age_limit = sc.priority_age_limit_hours * 3600.0 if sc.priority_age_limit_hours is not None else None

        self.slot = [s.slot_s() for s in sc.demand]  # an hour, or half an hour
        self.peak_rate = [
            max((max(d) for d in s.by_weekday), default=0.0) / 3600.0
            if s.by_weekday
            else (max(s.profile_per_hour) / 3600.0 if s.profile_per_hour else 0.0)
            for s in sc.demand
        ]
        self.queues: dict[str, deque] = {}
        self.idle: list[_Agent] = []
        self.agents: list[_Agent] = []
        self.on_shift_s = 0.0
        self.busy_s = 0.0
        self.busy_failure_s = 0.0
        self.items: list[_Item] = []  # every contact, warm-up included, in arrival order
        self.n_waiting = 0
        self.wait_area = 0.0
        self.wait_last = self.t0
        self.switch_s = sc.switch_cost_s
        self.preempt = False  # does any agent interrupt deferred work? (skips the search if not)
        self.interruptions = 0  # pre-emptions in the window
        self._build_agents()
        for ch, hours in sc.open_hours.items():
            self._schedule_opening(ch, hours)
        for k in range(len(sc.demand)):
            self._schedule_arrival(k, 0.0)

    # ------------------------------------------------------------------ random numbers
    def _keyed(self, k: int, purpose: str, attempt: int, sample) -> Keyed:
        key = (k, purpose, attempt)
        g = self.keyed.get(key)
        if g is None:
            g = self.keyed[key] = Keyed(self.sc.seed, (self.rep, self.hash[k], PURPOSES[purpose], attempt), sample)
        return g

    def _u(self, c: _Item, purpose: str) -> float:
        """A uniform number for this customer's contact and purpose."""
        return self._keyed(c.stream, purpose, c.attempt, _uniform).at(c.index)

    def _x(self, c: _Item, purpose: str, dist) -> float:
        """A duration from ``dist`` for this customer's contact and purpose."""
        return self._keyed(c.stream, purpose, c.attempt, dist.sample).at(c.index)

    # ------------------------------------------------------------------ helpers
    def _at(self, t: float, fn, *args) -> _Call:
        """Call ``fn(*args)`` at simulated time ``t`` (never in the past), in SimPy's scheduler:
        the same heap entry ``Environment.schedule`` makes, for a minimal event."""
        env = self.env
        now = env._now
        call = _Call(fn, args)
        heappush(env._queue, (t if t > now else now, NORMAL, next(env._eid), call))
        return call

    def _overlap(self, a: float, b: float) -> float:
        lo = a if a > self.t0 else self.t0
        hi = b if b < self.t_end else self.t_end
        return hi - lo if hi > lo else 0.0

    def _is_open(self, channel: str, t: float) -> bool:
        hours = self.sc.open_hours.get(channel)
        return hours is None or hours.is_open(t)

    def _when_open(self, c: _Item, purpose: str, dist, redraw: str, thin: str | None = None, tries: int = 20) -> float:
        """When customer ``c`` comes back: now + a delay (``purpose``), drawn again (``redraw``, keyed
        by the try) up to ``tries`` times while it lands on a closed live line. Delays are measured
        between contacts that reached the centre, so they describe returns within opening hours; a
        return to a closed line is not modelled as lost. With ``thin`` (the purpose of its uniforms;
        re-contacts and chases, hours or days later), a return is also kept with probability rate /
        peak rate of its stream at that time: customers call back when customers call, so a
        day-long delay does not flatten the time-of-day profile.
        The first delay is the one drawn without these checks, so a return that needs no redraw is
        the same in every scenario."""
        now = self.env._now
        when = now + self._x(c, purpose, dist)
        channel = c.channel
        check_open = channel in LIVE_CHANNELS and channel in self.sc.open_hours
        peak = self.peak_rate[c.stream] if thin is not None else 0.0
        if not check_open and peak <= 0:
            return when
        rate_at = self.sc.demand[c.stream].rate_at
        for i in range(tries - 1):
            if (not check_open or self._is_open(channel, when)) and (
                peak <= 0 or self._tried(c, thin, i, _uniform) * peak < rate_at(when)
            ):
                break
            when = now + self._tried(c, redraw, i + 1, dist.sample)
        return when

    def _tried(self, c: _Item, purpose: str, n_try: int, sample) -> float:
        """Customer ``c``'s value for ``purpose`` at try ``n_try`` of a redrawn return."""
        key = (c.stream, purpose, c.attempt, n_try)
        g = self.keyed.get(key)
        if g is None:
            g = self.keyed[key] = Keyed(
                self.sc.seed, (self.rep, self.hash[c.stream], PURPOSES[purpose], c.attempt, n_try), sample
            )
        return g.at(c.index)

    def _track_waiting(self, delta: int) -> None:
        now = self.env._now
        if now > self.t0:
            self.wait_area += self.n_waiting * (min(now, self.t_end) - max(self.wait_last, self.t0))
            self.wait_last = min(now, self.t_end)
        self.n_waiting += delta

    def _schedule_opening(self, channel: str, hours) -> None:
        """At each opening, idle agents with the skill take the work that waited overnight."""
        t = hours.next_change(self.env.now)
        if t < self.t_end:
            self._at(t, self._opening, channel, hours)

    def _opening(self, channel: str, hours) -> None:
        if hours.is_open(self.env.now):
            q = self.queues.get(channel)
            for a in list(self.idle):
                while q and not q[0].waiting:
                    q.popleft()
                if not q:
                    break
                if channel in a.skills:
                    self.idle.remove(a)
                    self._next_work(a)
        self._schedule_opening(channel, hours)

    # ------------------------------------------------------------------ agents
    def _order(self, team, skills: list[str]) -> tuple[tuple, tuple]:
        """The agent's queues as priority groups (served first group first, oldest first within a
        group), and its deferred queues (which an age limit lets jump ahead)."""
        prio = team.priority if team.priority is not None else self.sc.priority
        deferred = tuple(s for s in skills if s not in LIVE_CHANNELS)
        if prio == "oldest":
            return (tuple(skills),), deferred
        listed = [s for s in prio if s in skills]
        groups = [(s,) for s in listed]
        live = tuple(s for s in skills if s not in listed and s in LIVE_CHANNELS)
        rest = tuple(s for s in skills if s not in listed and s not in LIVE_CHANNELS)
        groups += [g for g in (live, rest) if g]
        return tuple(groups), deferred

    def _build_agents(self) -> None:
        sc = self.sc
        handoff_team = sc.handoff.team if sc.handoff else None
        for team in sc.agents:
            skill_list = list(team.channels) + (["handoff"] if team.team == handoff_team else [])
            skills = frozenset(skill_list)
            order, deferred = self._order(team, skill_list)
            reserve = team.deferred_reserve if team.deferred_reserve is not None else sc.deferred_reserve
            if not any(s in LIVE_CHANNELS for s in skill_list):
                reserve = 0  # a team without real-time work keeps nobody back
            interrupt = team.interrupt_deferred if team.interrupt_deferred is not None else sc.interrupt_deferred
            if interrupt is None:
                interrupt = (team.priority if team.priority is not None else sc.priority) != "oldest"
            # only an agent with both kinds of work has anything to interrupt
            interrupt = bool(interrupt and deferred and any(s in LIVE_CHANNELS for s in skill_list))
            self.preempt |= interrupt
            if team.count:
                for i in range(team.count):
                    a = _Agent(f"{team.team}-{i + 1:03d}", team.team, skills, order, deferred, reserve, interrupt)
                    self.agents.append(a)
                    self._on(a)
                self.on_shift_s += team.count * (self.t_end - self.t0)
            for si, shift in enumerate(team.shifts):
                for i in range(shift.count):
                    a = _Agent(
                        f"{team.team}-s{si + 1}-{i + 1:03d}", team.team, skills, order, deferred, reserve, interrupt
                    )
                    self.agents.append(a)
                    days = int(np.ceil(self.t_end / 86400.0))
                    for day in range(days):
                        if day % 7 in shift.days:
                            start, end = day * 86400.0 + shift.start_s, day * 86400.0 + shift.end_s
                            if start >= self.t_end:
                                continue
                            self.on_shift_s += self._overlap(start, end)
                            self._at(start, self._on, a)
                            self._at(end, self._off, a)

    def _on(self, a: _Agent) -> None:
        a.on_shift, a.leaving = True, False
        if a.item is None and a not in self.idle:
            self._next_work(a)

    def _off(self, a: _Agent) -> None:
        a.on_shift = False
        if a.item is not None:
            a.leaving = True
        elif a in self.idle:
            self.idle.remove(a)

    def _head(self, skill: str, now: float) -> _Item | None:
        q = self.queues.get(skill)
        if not q:
            return None
        while q and not q[0].waiting:
            q.popleft()
        if not q:
            return None
        head = q[0]
        if head.kind == "contact" and head.channel not in LIVE_CHANNELS and not self._is_open(head.channel, now):
            return None
        return head

    def _next_work(self, a: _Agent) -> None:
        if not a.on_shift:
            return
        now = self.env._now
        best = None
        if self.age_limit is not None:
            for skill in a.deferred:
                h = self._head(skill, now)
                if h is not None and now - h.t_queue >= self.age_limit and (best is None or h.t_queue < best.t_queue):
                    best = h
            if best is not None:
                best.jumped = True  # it jumped the queue for its age: not interrupted either
        if best is None:
            for group in a.order:
                if a.reserve and group[0] not in LIVE_CHANNELS and not self._reserve_kept(a):
                    continue
                for skill in group:
                    h = self._head(skill, now)
                    if h is not None and (best is None or h.t_queue < best.t_queue):
                        best = h
                if best is not None:
                    break
        if best is None:
            self.idle.append(a)
            return
        self.queues[best.skill].popleft()
        self._start(a, best)

    def _reserve_kept(self, a: _Agent) -> bool:
        """May ``a`` take deferred work? Only while ``a.reserve`` teammates stay idle for real-time contacts."""
        team = a.team
        return sum(1 for x in self.idle if x.team == team and x is not a) >= a.reserve

    def _start(self, a: _Agent, c: _Item) -> None:
        now = self.env._now
        if c.remaining is not None:
            self._resume(a, c, now)
            return
        if c.waiting:
            c.waiting = False
            if c.kind == "contact":
                self._track_waiting(-1)
        c.wait = now - c.t_queue
        c.answered = now
        c.outcome = "answered"
        c.agent, c.team = a.id, a.team
        kind = c.kind
        if kind == "contact":
            k = c.stream
            base = self.handle1[k].at(c.index) if c.attempt == 1 else self._x(c, "handle", self.sc.demand[k].handle)
            h = base * self.factor[k] * c.handle_factor
        elif kind == "handoff":
            h = self._x(c, "handoff_handle", self.sc.handoff.handle) + self.sc.ivr.reauth_s
        else:
            h = self._x(c, "callback_handle", self.sc.demand[c.stream].handle) * self.factor[c.stream] * c.handle_factor
        c.handle = h
        a.item, a.busy_since, a.until = c, now, now + h
        a.call = self._at(now + h, self._finish, a, c)

    # ------------------------------------------------------------------ interrupting deferred work
    def _victim(self, skill: str) -> _Agent | None:
        """The agent a real-time contact on ``skill`` may pre-empt, or None.

        Among agents on shift with the skill, busy on deferred work that ranks below ``skill`` in
        their priority (and did not jump the queue for its age), the one who started their item
        most recently. Why that one: a router knows when each item started, not how much work is
        left in it (the simulator does, a real centre does not), and the agent who has just opened
        an e-mail has the least of it in their head; with pre-emptive resume no work is lost
        whichever is chosen, so the rule changes who resumes, not how much is done.
        """
        best = None
        for a in self.agents:
            it = a.item
            if (
                it is not None
                and a.interrupt
                and not a.leaving
                and it.remaining is None
                and not it.jumped
                and skill in a.skills
                and a.rank.get(skill, 0) < a.rank.get(it.skill, 0)
                and (best is None or a.busy_since > best.busy_since)
            ):
                best = a
        return best

    def _interrupt(self, a: _Agent) -> None:
        """Take ``a`` off its deferred item, which goes back to the head of its queue with its remaining work."""
        now = self.env._now
        it = a.item
        a.call.fn = _cancelled
        busy = self._overlap(a.busy_since, now)
        self.busy_s += busy
        if it.demand == "failure":
            self.busy_failure_s += busy
        it.remaining = a.until - now
        it.interrupts += 1
        if self.t0 <= now < self.t_end:
            self.interruptions += 1
        a.item = a.busy_since = a.until = a.call = None
        it.waiting = True  # back in the queue, but its wait (to first answer) is already recorded
        self.queues.setdefault(it.skill, deque()).appendleft(it)

    def _rehome(self, skill: str) -> None:
        """An idle agent (another team's, say) may take the interrupted item at once."""
        now = self.env._now
        for i, b in enumerate(self.idle):
            if (
                skill in b.skills
                and not (b.reserve and not self._reserve_kept(b))
                and self._head(skill, now) is not None
            ):
                del self.idle[i]
                self._start(b, self.queues[skill].popleft())
                return

    def _resume(self, a: _Agent, c: _Item, now: float) -> None:
        """Pre-emptive resume: the remaining work plus the switch cost, by whoever takes it up."""
        h = c.remaining + self.switch_s
        c.handle += self.switch_s
        c.remaining = None
        c.waiting = False
        c.agent, c.team = a.id, a.team
        a.item, a.busy_since, a.until = c, now, now + h
        a.call = self._at(now + h, self._finish, a, c)

    def _finish(self, a: _Agent, c: _Item) -> None:
        now = self.env._now
        busy = self._overlap(a.busy_since, now)
        self.busy_s += busy
        if c.demand == "failure":
            self.busy_failure_s += busy
        a.item = a.busy_since = None  # until and call are read only while an item is held
        c.ended = now
        self._resolve(c)
        if a.leaving:
            a.leaving = False
        else:
            self._next_work(a)

    # ------------------------------------------------------------------ arrivals
    def _schedule_arrival(self, k: int, t: float) -> None:
        s = self.sc.demand[k]
        draws = self.arrivals[k]
        constant = not s.profile_per_hour and not s.by_weekday
        slot = self.slot[k]
        while t < self.t_end:
            rate = s.rate_at(t)
            if constant:
                if rate <= 0:
                    return
                t += draws.at(self.n_drawn[k]) / rate
                self.n_drawn[k] += 1
                break
            boundary = (t // slot + 1.0) * slot
            if rate > 0:
                gap = draws.at(self.n_drawn[k]) / rate
                self.n_drawn[k] += 1
                if t + gap < boundary:
                    t += gap
                    break
            t = boundary
        if t < self.t_end:
            self._at(t, self._arrive, k)

    def _arrive(self, k: int) -> None:
        s = self.sc.demand[k]
        c = self._new_item(k, self.n_arrived[k], 1, "contact", s.channel)
        self.n_arrived[k] += 1
        c.demand, c.demand_type, c.failure_type = s.demand, s.type, s.failure_type
        c.root = c
        self._schedule_arrival(k, self.env._now)
        self._offer(c)

    def _new_item(self, k: int, index: int, attempt: int, kind: str, channel: str) -> _Item:
        c = _Item()
        c.stream, c.index, c.attempt, c.kind, c.channel = k, index, attempt, kind, channel
        c.skill = channel if kind != "handoff" else "handoff"
        now = c.arrival = self.env._now
        if kind == "contact":
            c.counted = self.t0 <= now < self.t_end
            self.items.append(c)
        else:
            c.counted = False
        return c

    def _follow_up(self, c: _Item) -> _Item:
        """The same customer's next contact in the same case."""
        n = self._new_item(c.stream, c.index, c.attempt + 1, "contact", c.channel)
        n.root = c.root
        return n

    def _offer(self, c: _Item) -> None:
        now = self.env._now
        sc = self.sc
        if c.channel in LIVE_CHANNELS and not self._is_open(c.channel, now):
            c.outcome = "closed"
            if sc.closed_return_p > 0 and self._u(c, "closed_return") < sc.closed_return_p:
                back = (
                    sc.open_hours[c.channel].next_open(now)
                    + self._u(c, "closed_delay") * sc.closed_return_within_hours * 3600.0
                )
                self._at(back, self._retry, c)
            return
        if c.channel == "phone" and sc.ivr.exit_p > 0 and self._u(c, "ivr_exit") < sc.ivr.exit_p:
            # hung up in the IVR: gave up before queueing, so abandoned with no wait; may redial
            c.abandoned, c.resolved, c.outcome = True, False, "ivr_exit"
            self._redial(c)
            return
        if c.channel == "phone" and self.sc.ivr.delay_s > 0:
            c.outcome = "ivr"
            self._at(now + self.sc.ivr.delay_s, self._enqueue, c)
        else:
            self._enqueue(c)

    def _retry(self, c: _Item) -> None:
        """The same demand again: a redial after abandoning, or a call back after finding the line closed."""
        if self.env.now >= self.t_end:
            return
        n = self._follow_up(c)
        n.demand, n.demand_type, n.failure_type, n.handle_factor = (
            c.demand,
            c.demand_type,
            c.failure_type,
            c.handle_factor,
        )
        self._offer(n)

    def _enqueue(self, c: _Item) -> None:
        now = self.env._now
        c.t_queue = now
        if c.kind != "contact" or c.channel in LIVE_CHANNELS or self._is_open(c.channel, now):
            skill = c.skill
            deferred = skill not in LIVE_CHANNELS
            for i, a in enumerate(self.idle):
                if skill in a.skills and not (deferred and a.reserve and not self._reserve_kept(a)):
                    del self.idle[i]
                    self._start(a, c)
                    return
            if self.preempt and c.kind == "contact" and not deferred:
                a = self._victim(skill)
                if a is not None and self._head(skill, now) is None:
                    # no free agent and nobody waiting ahead: the contact takes an agent off deferred work
                    item = a.item
                    self._interrupt(a)
                    self._start(a, c)
                    self._rehome(item.skill)
                    return
        c.waiting = c.queued = True
        c.outcome = "waiting"
        if c.kind == "contact":
            self._track_waiting(+1)
        self.queues.setdefault(c.skill, deque()).append(c)
        if self.sc.patience is not None and c.channel == "phone" and c.kind == "contact":
            self._at(now + self._x(c, "patience", self.sc.patience), self._abandon, c)

    def _abandon(self, c: _Item) -> None:
        if not c.waiting:
            return
        c.waiting = False
        self._track_waiting(-1)
        c.abandoned, c.outcome = True, "abandoned"
        c.wait = self.env.now - c.t_queue
        c.resolved = False
        self._redial(c)

    def _redial(self, c: _Item) -> None:
        """A caller who gave up (in the queue or the IVR) may call again; one contact gives up at most
        once, so both ways share the ``redial`` draws."""
        rd = self.sc.redial
        if rd and rd.p > 0 and self._u(c, "redial") < rd.p:
            self._at(self._when_open(c, "redial_delay", rd.delay, "redial_redraw"), self._retry, c)

    # ------------------------------------------------------------------ after service
    def _resolve(self, c: _Item) -> None:
        sc = self.sc
        if c.kind == "handoff":
            if self._u(c, "handoff_resolve") < sc.handoff.resolve_p:
                self._case_resolved(c.root)
            else:
                self._recontact(c.parent)
            return
        p = self.p_resolve[c.stream]
        c.resolved = p >= 1.0 or (p > 0.0 and self._u(c, "resolve" if c.kind == "contact" else "callback_resolve") < p)
        if c.resolved:
            self._case_resolved(c.root)
        if c.kind == "callback":
            if not c.resolved:
                self._recontact(c.parent)
            return
        if c.resolved:
            c.handling = "one_stop"
            return
        if sc.handoff and sc.handoff.p > 0 and self._u(c, "handoff") < sc.handoff.p:
            c.handling = "pass_on"
            self._work(c, "handoff", self._enqueue)
            return
        c.handling = "pass_back"
        cb = sc.callback
        if cb and cb.p_promised > 0 and self._u(c, "callback_promised") < cb.p_promised:
            if self._u(c, "callback_made") < cb.p_made:
                self._at(
                    self.env.now + self._x(c, "callback_delay", cb.delay), self._work, c, "callback", self._enqueue
                )
            else:
                self._chase(c)
            return
        self._recontact(c)

    def _work(self, c: _Item, kind: str, then) -> None:
        """Work a contact creates (a hand-off, a callback), keyed by its contact's customer and attempt."""
        w = self._new_item(c.stream, c.index, c.attempt, kind, c.channel)
        w.demand, w.parent, w.root, w.handle_factor = c.demand, c, c.root, c.handle_factor
        then(w)

    def _case_resolved(self, root: _Item) -> None:
        if root.done is None:
            root.done = self.env._now

    def _chase(self, c: _Item) -> None:
        """A promised callback never came: the customer chases it (progress chasing), or gives up."""
        cb = self.sc.callback
        if cb.chase_p <= 0 or self._u(c, "chase") >= cb.chase_p:
            return
        when = self._when_open(c, "chase_delay", cb.chase_delay or cb.delay, "chase_redraw", "chase_thin", tries=50)
        if when < self.t_end:
            self._at(when, self._return, c, "progress_chasing")

    def _recontact(self, c: _Item, as_type: str | None = None) -> None:
        rc = self.sc.recontact
        if rc is None or rc.p <= 0 or self._u(c, "recontact") >= rc.p:
            return
        when = self._when_open(c, "recontact_delay", rc.delay, "recontact_redraw", "recontact_thin", tries=50)
        if when < self.t_end:
            self._at(when, self._return, c, as_type or rc.as_type)

    def _return(self, c: _Item, as_type: str) -> None:
        """Failure demand: the customer comes back because the first contact did not do it."""
        n = self._follow_up(c)
        n.demand, n.demand_type, n.failure_type = "failure", as_type, as_type
        n.handle_factor = self.sc.recontact.handle_factor if self.sc.recontact else 1.0
        self._offer(n)

    # ------------------------------------------------------------------ results
    def run(self) -> ReplicationResult:
        self.env.run(until=self.t_end)
        self._track_waiting(0)
        for a in self.agents:
            if a.item is not None:
                busy = self._overlap(a.busy_since, self.t_end)
                self.busy_s += busy
                if a.item.demand == "failure":
                    self.busy_failure_s += busy
        return self._results()

    def _results(self) -> ReplicationResult:
        """KPIs, cases, Little's-law figures and warm-up series, in one pass over the contacts."""
        sc = self.sc
        end, t0, sl_s = self.t_end, self.t0, sc.service_level_s
        acc = {
            ch: [0, 0, 0.0, 0, 0, 0] for ch in channels_of(sc)
        }  # offered, reached queue, wait, queued, in SL, abandoned
        outcomes: dict[str, int] = {}
        failure = first_n = first_ok = entered_n = 0
        entered_w = 0.0
        case_hours, case_resolved, counted = [], [], []
        times, fail_flags, live_t, live_w = [], [], [], []
        for c in self.items:
            tq = c.t_queue
            w = c.wait if c.wait is not None else (end - tq if tq is not None else 0.0)
            times.append(c.arrival)
            fail_flags.append(c.demand == "failure")
            out = c.outcome
            if tq is not None:
                if t0 <= tq < end:  # Little's law: entries into the queue in the window
                    entered_n += 1
                    entered_w += w
                if c.channel in LIVE_CHANNELS and out != "ivr":
                    live_t.append(c.arrival)
                    live_w.append(w)
            if not c.counted:
                continue
            counted.append(c)
            outcomes[out] = outcomes.get(out, 0) + 1
            if c.demand == "failure":
                failure += 1
            a = acc[c.channel]
            a[0] += 1
            if out != "closed":
                a[1] += 1
                a[2] += w
                a[3] += c.queued
                a[4] += out == "answered" and w <= sl_s
                a[5] += c.abandoned
            if c.attempt == 1:
                done = c.done
                case_hours.append(((done if done is not None else end) - c.arrival) / 3600.0)
                case_resolved.append(done is not None)
                if out == "answered" and c.resolved is not None:
                    first_n += 1
                    first_ok += bool(c.resolved)
        offered = len(counted)
        per = {}
        for ch, (n_all, n, wait, queued, in_sl, abandoned) in acc.items():
            per[ch] = {
                "offered": float(n_all),
                "mean_wait_s": wait / n if n else NAN,
                "p_wait": queued / n if n else NAN,
                "service_level": in_sl / n if n else NAN,
                "abandon_rate": abandoned / n if n else NAN,
                "closed_share": (n_all - n) / n_all if n_all else NAN,
            }
        head = per[headline_channel(sc)]
        kpis: dict[str, float] = {
            "mean_wait_s": head["mean_wait_s"],
            "p_wait": head["p_wait"],
            "service_level": head["service_level"],
            "abandon_rate": head["abandon_rate"],
            "occupancy": self.busy_s / self.on_shift_s if self.on_shift_s else NAN,
            "contacts_offered": float(offered),
            "failure_share": failure / offered if offered else NAN,
            "agent_hours_failure": self.busy_failure_s / 3600.0,
            "agent_hours": self.busy_s / 3600.0,
            "one_stop": first_ok / first_n if first_n else NAN,
            "lost_closed": outcomes.get("closed", 0) / offered if offered else NAN,
            "interruptions": float(self.interruptions),
        }
        for ch, values in per.items():
            for name, v in values.items():
                kpis[f"{ch}.{name}"] = v
        window = end - t0
        series = {"failure demand": (np.array(times), np.array(fail_flags, dtype=float))}
        if live_t:
            series["real-time waits"] = (np.array(live_t), np.array(live_w))
        result = ReplicationResult(
            self.rep,
            kpis,
            offered=offered,
            outcomes=outcomes,
            little_L=self.wait_area / window,
            little_lambda_w=(entered_n / window) * (entered_w / entered_n) if entered_n else 0.0,
            warmup_hours=self.warmup_h,
            case_hours=np.array(case_hours),
            case_resolved=np.array(case_resolved, dtype=bool),
            series=series,
        )
        if self.keep_log:
            row = self._row
            result.rows = [row(c) for c in counted]
        return result

    def _row(self, c: _Item) -> tuple:
        wait = (
            c.wait
            if c.wait is not None
            else (self.t_end - c.t_queue if c.t_queue is not None and c.outcome == "waiting" else None)
        )
        customer = self.prefix[c.stream] + str(c.index)
        # ``abandoned`` as the customer (and a phone switch's log) sees it: a call that met a closed
        # line hung up unserved, so it is abandoned, with no wait. The queue KPIs are unaffected:
        # they are over calls offered while open; closed calls are counted in ``closed_share``.
        abandoned = (c.abandoned or c.outcome == "closed") if c.channel == "phone" else None
        return (
            f"{customer}-{c.attempt}",
            c.arrival,
            c.channel,
            customer,
            c.demand,
            c.demand_type,
            c.failure_type,
            self.sc.demand[c.stream].type,
            wait,
            c.handle,
            abandoned,
            c.resolved,
            customer,
            c.agent,
            c.team,
            self.used[c.stream],
            c.handling,
            c.answered,
            c.ended,
            c.outcome,
            c.attempt,
            c.t_queue,
            c.interrupts,
        )


def simulate_replication(scenario: Scenario, replication: int, keep_log: bool = True) -> ReplicationResult:
    """Run one replication; the same (scenario, replication) always gives the same result."""
    if not math.isfinite(scenario.horizon_hours):
        raise ValueError(f"horizon_hours must be finite, got {scenario.horizon_hours}")
    return _Centre(scenario, replication, keep_log).run()
