"""Who should answer, in the model: skills with priorities and attribute matching with a wait limit.

The policies and their keys are described in :mod:`flowkit.sim.routing_spec`. Without a
``routing:`` block and without a team's ``types`` nothing here runs: the centre keeps its
longest-idle methods, so results of such scenarios are bit for bit what they were. With them
(``self.routed``), the centre's three choices ask this module:

- ``_pick_idle``: which idle agent takes an arriving contact (:meth:`Routed._route_pick_idle`);
- ``_next_work``: which waiting contact a free agent takes (in its channel priority groups, the
  first *eligible* contact rather than the head, :meth:`Routed._first`; for ``skills`` its most
  urgent type first, :meth:`Routed._rank`);
- ``_victim``: which agent on deferred work a real-time contact may interrupt (one eligible for it,
  :meth:`Routed._may`).

Eligibility: a team with ``types`` takes only those (a type no team on the channel lists goes to
any team); under ``matching`` a contact whose segment some agent profile on the staff matches
waits ``wait_limit_s`` for such an agent, then anyone eligible takes it (an event at the limit
gives it to an idle agent at once). Segments are drawn per customer (purpose ``segment``,
attempt 0), so a customer's returns keep their segment and variants meet the same customers.
A match multiplies the contact's handle time and adds to its chance of resolution.
"""

from __future__ import annotations

import math
from bisect import bisect_right

from flowkit.sim.core import CentreCore
from flowkit.sim.entities import Agent, Item, uniform
from flowkit.sim.routing_spec import MatchSpec
from flowkit.sim.scenario import LIVE_CHANNELS, Scenario

__all__ = ["Routed", "routing_active"]

NAN = float("nan")


def routing_active(sc: Scenario) -> bool:
    """Does this scenario route otherwise than longest-idle over every type (or count matches)?"""
    return sc.routing is not None or any(t.types for t in sc.agents)


