"""Interrupting deferred work: a real-time contact that finds no free agent may take one off an
e-mail or a back-office item (pre-emptive resume: the item goes back to the head of its queue
with its remaining work, plus a switch cost when taken up again)."""

from __future__ import annotations

from collections import deque

from flowkit.sim.core import CentreCore
from flowkit.sim.entities import Agent, Item

__all__ = ["Preemption"]


class Preemption(CentreCore):
    """Who a real-time contact may pre-empt, and the interruption and resumption of deferred work."""

    def _victim(self, skill: str) -> Agent | None:
        """The agent a real-time contact on ``skill`` may pre-empt, or None.

        Among agents on shift with the skill, busy on deferred work that ranks below ``skill`` in
        their priority (and did not jump the queue for its age), the one who started their item
        most recently. Why that one: a router knows when each item started, not how much work is
        left in it (the simulator does, a real centre does not), and the agent who has just opened
        an e-mail has the least of it in their head; with pre-emptive resume no work is lost
        whichever is chosen, so the rule changes who resumes, not how much is done.
        When the scenario routes, only an agent eligible for the contact (:mod:`flowkit.sim.routing`).
        """
        c = self.offered if self.routed else None  # the contact that found no idle agent
        now = self.env._now
        best = None
        best_since = 0.0  # when best started its item
        for a in self.agents:
            it, since = a.item, a.busy_since
            if (
                it is not None
                and since is not None
                and a.interrupt
                and not a.leaving
                and it.remaining is None
                and not it.jumped
                and skill in a.skills
                and a.rank.get(skill, 0) < a.rank.get(it.skill, 0)
                and (best is None or since > best_since)
                and (c is None or self._may(a, c, now))
            ):
                best, best_since = a, since
        return best

    def _interrupt(self, a: Agent) -> None:
        """Take ``a`` off its deferred item, which goes back to the head of its queue with its remaining work."""
        now = self.env._now
        it, call = a.item, a.call
        assert it is not None and call is not None and a.busy_since is not None and a.until is not None, "a busy agent"
        self._cancel(call)
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

    def _resume(self, a: Agent, c: Item, now: float) -> None:
        """Pre-emptive resume: the remaining work plus the switch cost, by whoever takes it up."""
        assert c.remaining is not None and c.handle is not None, "an interrupted item was started before"
        h = c.remaining + self.switch_s
        c.handle += self.switch_s
        c.remaining = None
        c.waiting = False
        c.agent, c.team = a.id, a.team
        a.item, a.busy_since, a.until = c, now, now + h
        a.call = self._at(now + h, self._finish, a, c)
