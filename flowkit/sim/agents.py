"""Agents in teams: channel skills as priority groups, shifts, a deferred-work reserve, and the choice
of an agent's next piece of work (age limit first, then priority groups, oldest first within one)."""

from __future__ import annotations

import math
from heapq import heappush

import numpy as np
from simpy.core import NORMAL

from flowkit.sim.core import CentreCore
from flowkit.sim.entities import Agent, Item
from flowkit.sim.scenario import LIVE_CHANNELS, Team

__all__ = ["Agents"]


class Agents(CentreCore):
    """Agents coming on and off shift, choosing work, starting and finishing it."""

    def _order(self, team: Team, skills: list[str]) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
        """The agent's queues as priority groups (served first group first, oldest first within a
        group), and its deferred queues (which an age limit lets jump ahead)."""
        prio = team.priority if team.priority is not None else self.sc.priority
        deferred = tuple(s for s in skills if s not in LIVE_CHANNELS)
        if prio == "oldest":
            return (tuple(skills),), deferred
        listed = [s for s in prio if s in skills]
        groups: list[tuple[str, ...]] = [(s,) for s in listed]
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
                    a = Agent(f"{team.team}-{i + 1:03d}", team.team, skills, order, deferred, reserve, interrupt)
                    self.agents.append(a)
                    self._on(a)
                self.on_shift_s += team.count * (self.t_end - self.t0)
            for si, shift in enumerate(team.shifts):
                for i in range(shift.count):
                    a = Agent(
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

    def _on(self, a: Agent) -> None:
        a.on_shift, a.leaving = True, False
        if a.item is None and a not in self.idle:
            self._next_work(a)

    def _off(self, a: Agent) -> None:
        a.on_shift = False
        if a.item is not None:
            a.leaving = True
        elif a in self.idle:
            self.idle.remove(a)

    def _next_work(self, a: Agent) -> None:
        """``a`` takes its next piece of work, or becomes idle: a deferred item past the age limit
        first, else its priority groups in order, the longest-waiting head within a group. When the
        scenario routes (:mod:`flowkit.sim.routing`), the first contact ``a`` may take rather than
        the head (:meth:`_first`) and, for ``skills``, the type ``a``'s team ranks most urgent first."""
        if not a.on_shift:
            return
        now = self.env._now
        routed = self.routed
        best: Item | None = None
        best_t = 0.0  # best's queueing time (every queued item has one)
        if self.age_limit is not None:
            for skill in a.deferred:
                h = self._first(skill, a, now) if routed else self._head(skill, now)
                if (
                    h is not None
                    and h.t_queue is not None
                    and now - h.t_queue >= self.age_limit
                    and (best is None or h.t_queue < best_t)
                ):
                    best, best_t = h, h.t_queue
            if best is not None:
                best.jumped = True  # it jumped the queue for its age: not interrupted either
        if best is None:
            queues = self.queues
            ranked = routed and self.policy == "skills"
            for group in a.order:
                if a.reserve and group[0] not in LIVE_CHANNELS and not self._reserve_kept(a):
                    continue
                best_rank = math.inf
                for skill in group:
                    if not queues.get(skill):
                        continue  # nothing waits
                    h = self._first(skill, a, now) if routed else self._head(skill, now)
                    if h is None or h.t_queue is None:
                        continue
                    r = self._rank(a.team, h) if ranked else 0
                    if best is None or r < best_rank or (r == best_rank and h.t_queue < best_t):
                        best, best_rank, best_t = h, r, h.t_queue
                if best is not None:
                    break
        if best is None:
            self.idle.append(a)
            return
        q = self.queues[best.skill]
        if q[0] is best:  # (a routed choice from behind the head stays, no longer waiting, until it is the head)
            q.popleft()
        self._start(a, best)

    def _reserve_kept(self, a: Agent) -> bool:
        """May ``a`` take deferred work? Only while ``a.reserve`` teammates stay idle for real-time contacts."""
        team = a.team
        return sum(1 for x in self.idle if x.team == team and x is not a) >= a.reserve

    def _start(self, a: Agent, c: Item) -> None:
        now = self.env._now
        if c.remaining is not None:
            self._resume(a, c, now)
            return
        kind = c.kind
        if c.waiting:
            c.waiting = False
            if kind == "contact":
                self._track_waiting(-1)
        assert c.t_queue is not None, "an item is started from a queue"
        c.wait = now - c.t_queue
        c.answered = now
        c.outcome = "answered"
        c.agent, c.team = a.id, a.team
        if kind == "contact":
            k = c.stream
            base = self.handle1[k].at(c.index) if c.attempt == 1 else self._x(c, "handle", self.sc.demand[k].handle)
            h = base * self.factor[k] * c.handle_factor
            if self.matching:
                h *= self._match(a, c)
            # re-telling on a switched return, and on a transfer when any are drawn (flowkit.sim.context)
            h += self._retell_s(c) if self.transfers else c.extra_s
        elif kind == "handoff":
            assert self.sc.handoff is not None, "hand-offs exist only when the scenario has one"
            h = self._x(c, "handoff_handle", self.sc.handoff.handle) + self.handoff_extra_s
        else:
            h = self._x(c, "callback_handle", self.sc.demand[c.stream].handle) * self.factor[c.stream] * c.handle_factor
            if self.sc.contact_windows is not None:  # outside the customer's window it reaches nobody
                h = self._reach(c, h)
        c.handle = h
        t = now + h
        a.item, a.busy_since, a.until = c, now, t
        eid = a.call = next(self.eid)  # as _at(t, self._finish, a, c)
        heappush(self.queue, (t if t > now else now, NORMAL, eid, self._finish, (a, c)))

    def _finish(self, a: Agent, c: Item) -> None:
        now = self.env._now
        since = a.busy_since
        assert since is not None, "an agent finishing an item started it"
        t0, t_end = self.t0, self.t_end  # busy time in the window, as _overlap(since, now)
        lo = since if since > t0 else t0
        hi = now if now < t_end else t_end
        busy = hi - lo if hi > lo else 0.0
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