class Routed(CentreCore):
    """The routing versions of the centre's choices, bound by :meth:`_setup_routing` when needed."""

    def _setup_routing(self) -> None:
        sc = self.sc
        self.matching = False
        self.routed = routing_active(sc)
        if not self.routed:
            return
        r = sc.routing
        self.policy = r.policy if r is not None else "longest_idle"
        self.limit = r.wait_limit_s if r is not None and self.policy == "matching" else 0.0
        self.matches: dict[tuple[str | None, str | None], MatchSpec] = dict(r.matches) if r is not None else {}
        self.matching = bool(self.matches)
        names = [s for s, _ in r.segments] if r is not None else []
        shares = [p for _, p in r.segments] if r is not None else []
        self.seg_names = names
        self.seg_cum = [sum(shares[: i + 1]) for i in range(len(shares))]
        self.profile = {t.team: t.profile for t in sc.agents}
        self.rank = {t.team: {ty: i for i, ty in enumerate(t.types)} if t.types else None for t in sc.agents}
        listed: dict[str, set[str]] = {}
        for t in sc.agents:
            for ch in t.channels:
                listed.setdefault(ch, set()).update(t.types)
        self.listed = listed
        staffed = {t.profile for t in sc.agents if t.profile and (t.count or t.shifts)}
        self.matchable: set[str | None] = {seg for (p, seg) in self.matches if p in staffed}
        self.offered = None
        self.n_matched = 0

    # ------------------------------------------------------------------ who may take what
    def _segment(self, c: Item) -> str | None:
        """The customer's segment: one uniform per customer (attempt 0), cut by the shares."""
        if not self.seg_names:
            return None
        u = self._keyed(c.stream, "segment", 0, uniform).at(c.index)
        i = bisect_right(self.seg_cum, u)
        return self.seg_names[i] if i < len(self.seg_names) else None

    def _rank(self, team: str, c: Item) -> int:
        """Where the contact's type stands in the team's ``types`` (0 most urgent); -1: not taken."""
        ranks = self.rank[team]
        if ranks is None or c.kind != "contact":
            return 0
        r = ranks.get(c.demand_type)
        if r is not None:
            return r
        return len(ranks) if c.demand_type not in self.listed.get(c.channel, ()) else -1

    def _may(self, a: Agent, c: Item, now: float) -> bool:
        if c.kind != "contact" or c.remaining is not None:
            return True  # created work, and work already begun, goes to anyone with the skill
        if self._rank(a.team, c) < 0:
            return False
        if self.limit > 0 and c.t_queue is not None and now - c.t_queue < self.limit:
            seg = self._segment(c)
            if seg in self.matchable and (self.profile[a.team], seg) not in self.matches:
                return False
        return True

    # ------------------------------------------------------------------ the choices
    def _best_idle(self, c: Item, skill: str, deferred: bool, now: float) -> int | None:
        """The index in ``idle`` of the agent who takes ``c``: the longest-idle eligible one (for
        ``skills``, of those ranking its type most urgent), keeping a deferred-work reserve."""
        best, best_rank = None, math.inf
        for i, a in enumerate(self.idle):
            if (
                skill in a.skills
                and not (deferred and a.reserve and not self._reserve_kept(a))
                and self._may(a, c, now)
            ):
                if self.policy != "skills":
                    return i
                r = self._rank(a.team, c)
                if r < best_rank:
                    best, best_rank = i, r
        return best

    def _route_pick_idle(self, skill: str, deferred: bool, c: Item | None = None) -> int | None:
        """:meth:`flowkit.sim.queues.Queues._pick_idle` when the scenario routes."""
        assert c is not None and c.t_queue is not None, "_enqueue offers a queued item"
        best = self._best_idle(c, skill, deferred, self.env._now)
        if best is None:
            self.offered = c  # for _victim, called next by _enqueue
            if (
                self.limit > 0
                and math.isfinite(self.limit)
                and c.kind == "contact"
                and self._segment(c) in self.matchable
            ):
                self._at(c.t_queue + self.limit, self._limit_reached, c)
        return best

    def _limit_reached(self, c: Item) -> None:
        """The contact has waited its limit for a match: any idle agent who serves it takes it now."""
        if not c.waiting or c.remaining is not None:
            return
        now = self.env._now
        if c.channel not in LIVE_CHANNELS and not self._is_open(c.channel, now):
            return
        best = self._best_idle(c, c.skill, c.skill not in LIVE_CHANNELS, now)
        if best is not None:
            a = self.idle.pop(best)
            self._start(a, c)  # it stays in its deque, no longer waiting: dropped when it reaches the head

    def _first(self, skill: str, a: Agent, now: float) -> Item | None:
        """The contact ``a`` would take from the queue of ``skill`` (routing's :meth:`_head`): the
        first eligible one waiting (for ``skills``, of its most urgent type)."""
        if self._head(skill, now) is None:
            return None
        best, best_rank = None, math.inf
        for h in self.queues[skill]:
            if not h.waiting or not self._may(a, h, now):
                continue
            if self.policy != "skills":
                return h
            r = self._rank(a.team, h)
            if r < best_rank:
                best, best_rank = h, r
                if r == 0:
                    break
        return best

    # ------------------------------------------------------------------ what a match changes
    def _match(self, a: Agent, c: Item) -> float:
        """The handle-time factor of ``a`` serving ``c``, noting the match on ``c`` for its resolution."""
        spec = self.matches.get((self.profile[a.team], self._segment(c)))
        c.match = spec
        return spec.handle_factor if spec is not None else 1.0

    def _routing_kpis(self, counted: list[Item]) -> dict[str, float]:
        """Mean handle time of answered contacts, the share of those with a matchable segment that
        a match served, and failure contacts (what matching avoids is a difference of these)."""
        handled = [c.handle for c in counted if c.outcome == "answered" and c.handle is not None]
        matchable = [c for c in counted if c.outcome == "answered" and self._segment(c) in self.matchable]
        return {
            "mean_handle_s": sum(handled) / len(handled) if handled else NAN,
            "matched_share": sum(c.match is not None for c in matchable) / len(matchable) if matchable else NAN,
            "failure_contacts": float(sum(c.demand == "failure" for c in counted)),
        }
