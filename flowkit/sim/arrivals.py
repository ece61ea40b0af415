"""Arrivals and opening hours: non-homogeneous Poisson arrivals per demand stream (piecewise-constant
hourly or half-hourly rates, drawn exactly by stepping slot to slot), a contact meeting a closed
line (and perhaps calling back when it opens), the IVR, and the same demand again (a redial)."""

from __future__ import annotations

from heapq import heappush

from simpy.core import NORMAL

from flowkit.sim.clock import OpenHours
from flowkit.sim.core import CentreCore
from flowkit.sim.entities import Item

__all__ = ["Arrivals"]


class Arrivals(CentreCore):
    """Contacts arriving, meeting opening hours and the IVR, and trying again."""

    def _schedule_opening(self, channel: str, hours: OpenHours) -> None:
        """At each opening, idle agents with the skill take the work that waited overnight."""
        t = hours.next_change(self.env.now)
        if t < self.t_end:
            self._at(t, self._opening, channel, hours)

    def _opening(self, channel: str, hours: OpenHours) -> None:
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

    def _schedule_arrival(self, k: int, t: float) -> None:
        t_end = self.t_end
        rate = self.const_rate[k]
        if rate is not None:  # a constant rate: one gap (the hot path of a plain queue)
            if t >= t_end or rate <= 0:
                return
            n = self.n_drawn[k]
            t += self.arrivals[k].at(n) / rate
            self.n_drawn[k] = n + 1
            if t < t_end:
                heappush(self.queue, (t, NORMAL, next(self.eid), self._arrive, (k,)))  # as _at: t >= now
            return
        s = self.sc.demand[k]
        draws = self.arrivals[k]
        slot = self.slot[k]
        while t < t_end:
            rate = s.rate_at(t)
            boundary = (t // slot + 1.0) * slot
            if rate > 0:
                gap = draws.at(self.n_drawn[k]) / rate
                self.n_drawn[k] += 1
                if t + gap < boundary:
                    t += gap
                    break
            t = boundary
        if t < t_end:
            self._at(t, self._arrive, k)

    def _arrive(self, k: int) -> None:
        s = self.sc.demand[k]
        c = self._new_item(k, self.n_arrived[k], 1, "contact", s.channel)
        self.n_arrived[k] += 1
        c.demand, c.demand_type, c.failure_type = s.demand, s.type, s.failure_type
        c.root = c
        self._schedule_arrival(k, c.arrival)
        self._offer(c)

    def _new_item(self, k: int, index: int, attempt: int, kind: str, channel: str) -> Item:
        c = Item()
        c.stream, c.index, c.attempt, c.kind, c.channel = k, index, attempt, kind, channel
        c.skill = channel if kind != "handoff" else "handoff"
        now = c.arrival = self.env._now
        if kind == "contact":
            c.counted = self.t0 <= now < self.t_end
            self.items.append(c)
        else:
            c.counted = False
        return c

    def _follow_up(self, c: Item) -> Item:
        """The same customer's next contact in the same case."""
        n = self._new_item(c.stream, c.index, c.attempt + 1, "contact", c.channel)
        n.root = c.root
        return n

    def _offer(self, c: Item) -> None:
        now = self.env._now
        sc = self.sc
        channel = c.channel
        hours = self.live_hours.get(channel)
        if hours is not None and not hours.is_open(now):
            c.outcome = "closed"
            if sc.closed_elsewhere is not None:  # return at opening, go elsewhere or be lost (flowkit.sim.windows)
                self._closed_line(c)
                return
            if sc.closed_return_p > 0 and self._u(c, "closed_return") < sc.closed_return_p:
                back = hours.next_open(now) + self._u(c, "closed_delay") * sc.closed_return_within_hours * 3600.0
                self._at(back, self._retry, c)
            return
        if channel == "phone":
            ivr = sc.ivr
            if ivr.exit_p > 0 and self._u(c, "ivr_exit") < ivr.exit_p:
                # hung up in the IVR: gave up before queueing, so abandoned with no wait; may redial
                c.abandoned, c.resolved, c.outcome = True, False, "ivr_exit"
                self._redial(c)
                return
            if ivr.delay_s > 0:
                c.outcome = "ivr"
                self._at(now + ivr.delay_s, self._enqueue, c)
                return
        self._enqueue(c)

    def _retry(self, c: Item) -> None:
        """The same demand again: a redial after abandoning, or a call back after finding the line closed."""
        if self.env.now >= self.t_end or self._gone(c):  # a customer who left does not try again
            return
        n = self._follow_up(c)
        n.demand, n.demand_type, n.failure_type, n.handle_factor = (
            c.demand,
            c.demand_type,
            c.failure_type,
            c.handle_factor,
        )
        self._offer(n)
