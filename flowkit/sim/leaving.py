"""Customers who leave: after contact k of a case, the customer leaves with the scenario's
probability for k (``leaving``), and makes no further contact.

Whether the customer left after a contact is one keyed uniform (purpose ``leave``, the
contact's attempt and customer index; :mod:`flowkit.sim.streams`), so it is a fixed fact
about that contact: the same in a what-if that changes anything else, which makes "customers
kept" a clean paired difference. It is read when the customer would contact again (a redial,
a return after a closed line, failure demand, a chaser): a customer who left does not come
back, so their pending contacts are cancelled. Work the centre already holds (a hand-off, a
promised callback) is still done: the centre does not know they have gone. Contacts that
ended (answered and finished, abandoned, met a closed line, left the IVR) before the horizon
count; the KPIs are ``customers_lost`` (in the measured window) and its share of the
customers who contacted in the window.
"""

from __future__ import annotations

from flowkit.sim.core import CentreCore
from flowkit.sim.entities import Item

__all__ = ["Leaving", "left_at_s"]

_FINAL = frozenset({"abandoned", "closed", "ivr_exit"})


def left_at_s(c: Item) -> float:
    """When the customer left after contact ``c``: when that contact ended for them."""
    if c.ended is not None:
        return c.ended
    if c.abandoned and c.wait is not None and c.t_queue is not None:
        return c.t_queue + c.wait
    return c.arrival


class Leaving(CentreCore):
    """Leaving after a contact, the contacts it cancels, and the KPIs it adds."""

    def _gone(self, c: Item) -> bool:
        """Did the customer leave after contact ``c`` (the ``c.attempt``-th of the case)?"""
        lv = self.sc.leaving
        if lv is None or c.kind != "contact":
            return False
        p = lv.p(c.attempt, c.demand == "failure")
        return p > 0.0 and self._u(c, "leave") < p

    def _lost(self, counted: list[Item]) -> tuple[dict[str, float], dict[str, float]]:
        """KPIs (``customers_lost``, ``customers_lost_share``) and, per customer id, when they left."""
        lost: dict[str, float] = {}
        customers = set()
        prefix = self.prefix
        for c in counted:
            customers.add(id(c.root))
            if (c.ended is not None or c.outcome in _FINAL) and self._gone(c):
                lost[prefix[c.stream] + str(c.index)] = left_at_s(c)
        n = len(customers)
        kpis = {"customers_lost": float(len(lost)), "customers_lost_share": len(lost) / n if n else float("nan")}
        return kpis, lost
