"""The service centre as a SimPy model: one replication of one scenario.

Arrivals per demand stream (piecewise-constant hourly rates, so non-homogeneous Poisson
exactly); opening hours per channel; an IVR delay; queues per skill; phone patience,
abandonment and redial; agents in teams with channel skills and shifts, the longest-idle
eligible agent taking each contact; handle times; resolution at first contact; hand-off to a
back office; callbacks made or missed; and the failure-demand loop, by which an unresolved
contact returns later as failure demand. Customer-data fields, when available, change the
handle time and resolution of the demand types that need them.

Events are SimPy timeouts with callbacks rather than one process per customer: the same
SimPy scheduler, a fraction of the bookkeeping. Every random draw comes from a generator
owned by one purpose of one stream (arrivals, handling, decisions, ...), seeded from
(scenario seed, replication), so two scenarios that differ in one field see the same
customers: common random numbers for what-if comparisons.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import simpy
from simpy.core import NORMAL
from simpy.events import Event

from flowkit.sim.scenario import LIVE_CHANNELS, Scenario

__all__ = ["ReplicationResult", "simulate_replication", "LOG_COLUMNS"]

LOG_COLUMNS = ["contact_id", "received_at_s", "channel", "customer_id", "demand", "demand_type", "failure_type",
               "reason_code", "wait_s", "handle_s", "abandoned", "resolved", "case_id", "agent_id", "team",
               "data_used", "handling", "answered_at_s", "ended_at_s", "outcome", "attempt"]


class _Draws:
    """Random numbers from one generator, drawn in blocks and handed out one at a time."""

    __slots__ = ("fn", "buf", "i", "size")

    def __init__(self, fn, size: int = 4096):
        self.fn, self.size, self.buf, self.i = fn, size, [], 0

    def __call__(self) -> float:
        if self.i == len(self.buf):
            self.buf, self.i = self.fn(self.size).tolist(), 0
        self.i += 1
        return self.buf[self.i - 1]


class _Item:
    """A contact (or a piece of back-office / callback work) moving through the centre."""

    __slots__ = ("id", "stream", "channel", "skill", "kind", "demand", "demand_type", "failure_type", "customer",
                 "case", "arrival", "t_queue", "answered", "ended", "wait", "handle", "abandoned", "resolved",
                 "agent", "team", "handling", "outcome", "attempt", "waiting", "counted", "data_used", "parent",
                 "handle_factor")

    def __init__(self):
        self.answered = self.ended = self.wait = self.handle = self.t_queue = None
        self.abandoned = False
        self.resolved = None
        self.agent = self.team = self.handling = None
        self.outcome = "waiting"
        self.waiting = False
        self.parent = None
        self.handle_factor = 1.0


class _Agent:
    __slots__ = ("id", "team", "skills", "busy_since", "item", "on_shift", "leaving")

    def __init__(self, ident: str, team: str, skills: frozenset):
        self.id, self.team, self.skills = ident, team, skills
        self.busy_since = None
        self.item = None
        self.on_shift = False
        self.leaving = False


@dataclass
class ReplicationResult:
    """One replication: KPIs and (optionally) the per-contact log rows."""

    replication: int
    kpis: dict[str, float]
    rows: list[tuple] = field(default_factory=list)
    offered: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    little_L: float = 0.0           # time-average number waiting (post warm-up)
    little_lambda_w: float = 0.0    # arrival rate into the queue x mean wait


class _Centre:
    def __init__(self, sc: Scenario, rep: int, keep_log: bool):
        self.sc, self.rep, self.keep_log = sc, rep, keep_log
        self.env = simpy.Environment()
        self.t0 = sc.warmup_hours * 3600.0
        self.t_end = self.t0 + sc.horizon_hours * 3600.0
        seq = np.random.SeedSequence(entropy=sc.seed, spawn_key=(rep,))
        kids = seq.spawn(3 * len(sc.demand) + 6)
        gens = [np.random.default_rng(k) for k in kids]
        n = len(sc.demand)
        self.arrive_draw = [_Draws(g.standard_exponential) for g in gens[:n]]
        self.handle_draw = [_Draws(lambda size, g=g, d=s.handle: d.sample(g, size)) for g, s in zip(gens[n:2 * n], sc.demand)]
        self.decide_draw = [_Draws(g.random) for g in gens[2 * n:3 * n]]
        g = gens[3 * n:]
        self.patience_draw = _Draws(lambda size: sc.patience.sample(g[0], size)) if sc.patience else None
        self.misc = _Draws(g[1].random)
        self.recontact_draw = _Draws(lambda size: sc.recontact.delay.sample(g[2], size)) if sc.recontact else None
        self.redial_draw = _Draws(lambda size: sc.redial.delay.sample(g[3], size)) if sc.redial else None
        self.handoff_draw = _Draws(lambda size: sc.handoff.handle.sample(g[4], size)) if sc.handoff else None
        self.callback_draw = _Draws(lambda size: sc.callback.delay.sample(g[5], size)) if sc.callback else None

        # data-field effects per stream, fixed for the run
        self.factor, self.add, self.used = [], [], []
        for s in sc.demand:
            avail = [f for f in s.needs if sc.data_fields[f].available]
            self.factor.append(float(np.prod([sc.data_fields[f].handle_factor for f in avail])) if avail else 1.0)
            self.add.append(sum(sc.data_fields[f].resolve_p_add for f in avail))
            self.used.append(";".join(sorted(avail)) or None)

        self.peak_rate = [max((max(d) for d in s.by_weekday), default=0.0) / 3600.0 if s.by_weekday else
                          (max(s.profile_per_hour) / 3600.0 if s.profile_per_hour else 0.0) for s in sc.demand]
        self.queues: dict[str, deque] = {}
        self.idle: list[_Agent] = []
        self.agents: list[_Agent] = []
        self.on_shift_s = 0.0
        self.busy_s = 0.0
        self.busy_failure_s = 0.0
        self.items: list[_Item] = []
        self.next_id = 0
        self.n_waiting = 0
        self.wait_area = 0.0
        self.wait_last = self.t0
        self.entered_queue = 0
        self.case_start: dict[str, float] = {}
        self.case_done: dict[str, float] = {}
        self._build_agents()
        for ch, hours in sc.open_hours.items():
            self._schedule_opening(ch, hours)
        for k in range(len(sc.demand)):
            self._schedule_arrival(k, 0.0)

    # ------------------------------------------------------------------ helpers
    def _at(self, t: float, fn, *args) -> None:
        """Call ``fn(*args)`` at simulated time ``t``: a triggered SimPy event on SimPy's own queue
        (what ``env.timeout`` builds, without its argument checks on this hot path)."""
        env = self.env
        ev = Event(env)
        ev._ok, ev._value = True, None
        ev.callbacks.append(lambda _e: fn(*args))
        delay = t - env._now
        env.schedule(ev, NORMAL, delay if delay > 0.0 else 0.0)

    def _overlap(self, a: float, b: float) -> float:
        lo = a if a > self.t0 else self.t0
        hi = b if b < self.t_end else self.t_end
        return hi - lo if hi > lo else 0.0

    def _is_open(self, channel: str, t: float) -> bool:
        hours = self.sc.open_hours.get(channel)
        return hours is None or hours.is_open(t)

    def _when_open(self, channel: str, draw, stream: int | None = None, tries: int = 20) -> float:
        """When a customer comes back: now + a delay, drawn again (up to ``tries`` times) while it
        lands on a closed live line. Delays are measured between contacts that reached the centre,
        so they describe returns within opening hours; a return to a closed line is not modelled
        as lost. With ``stream`` (recontacts, days later), a return is also kept with probability
        rate / peak rate of that stream at its time: customers call back when customers call,
        so a day-long delay does not flatten the time-of-day profile."""
        now = self.env.now
        when = now + draw()
        check_open = channel in LIVE_CHANNELS and channel in self.sc.open_hours
        if not check_open and stream is None:
            return when
        peak = self.peak_rate[stream] if stream is not None else 0.0
        for _ in range(tries - 1):
            if (not check_open or self._is_open(channel, when)) and (
                    peak <= 0 or self.misc() * peak < self.sc.demand[stream].rate_at(when)):
                break
            when = now + draw()
        return when

    def _track_waiting(self, delta: int) -> None:
        now = self.env.now
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
    def _build_agents(self) -> None:
        sc = self.sc
        handoff_team = sc.handoff.team if sc.handoff else None
        for team in sc.agents:
            skills = set(team.channels) | {f"team:{team.team}"}
            if team.team == handoff_team:
                skills.add("handoff")
            skills = frozenset(skills)
            if team.count:
                for i in range(team.count):
                    a = _Agent(f"{team.team}-{i + 1:03d}", team.team, skills)
                    self.agents.append(a)
                    self._on(a)
                self.on_shift_s += team.count * (self.t_end - self.t0)
            for si, shift in enumerate(team.shifts):
                for i in range(shift.count):
                    a = _Agent(f"{team.team}-s{si + 1}-{i + 1:03d}", team.team, skills)
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
        if a.item is None:
            self._next_work(a)

    def _off(self, a: _Agent) -> None:
        a.on_shift = False
        if a.item is not None:
            a.leaving = True
        elif a in self.idle:
            self.idle.remove(a)

    def _next_work(self, a: _Agent) -> None:
        if not a.on_shift:
            return
        best = None
        for skill in a.skills:
            q = self.queues.get(skill)
            if not q:
                continue
            while q and not q[0].waiting:
                q.popleft()
            if not q:
                continue
            head = q[0]
            if head.channel not in LIVE_CHANNELS and head.kind == "contact" and not self._is_open(head.channel, self.env.now):
                continue
            if best is None or head.t_queue < best.t_queue:
                best = head
        if best is None:
            self.idle.append(a)
            return
        self.queues[best.skill].popleft()
        self._start(a, best)

    def _start(self, a: _Agent, c: _Item) -> None:
        now = self.env._now
        if c.waiting:
            c.waiting = False
            if c.counted:
                self._track_waiting(-1)
        c.wait = now - c.t_queue
        c.answered = now
        c.outcome = "answered"
        c.agent, c.team = a.id, a.team
        if c.kind == "handoff":
            h = self.handoff_draw() + self.sc.ivr.reauth_s
        else:
            h = self.handle_draw[c.stream]() * self.factor[c.stream] * c.handle_factor
        c.handle = h
        a.item, a.busy_since = c, now
        self._at(now + h, self._finish, a, c)

    def _finish(self, a: _Agent, c: _Item) -> None:
        now = self.env._now
        busy = self._overlap(a.busy_since, now)
        self.busy_s += busy
        if c.demand == "failure":
            self.busy_failure_s += busy
        a.item = a.busy_since = None
        c.ended = now
        self._resolve(c)
        if a.leaving:
            a.leaving = False
        else:
            self._next_work(a)

    # ------------------------------------------------------------------ arrivals
    def _schedule_arrival(self, k: int, t: float) -> None:
        s = self.sc.demand[k]
        constant = not s.profile_per_hour and not s.by_weekday
        slot = s.slot_s()
        while t < self.t_end:
            rate = s.rate_at(t)
            if constant:
                if rate <= 0:
                    return
                t += self.arrive_draw[k]() / rate
                break
            boundary = (t // slot + 1.0) * slot
            if rate > 0:
                gap = self.arrive_draw[k]() / rate
                if t + gap < boundary:
                    t += gap
                    break
            t = boundary
        if t < self.t_end:
            self._at(t, self._arrive, k)

    def _arrive(self, k: int) -> None:
        s = self.sc.demand[k]
        c = self._new_item(k, "contact", s.channel)
        c.demand, c.demand_type, c.failure_type = s.demand, s.type, s.failure_type
        c.customer = c.case = f"S{self.rep}-{c.id}"
        c.attempt = 1
        if c.counted:
            self.case_start[c.case] = c.arrival
        self._schedule_arrival(k, self.env._now)
        self._offer(c)

    def _new_item(self, k: int, kind: str, channel: str) -> _Item:
        c = _Item()
        self.next_id += 1
        c.id, c.stream, c.kind, c.channel = self.next_id, k, kind, channel
        c.skill = channel if kind != "handoff" else "handoff"
        c.arrival = self.env._now
        c.counted = kind == "contact" and self.t0 <= c.arrival < self.t_end
        c.data_used = self.used[k] if kind == "contact" else None
        if c.counted:
            self.items.append(c)
        return c

    def _offer(self, c: _Item) -> None:
        now = self.env._now
        if c.channel in LIVE_CHANNELS and not self._is_open(c.channel, now):
            c.outcome = "closed"
            if self.misc() < self.sc.closed_return_p:
                back = self.sc.open_hours[c.channel].next_open(now) + self.misc() * 3600.0
                self._at(back, self._retry, c)
            return
        if c.channel == "phone" and self.sc.ivr.exit_p > 0 and self.misc() < self.sc.ivr.exit_p:
            # hung up in the IVR: gave up before queueing, so abandoned with no wait; may redial
            c.abandoned, c.resolved, c.outcome = True, False, "ivr_exit"
            if self.sc.redial and self.misc() < self.sc.redial.p:
                self._at(self._when_open(c.channel, self.redial_draw), self._retry, c)
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
        n = self._new_item(c.stream, "contact", c.channel)
        n.demand, n.demand_type, n.failure_type = c.demand, c.demand_type, c.failure_type
        n.customer, n.case, n.attempt, n.handle_factor = c.customer, c.case, c.attempt + 1, c.handle_factor
        self._offer(n)

    def _enqueue(self, c: _Item) -> None:
        now = self.env._now
        c.t_queue = now
        if c.kind == "contact":
            self.entered_queue += c.counted
        if c.kind != "contact" or c.channel in LIVE_CHANNELS or self._is_open(c.channel, now):
            for i, a in enumerate(self.idle):
                if c.skill in a.skills:
                    del self.idle[i]
                    self._start(a, c)
                    return
        c.waiting = True
        c.outcome = "waiting"
        if c.counted:
            self._track_waiting(+1)
        self.queues.setdefault(c.skill, deque()).append(c)
        if self.patience_draw is not None and c.channel == "phone" and c.kind == "contact":
            self._at(now + self.patience_draw(), self._abandon, c)

    def _abandon(self, c: _Item) -> None:
        if not c.waiting:
            return
        c.waiting = False
        if c.counted:
            self._track_waiting(-1)
        c.abandoned, c.outcome = True, "abandoned"
        c.wait = self.env.now - c.t_queue
        c.resolved = False
        if self.sc.redial and self.misc() < self.sc.redial.p:
            self._at(self._when_open(c.channel, self.redial_draw), self._retry, c)

    # ------------------------------------------------------------------ after service
    def _resolve(self, c: _Item) -> None:
        sc = self.sc
        if c.kind == "handoff":
            ok = self.misc() < sc.handoff.resolve_p
            if ok:
                self._case_resolved(c.parent.case)
            else:
                self._recontact(c.parent)
            return
        p = min(1.0, max(0.0, sc.demand[c.stream].resolve_p + self.add[c.stream]))
        c.resolved = self.decide_draw[c.stream]() < p
        if c.resolved:
            self._case_resolved(c.case if c.kind == "contact" else c.parent.case)
        if c.kind == "callback":
            if not c.resolved:
                self._recontact(c.parent)
            return
        if c.resolved:
            c.handling = "one_stop"
            return
        if sc.handoff and self.misc() < sc.handoff.p:
            c.handling = "pass_on"
            w = self._new_item(c.stream, "handoff", c.channel)
            w.demand, w.parent = c.demand, c
            self._enqueue(w)
            return
        c.handling = "pass_back"
        if sc.callback and self.misc() < sc.callback.p_promised:
            if self.misc() < sc.callback.p_made:
                when = self.env.now + self.callback_draw()
                self._at(when, self._callback, c)
            else:
                self._recontact(c, "progress_chasing")
            return
        self._recontact(c)

    def _case_resolved(self, case: str) -> None:
        if case in self.case_start and case not in self.case_done:
            self.case_done[case] = self.env._now

    def _callback(self, c: _Item) -> None:
        w = self._new_item(c.stream, "callback", c.channel)
        w.demand, w.parent = c.demand, c
        self._enqueue(w)

    def _recontact(self, c: _Item, as_type: str | None = None) -> None:
        rc = self.sc.recontact
        if rc is None or self.misc() >= rc.p:
            return
        when = self._when_open(c.channel, self.recontact_draw, c.stream, tries=50)
        if when < self.t_end:
            self._at(when, self._return, c, as_type or rc.as_type)

    def _return(self, c: _Item, as_type: str) -> None:
        """Failure demand: the customer comes back because the first contact did not do it."""
        n = self._new_item(c.stream, "contact", c.channel)
        n.demand, n.demand_type, n.failure_type = "failure", as_type, as_type
        n.customer, n.case, n.attempt = c.customer, c.case, c.attempt + 1
        n.handle_factor = self.sc.recontact.handle_factor
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
        sc = self.sc
        items = self.items
        offered = len(items)
        outcomes: dict[str, int] = {}
        for c in items:
            outcomes[c.outcome] = outcomes.get(c.outcome, 0) + 1
        end = self.t_end
        queued = [c for c in items if c.outcome in ("answered", "abandoned", "waiting")]
        waits = np.array([(c.wait if c.wait is not None else end - c.t_queue) for c in queued]) if queued else np.zeros(0)
        answered = [c for c in queued if c.outcome == "answered"]
        n_q = max(len(queued), 1)
        sl = sum(1 for c in answered if c.wait <= sc.service_level_s) / n_q
        failure = sum(1 for c in items if c.demand == "failure")
        first = [c for c in items if c.attempt == 1 and c.outcome == "answered" and c.resolved is not None]
        kpis = {
            "mean_wait_s": float(waits.mean()) if waits.size else 0.0,
            "p_wait": float((waits > 0).mean()) if waits.size else 0.0,
            "service_level": sl if queued else 0.0,
            "abandon_rate": outcomes.get("abandoned", 0) / n_q if queued else 0.0,
            "occupancy": self.busy_s / self.on_shift_s if self.on_shift_s else 0.0,
            "contacts_offered": float(offered),
            "failure_share": failure / offered if offered else 0.0,
            "agent_hours_failure": self.busy_failure_s / 3600.0,
            "agent_hours": self.busy_s / 3600.0,
            "one_stop": (sum(1 for c in first if c.resolved) / len(first)) if first else 0.0,
            "lost_closed": outcomes.get("closed", 0) / offered if offered else 0.0,
            "e2e_hours": (float(np.mean([self.case_done[k] - self.case_start[k] for k in self.case_done])) / 3600.0
                          if self.case_done else 0.0),
            "cases_resolved": len(self.case_done) / len(self.case_start) if self.case_start else 0.0,
        }
        for ch in sorted({c.channel for c in items}):
            mine = [c for c in queued if c.channel == ch]
            if not mine:
                continue
            w = np.array([(c.wait if c.wait is not None else end - c.t_queue) for c in mine])
            kpis[f"{ch}.mean_wait_s"] = float(w.mean())
            kpis[f"{ch}.service_level"] = sum(1 for c in mine if c.outcome == "answered" and c.wait <= sc.service_level_s) / len(mine)
            kpis[f"{ch}.abandon_rate"] = sum(1 for c in mine if c.outcome == "abandoned") / len(mine)
        window = self.t_end - self.t0
        mean_wait_queue = float(np.mean([c.wait if c.wait is not None else end - c.t_queue
                                         for c in items if c.t_queue is not None and c.outcome != "ivr"])) \
            if items else 0.0
        result = ReplicationResult(
            self.rep, kpis, offered=offered, outcomes=outcomes,
            little_L=self.wait_area / window, little_lambda_w=self.entered_queue / window * mean_wait_queue,
        )
        if self.keep_log:
            result.rows = [self._row(c) for c in items]
        return result

    def _row(self, c: _Item) -> tuple:
        wait = c.wait if c.wait is not None else (self.t_end - c.t_queue if c.t_queue is not None and c.outcome == "waiting" else None)
        return (f"R{self.rep}-{c.id}", c.arrival, c.channel, c.customer, c.demand, c.demand_type, c.failure_type,
                self.sc.demand[c.stream].type, wait, c.handle,
                (c.abandoned or c.outcome == "closed") if c.channel == "phone" else None,
                c.resolved, c.case, c.agent, c.team, c.data_used, c.handling, c.answered, c.ended, c.outcome, c.attempt)


def simulate_replication(scenario: Scenario, replication: int, keep_log: bool = True) -> ReplicationResult:
    """Run one replication; the same (scenario, replication) always gives the same result."""
    return _Centre(scenario, replication, keep_log).run()
