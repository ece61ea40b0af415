"""Queues per skill: entering one (or going straight to a free agent, or taking one off deferred
work), the head of a queue, the time-average number waiting (Little's law), and phone patience,
abandonment and redial."""

from __future__ import annotations

from collections import deque

from flowkit.sim.core import CentreCore
from flowkit.sim.entities import Item
from flowkit.sim.scenario import LIVE_CHANNELS

__all__ = ["Queues"]


class Queues(CentreCore):
    """Waiting: queues per skill, abandonment and redial."""

    def _track_waiting(self, delta: int) -> None:
        now = self.env._now
        t0 = self.t0
        if now > t0:
            last, end = self.wait_last, self.t_end
            hi = now if now < end else end
            self.wait_area += self.n_waiting * (hi - (last if last > t0 else t0))
            self.wait_last = hi
        self.n_waiting += delta

    def _head(self, skill: str, now: float) -> Item | None:
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

    def _enqueue(self, c: Item) -> None:
        now = self.env._now
        c.t_queue = now
        contact = c.kind == "contact"
        if not contact or c.channel in LIVE_CHANNELS or self._is_open(c.channel, now):
            skill = c.skill
            deferred = skill not in LIVE_CHANNELS
            if self.idle or self.routed:  # (routing's choice also notes a contact that finds nobody)
                i = self._pick_idle(skill, deferred, c)
                if i is not None:
                    a = self.idle.pop(i)
                    self._start(a, c)
                    return
            if self.preempt and contact and not deferred:
                v = self._victim(skill)
                if v is not None and self._head(skill, now) is None:
                    # no free agent and nobody waiting ahead: the contact takes an agent off deferred work
                    item = v.item
                    assert item is not None, "a victim is busy on deferred work"
                    self._interrupt(v)
                    self._start(v, c)
                    self._rehome(item.skill)
                    return
        c.waiting = c.queued = True
        c.outcome = "waiting"
        q = self.queues.get(c.skill)
        if q is None:
            q = self.queues[c.skill] = deque()
        q.append(c)
        if contact:
            self._track_waiting(+1)
            if c.channel == "phone" and self.sc.patience is not None:
                self._at(now + self._x(c, "patience", self.sc.patience), self._abandon, c)

    def _pick_idle(self, skill: str, deferred: bool, c: Item | None = None) -> int | None:
        """Which idle agent takes a new item ``c`` on ``skill``: its index in ``self.idle``, or None.

        The routing seam. By default the longest-idle eligible agent (``idle`` is in order of becoming
        idle); an agent holding a deferred-work reserve takes deferred work only while the reserve
        stays idle. Skills and matching choose otherwise (:mod:`flowkit.sim.routing`).
        """
        if self.routed:
            return self._route_pick_idle(skill, deferred, c)
        for i, a in enumerate(self.idle):
            if skill in a.skills and not (deferred and a.reserve and not self._reserve_kept(a)):
                return i
        return None

    def _abandon(self, c: Item) -> None:
        if not c.waiting:
            return
        c.waiting = False
        self._track_waiting(-1)
        c.abandoned, c.outcome = True, "abandoned"
        assert c.t_queue is not None, "only a queued contact abandons"
        c.wait = self.env.now - c.t_queue
        c.resolved = False
        self._redial(c)

    def _redial(self, c: Item) -> None:
        """A caller who gave up (in the queue or the IVR) may call again; one contact gives up at most
        once, so both ways share the ``redial`` draws."""
        rd = self.sc.redial
        if rd and rd.p > 0 and self._u(c, "redial") < rd.p:
            self._at(self._when_open(c, "redial_delay", rd.delay, "redial_redraw"), self._retry, c)
