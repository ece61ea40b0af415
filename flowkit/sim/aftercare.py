"""After service: resolution at first contact, hand-off to a back office, callbacks made or missed (a
missed one is chased), and the failure-demand loop, by which an unresolved contact returns later."""

from __future__ import annotations

from collections.abc import Callable

from flowkit.sim.core import CentreCore
from flowkit.sim.entities import Item

__all__ = ["AfterService"]


class AfterService(CentreCore):
    """What a finished contact leads to: a resolved case, more work, or the customer coming back."""

    def _resolve(self, c: Item) -> None:
        sc = self.sc
        if c.kind == "handoff":
            assert sc.handoff is not None and c.parent is not None, "a hand-off is made for a contact"
            if self._u(c, "handoff_resolve") < sc.handoff.resolve_p:
                self._case_resolved(c.root)
            else:
                self._recontact(c.parent)
            return
        if c.outcome == "unreached":  # a callback outside the customer's window (flowkit.sim.windows)
            self._unreached(c)
            return
        p = self.p_resolve[c.stream]
        if c.match is not None:  # answered by a matching agent (flowkit.sim.routing)
            p = min(1.0, max(0.0, p + c.match.resolve_p_add))
        c.resolved = p >= 1.0 or (p > 0.0 and self._u(c, "resolve" if c.kind == "contact" else "callback_resolve") < p)
        if c.resolved and c.root.done is None:  # as _case_resolved(c.root), on every contact
            c.root.done = self.env._now
        if c.kind == "callback":
            assert c.parent is not None, "a callback is made for a contact"
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
            self._callback(c)
            return
        self._recontact(c)

    def _callback(self, c: Item) -> None:
        """A callback was promised for ``c``: the centre makes it after a delay, or misses it and
        the customer chases. The seam for callback policies (attempt windows, retries)."""
        cb = self.sc.callback
        assert cb is not None, "callbacks are promised only when the scenario has them"
        if self._u(c, "callback_made") < cb.p_made:
            self._at(self.env.now + self._x(c, "callback_delay", cb.delay), self._work, c, "callback", self._enqueue)
        else:
            self._chase(c)

    def _work(self, c: Item, kind: str, then: Callable[[Item], None]) -> None:
        """Work a contact creates (a hand-off, a callback), keyed by its contact's customer and attempt."""
        w = self._new_item(c.stream, c.index, c.attempt, kind, c.channel)
        w.demand, w.parent, w.root, w.handle_factor = c.demand, c, c.root, c.handle_factor
        then(w)

    def _case_resolved(self, root: Item) -> None:
        if root.done is None:
            root.done = self.env._now

    def _chase(self, c: Item) -> None:
        """A promised callback never came: the customer chases it (progress chasing), or gives up."""
        cb = self.sc.callback
        assert cb is not None, "callbacks are promised only when the scenario has them"
        if cb.chase_p <= 0 or self._u(c, "chase") >= cb.chase_p:
            return
        when = self._when_open(c, "chase_delay", cb.chase_delay or cb.delay, "chase_redraw", "chase_thin", tries=50)
        if when < self.t_end:
            self._at(when, self._return, c, "progress_chasing")

    def _recontact(self, c: Item, as_type: str | None = None) -> None:
        rc = self.sc.recontact
        if rc is None or rc.p <= 0 or self._u(c, "recontact") >= self._recontact_p(c, rc.p):
            return
        # with the log's shares, a channel they do not list comes back on itself (no retelling switch)
        channel = (self._recontact_channel(c, rc.channel_shares(c.channel)) or c.channel) if rc.channels else None
        when = self._when_open(
            c, "recontact_delay", rc.delay, "recontact_redraw", "recontact_thin", tries=50, channel=channel
        )
        if when < self.t_end:
            self._at(when, self._return, c, as_type or rc.as_type, channel)

    def _recontact_channel(self, c: Item, shares: tuple[tuple[str, float], ...] | None) -> str | None:
        """The channel a recontact after ``c`` comes in on, drawn from the log's shares for ``c``'s
        channel (customers chase an unanswered e-mail by phone); None where the scenario gives none."""
        if not shares:
            return None
        u = self._u(c, "recontact_channel")
        total = 0.0
        for channel, share in shares:
            total += share
            if u < total:
                return channel
        return shares[-1][0]

    def _return(self, c: Item, as_type: str, channel: str | None = None) -> None:
        """Failure demand: the customer comes back because the first contact did not do it
        (unless they left after it), perhaps through another channel: ``channel`` when the
        recontact's was drawn, else as ``retelling`` says (flowkit.sim.context)."""
        if self._gone(c):
            return
        n = self._follow_up(c)
        n.demand, n.demand_type, n.failure_type = "failure", as_type, as_type
        if channel is None:
            self._switch(n)
        elif channel != n.channel:
            self._switch_to(n, channel)
        n.handle_factor = self.sc.recontact.handle_factor if self.sc.recontact else 1.0
        self._offer(n)
