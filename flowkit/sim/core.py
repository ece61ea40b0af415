"""The shared core of the centre model: its state, keyed random numbers, and scheduling.

The centre (:class:`flowkit.sim.model._Centre`) is one object assembled from one mixin per idea -
arrivals and opening hours, queues with abandonment, agents and shifts, interrupting deferred
work, what happens after service, KPIs and the log - each in its own module. They share the
state declared here and call each other through ``self``; this class holds what all of them use.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any

import simpy
from simpy.core import NORMAL

from flowkit.sim.clock import Dist, OpenHours
from flowkit.sim.entities import Agent, Item, uniform
from flowkit.sim.scenario import LIVE_CHANNELS, Scenario
from flowkit.sim.streams import PURPOSES, Keyed, Sampler

__all__ = ["CentreCore", "Entry"]

#: a scheduled call on the heap: (time, SimPy priority, SimPy event id, fn, args); ``fn(*args)`` at that time
Entry = tuple[float, int, int, Callable[..., None], tuple[Any, ...]]


class CentreCore:
    """State and helpers every part of the centre uses (set up by ``_Centre.__init__``)."""

    sc: Scenario
    rep: int
    keep_log: bool
    env: simpy.Environment
    queue: list[Entry]  # SimPy's heap (env._queue), holding the model's calls
    eid: Iterator[int]  # env._eid, SimPy's event ids
    cancelled: set[int]  # event ids of dropped calls
    warmup_h: float
    t0: float  # start of the measured window (end of warm-up), s
    t_end: float  # end of the horizon, s
    hash: list[int]  # stream hashes, per demand stream
    prefix: list[str]  # customer-id prefixes, per demand stream
    keyed: dict[tuple, Keyed]
    arrivals: list[Keyed]
    n_drawn: list[int]
    n_arrived: list[int]
    handle1: list[Keyed]
    factor: list[float]
    p_resolve: list[float]
    used: list[str | None]
    age_limit: float | None
    slot: list[float]
    const_rate: list[float | None]
    live_hours: dict[str, OpenHours]
    transfers: bool
    peak_rate: list[float]
    queues: dict[str, deque]
    idle: list[Agent]
    agents: list[Agent]
    on_shift_s: float
    busy_s: float
    busy_failure_s: float
    items: list[Item]
    n_waiting: int
    wait_area: float
    wait_last: float
    switch_s: float
    handoff_extra_s: float
    preempt: bool
    interruptions: int
    routed: bool  # skills or matching in force (flowkit.sim.routing)
    matching: bool  # a match of agent profile and customer segment changes handling
    policy: str  # the routing policy (set only when routed)
    offered: Item | None  # routing: the contact that last found no eligible idle agent

    if TYPE_CHECKING:  # provided by the mixins (see the module docstring)

        def _offer(self, c: Item) -> None: ...
        def _retry(self, c: Item) -> None: ...
        def _new_item(self, k: int, index: int, attempt: int, kind: str, channel: str) -> Item: ...
        def _follow_up(self, c: Item) -> Item: ...
        def _enqueue(self, c: Item) -> None: ...
        def _redial(self, c: Item) -> None: ...
        def _head(self, skill: str, now: float) -> Item | None: ...
        def _track_waiting(self, delta: int) -> None: ...
        def _next_work(self, a: Agent) -> None: ...
        def _reserve_kept(self, a: Agent) -> bool: ...
        def _start(self, a: Agent, c: Item) -> None: ...
        def _finish(self, a: Agent, c: Item) -> None: ...
        def _victim(self, skill: str) -> Agent | None: ...
        def _interrupt(self, a: Agent) -> None: ...
        def _rehome(self, skill: str) -> None: ...
        def _resume(self, a: Agent, c: Item, now: float) -> None: ...
        def _resolve(self, c: Item) -> None: ...
        def _work(self, c: Item, kind: str, then: Callable[[Item], None]) -> None: ...
        def _closed_line(self, c: Item) -> None: ...
        def _reach(self, c: Item, handle_s: float) -> float: ...
        def _unreached(self, c: Item) -> None: ...
        def _chase(self, c: Item) -> None: ...
        def _hours_kpis(self, counted: list[Item], channel: str) -> dict[str, float]: ...
        def _match(self, a: Agent, c: Item) -> float: ...
        def _route_pick_idle(self, skill: str, deferred: bool, c: Item | None = None) -> int | None: ...
        def _first(self, skill: str, a: Agent, now: float) -> Item | None: ...
        def _rank(self, team: str, c: Item) -> int: ...
        def _may(self, a: Agent, c: Item, now: float) -> bool: ...
        def _routing_kpis(self, counted: list[Item]) -> dict[str, float]: ...
        def _gone(self, c: Item) -> bool: ...
        def _lost(self, counted: list[Item]) -> tuple[dict[str, float], dict[str, float]]: ...
        def _switch(self, n: Item) -> None: ...
        def _switch_to(self, n: Item, channel: str) -> None: ...
        def _recontact_p(self, c: Item, p: float) -> float: ...
        def _retell_s(self, c: Item) -> float: ...

    # ------------------------------------------------------------------ random numbers
    def _keyed(self, k: int, purpose: str, attempt: int, sample: Sampler) -> Keyed:
        key = (k, purpose, attempt)
        g = self.keyed.get(key)
        if g is None:
            g = self.keyed[key] = Keyed(self.sc.seed, (self.rep, self.hash[k], PURPOSES[purpose], attempt), sample)
        return g

    def _u(self, c: Item, purpose: str) -> float:
        """A uniform number for this customer's contact and purpose."""
        return self._keyed(c.stream, purpose, c.attempt, uniform).at(c.index)

    def _x(self, c: Item, purpose: str, dist: Dist) -> float:
        """A duration from ``dist`` for this customer's contact and purpose."""
        return self._keyed(c.stream, purpose, c.attempt, dist.sample).at(c.index)

    # ------------------------------------------------------------------ helpers
    def _at(self, t: float, fn: Callable[..., None], *args: Any) -> int:
        """Call ``fn(*args)`` at simulated time ``t`` (never in the past) on SimPy's event queue, in
        SimPy's order (time, priority, event id); returns the event id, which :meth:`_cancel` takes.
        The entry is the call itself rather than a SimPy event object: no event to build, none to step."""
        now = self.env._now
        eid = next(self.eid)
        heappush(self.queue, (t if t > now else now, NORMAL, eid, fn, args))
        return eid

    def _cancel(self, eid: int) -> None:
        """Drop a scheduled call (a heap has no delete: it is skipped when its time comes)."""
        self.cancelled.add(eid)

    def _run_until(self, t_end: float) -> None:
        """``env.run(until=t_end)`` for the model's calls: pop the queue in SimPy's order and stop
        before ``t_end`` (an event at ``t_end`` itself is not processed, as with SimPy's urgent
        ``until`` event). Only the model's calls are on the queue (no SimPy process or timeout)."""
        env = self.env
        q = self.queue
        cancelled = self.cancelled
        while q and q[0][0] < t_end:
            t, _, eid, fn, args = heappop(q)
            env._now = t
            if cancelled and eid in cancelled:
                cancelled.remove(eid)
                continue
            fn(*args)
        env._now = t_end

    def _overlap(self, a: float, b: float) -> float:
        lo = a if a > self.t0 else self.t0
        hi = b if b < self.t_end else self.t_end
        return hi - lo if hi > lo else 0.0

    def _is_open(self, channel: str, t: float) -> bool:
        hours = self.sc.open_hours.get(channel)
        return hours is None or hours.is_open(t)

    def _when_open(
        self,
        c: Item,
        purpose: str,
        dist: Dist,
        redraw: str,
        thin: str | None = None,
        tries: int = 20,
        channel: str | None = None,
    ) -> float:
        """When customer ``c`` comes back: now + a delay (``purpose``), drawn again (``redraw``, keyed
        by the try) up to ``tries`` times while it lands on a closed live line. Delays are measured
        between contacts that reached the centre, so they describe returns within opening hours; a
        return to a closed line is not modelled as lost. With ``thin`` (the purpose of its uniforms;
        re-contacts and chases, hours or days later), a return is also kept with probability rate /
        peak rate of its stream at that time: customers call back when customers call, so a
        day-long delay does not flatten the time-of-day profile.
        The first delay is the one drawn without these checks, so a return that needs no redraw is
        the same in every scenario. ``channel``: the line it returns on, when not ``c``'s."""
        now = self.env._now
        when = now + self._x(c, purpose, dist)
        channel = channel or c.channel
        check_open = channel in LIVE_CHANNELS and channel in self.sc.open_hours
        peak = self.peak_rate[c.stream] if thin is not None else 0.0
        if not check_open and peak <= 0:
            return when
        rate_at = self.sc.demand[c.stream].rate_at
        for i in range(tries - 1):
            if (not check_open or self._is_open(channel, when)) and (
                peak <= 0 or thin is None or self._tried(c, thin, i, uniform) * peak < rate_at(when)
            ):
                break
            when = now + self._tried(c, redraw, i + 1, dist.sample)
        return when

    def _tried(self, c: Item, purpose: str, n_try: int, sample: Sampler) -> float:
        """Customer ``c``'s value for ``purpose`` at try ``n_try`` of a redrawn return."""
        key = (c.stream, purpose, c.attempt, n_try)
        g = self.keyed.get(key)
        if g is None:
            g = self.keyed[key] = Keyed(
                self.sc.seed, (self.rep, self.hash[c.stream], PURPOSES[purpose], c.attempt, n_try), sample
            )
        return g.at(c.index)
