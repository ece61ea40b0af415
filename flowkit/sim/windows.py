"""When customers can be reached and what they do at a closed line: contact windows, the storm, going elsewhere.

Two scenario keys, both optional (a scenario without them runs exactly as before):

- ``closed``'s ``elsewhere_p``/``elsewhere_channel``/``elsewhere_delay``: a customer who meets a
  closed live line calls again in the first ``within_hours`` after it opens (``return_p``, the
  storm at opening), or goes to another channel (``elsewhere_p``: an e-mail, the web form), or
  is lost. One uniform per contact decides among the three, so at ``elsewhere_p: 0`` the
  returns are the draws they always were, and a longer opening meets the same customers.
- ``contact_windows``: each customer (stream and index, whatever the attempt) has a window of
  the week in which they can be reached, drawn once by the shares given. A callback an agent
  starts outside it reaches nobody: it takes ``attempt_s`` of the agent's time and the customer,
  still waiting, chases it as failure demand (the callback's ``chase``). With every window always
  open, callbacks behave as they do without the key.

When either key is given the KPIs gain the closed line's figures (contacts that met it, returned
at opening, went elsewhere, were lost; contacts offered on the headline channel in the first hour
after an opening, on average and on Mondays - the Monday-morning storm - and how many of them
were those returns) and the callbacks' (reached, outside the window).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from flowkit.errors import ScenarioError
from flowkit.sim.core import CentreCore
from flowkit.sim.entities import Item, uniform
from flowkit.sim.scenario import LIVE_CHANNELS, Dist, OpenHours, _dist

if TYPE_CHECKING:
    from flowkit.sim.scenario import Scenario
    from flowkit.sim.scenario_file import ScenarioFile

__all__ = ["HOURS_KPIS", "ClosedElsewhere", "ContactWindows", "Windows", "with_windows"]

#: KPIs the two keys add (per replication, in the measured window); compared by ``flowkit compare``
HOURS_KPIS = (
    "closed_attempts",
    "closed_returned",
    "closed_elsewhere",
    "closed_lost",
    "first_hour_offered",
    "first_hour_returns",
    "monday_first_hour_offered",
    "callbacks_reached",
    "callbacks_outside_window",
)


@dataclass(frozen=True)
class ClosedElsewhere:
    p: float
    channel: str
    delay: Dist


@dataclass(frozen=True)
class ContactWindows:
    windows: tuple[tuple[float, OpenHours], ...]  # (cumulative share, hours)
    attempt_s: float = 60.0


def with_windows(sc: Scenario, sf: ScenarioFile, origin: str) -> Scenario:
    """``sc`` with the checked file's closed-line choices and contact windows (unchanged without them)."""
    closed = sf.closed
    elsewhere = None
    if closed is not None and closed.model_fields_set & {"elsewhere_p", "elsewhere_channel", "elsewhere_delay"}:
        channel = closed.elsewhere_channel or "email"
        delay = _dist(closed.elsewhere_delay) if closed.elsewhere_delay else Dist("fixed", 0.0)
        if closed.elsewhere_p > 0:
            served = {ch for t in sc.agents for ch in t.channels}
            if channel not in served:
                raise ScenarioError(f"{origin}: closed.elsewhere_channel: no team serves {channel!r}")
            if channel in LIVE_CHANNELS and channel in sc.open_hours:
                raise ScenarioError(
                    f"{origin}: closed.elsewhere_channel: {channel!r} has opening hours of its own; "
                    "give a channel that takes contacts at any hour (email, web, letter)"
                )
        elsewhere = ClosedElsewhere(closed.elsewhere_p, channel, delay)
    windows = None
    if sf.contact_windows is not None:
        if sc.callback is None:
            raise ScenarioError(f"{origin}: contact_windows: there are no callbacks to reach customers with")
        cum = np.cumsum([w.share for w in sf.contact_windows.customers])
        cum[-1] = 1.0
        windows = ContactWindows(
            tuple((float(c), OpenHours.parse(w.hours)) for c, w in zip(cum, sf.contact_windows.customers, strict=True)),
            sf.contact_windows.attempt_s,
        )
    if elsewhere is None and windows is None:
        return sc
    return replace(sc, closed_elsewhere=elsewhere, contact_windows=windows)


