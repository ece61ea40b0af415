"""One company across channels: returns through another channel, and "tell us once".

With ``retelling.switch_p``, failure demand that comes back (a re-contact, a chaser) comes
through ``retelling.switch_to`` instead of its own channel (one keyed uniform, purpose
``switch``, on the returning contact), and its handle time gains ``retelling.switch_s`` - the
story told again, as the log's adjusted extra handle time of a switch measures it. Its handle
time is otherwise its demand type's. A hand-off to the back office gains ``ivr.reauth_s`` +
``retelling.handoff_s`` (:func:`flowkit.sim.customer_keys.handoff_extra_s`); an answered contact
passed to a colleague during the contact (``retelling.transfer_p``, a keyed draw) gains
``retelling.transfer_s`` - what the log's adjusted extra time of a passed-on contact measures.
``tell_us_once`` removes those seconds on hand-offs and transfers and/or switched returns, and multiplies the chance that such a contact comes back as
failure demand by ``return_factor``. Every draw stays where it was, so the what-if is a clean
paired difference; with nothing to remove it equals its base exactly.
"""

from __future__ import annotations

from flowkit.sim.core import CentreCore
from flowkit.sim.entities import Item

__all__ = ["Context"]


class Context(CentreCore):
    """Channel switches on returns, and the context carried across them and across hand-offs."""

    def _switch(self, n: Item) -> None:
        """Returning failure demand ``n`` may come through another channel, telling its story again."""
        rt = self.sc.retelling
        if rt is None or rt.switch_p <= 0.0 or n.channel == rt.switch_to or self._u(n, "switch") >= rt.switch_p:
            return
        self._switch_to(n, rt.switch_to)

    def _switch_to(self, n: Item, channel: str) -> None:
        """``n`` comes in on ``channel``, not its case's: told again (``retelling.switch_s``) unless carried."""
        n.channel = n.skill = channel
        n.switched = True
        rt = self.sc.retelling
        tuo = self.sc.tell_us_once
        if rt is not None and (tuo is None or not tuo.channel_switch):
            n.extra_s = rt.switch_s

    def _retell_s(self, c: Item) -> float:
        """Seconds contact ``c`` adds for telling the story again: a switched return's, and a
        transfer's (``retelling.transfer_p``, one keyed uniform, purpose ``transfer``) unless carried."""
        rt = self.sc.retelling
        if rt is None or rt.transfer_p <= 0.0 or self._u(c, "transfer") >= rt.transfer_p:
            return c.extra_s
        c.transferred = True
        tuo = self.sc.tell_us_once
        return c.extra_s + (0.0 if tuo is not None and tuo.handoff else rt.transfer_s)

    def _carried(self, c: Item) -> bool:
        """Did contact ``c`` carry its context (a carried hand-off, or a carried switch)?"""
        tuo = self.sc.tell_us_once
        if tuo is None:
            return False
        return (tuo.handoff and (c.handling == "pass_on" or c.transferred)) or (tuo.channel_switch and c.switched)

    def _recontact_p(self, c: Item, p: float) -> float:
        """The chance that contact ``c`` comes back as failure demand: ``p``, less when carried."""
        if self.sc.tell_us_once is not None and self.sc.tell_us_once.return_factor < 1.0 and self._carried(c):
            return p * self.sc.tell_us_once.return_factor
        return p