class Windows(CentreCore):
    """The closed line's three ways out, customers' contact windows, and their KPIs."""

    def _init_windows(self) -> None:
        self.hours_n = dict.fromkeys(("returned", "elsewhere", "lost", "reached", "outside"), 0)
        self.returns: set[int] = set()  # ids of contacts that are returns at opening

    # ------------------------------------------------------------------ the closed line
    def _closed_line(self, c: Item) -> None:
        """``c`` met a closed line: it returns at opening, goes elsewhere, or is lost."""
        sc, now = self.sc, self.env._now
        assert sc.closed_elsewhere is not None, "called only when the scenario has closed_elsewhere"
        u = self._u(c, "closed_return")
        if u < sc.closed_return_p:
            back = (
                sc.open_hours[c.channel].next_open(now)
                + self._u(c, "closed_delay") * sc.closed_return_within_hours * 3600.0
            )
            self._count(c, "returned")
            self._at(back, self._return_at_opening, c)
        elif u < sc.closed_return_p + sc.closed_elsewhere.p:
            self._count(c, "elsewhere")
            self._at(now + self._x(c, "elsewhere_delay", sc.closed_elsewhere.delay), self._go_elsewhere, c)
        else:
            self._count(c, "lost")

    def _count(self, c: Item, what: str) -> None:
        if c.counted:
            self.hours_n[what] += 1

    def _same_demand(self, c: Item, channel: str) -> Item:
        n = self._new_item(c.stream, c.index, c.attempt + 1, "contact", channel)
        n.root = c.root
        n.demand, n.demand_type, n.failure_type, n.handle_factor = (
            c.demand,
            c.demand_type,
            c.failure_type,
            c.handle_factor,
        )
        return n

    def _return_at_opening(self, c: Item) -> None:
        if self.env._now >= self.t_end or self._gone(c):  # a customer who left does not try again
            return
        n = self._same_demand(c, c.channel)
        self.returns.add(id(n))
        self._offer(n)

    def _go_elsewhere(self, c: Item) -> None:
        if self.env._now >= self.t_end or self._gone(c):
            return
        assert self.sc.closed_elsewhere is not None, "called only when the scenario has closed_elsewhere"
        self._offer(self._same_demand(c, self.sc.closed_elsewhere.channel))

    # ------------------------------------------------------------------ contact windows
    def _reach(self, c: Item, handle_s: float) -> float:
        """A callback starting now: its handle time, or the attempt's when the customer is outside their window."""
        cw = self.sc.contact_windows
        assert cw is not None, "called only when the scenario has contact_windows"
        u = self._keyed(c.stream, "contact_window", 0, uniform).at(c.index)
        hours = next(h for cum, h in cw.windows if u < cum)
        if hours.is_open(self.env._now):
            self._count(c.root, "reached")
            return handle_s
        c.outcome = "unreached"
        self._count(c.root, "outside")
        return cw.attempt_s

    def _unreached(self, c: Item) -> None:
        """Nobody answered the callback: the customer is still waiting for it and chases it."""
        assert c.parent is not None, "a callback is made for a contact"
        self._chase(c.parent)

    # ------------------------------------------------------------------ KPIs
    def _hours_kpis(self, counted: list[Item], channel: str) -> dict[str, float]:
        n = self.hours_n
        out = {
            "closed_attempts": float(sum(1 for c in counted if c.outcome == "closed")),
            "closed_returned": float(n["returned"]),
            "closed_elsewhere": float(n["elsewhere"]),
            "closed_lost": float(n["lost"]),
            "callbacks_reached": float(n["reached"]),
            "callbacks_outside_window": float(n["outside"]),
        }
        hours = self.sc.open_hours.get(channel)
        openings = []
        if hours is not None:
            t = self.t0
            while True:
                t = hours.next_change(t)
                if t >= self.t_end:
                    break
                if hours.is_open(t):
                    openings.append(t)
        if openings:
            mine = [c for c in counted if c.channel == channel]
            at = np.sort(np.array([c.arrival for c in mine]))
            ret = np.sort(np.array([c.arrival for c in mine if id(c) in self.returns]))
            o = np.array(openings)
            first = np.searchsorted(at, o + 3600.0) - np.searchsorted(at, o)
            back = np.searchsorted(ret, o + 3600.0) - np.searchsorted(ret, o)
            monday = (o // 86400).astype(int) % 7 == 0
            out["first_hour_offered"] = float(first.mean())
            out["first_hour_returns"] = float(back.mean())
            out["monday_first_hour_offered"] = float(first[monday].mean()) if monday.any() else float("nan")
        else:
            out["first_hour_offered"] = out["first_hour_returns"] = out["monday_first_hour_offered"] = float("nan")
        return out
