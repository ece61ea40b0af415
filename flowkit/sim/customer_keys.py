"""Scenario keys for what customers do besides queueing (issue 16, questions 1 and 4).

``leaving``: after contact k of a case the customer leaves with a probability per contact number
(a manufacturer found "not after three, after four"); a customer who has left makes no further
contact. ``retelling``: what being passed on or switching channel costs - the story told again
on a hand-off (on top of ``ivr.reauth_s``), and failure demand that comes back through another
channel with its own re-telling time. ``tell_us_once``: the what-if that carries the context, so
neither re-authentication nor re-telling is needed, and a carried contact may come back less
often. Declared here (the pydantic contract, with bounds, and the frozen dataclasses the model
runs) so the scenario file's own modules only gain a hook each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from flowkit.contract import Contract, explained
from flowkit.schema import CHANNELS

if TYPE_CHECKING:
    from flowkit.sim.scenario import Scenario

__all__ = [
    "Leaving",
    "LeavingSpec",
    "Retelling",
    "RetellingSpec",
    "TellUsOnce",
    "TellUsOnceSpec",
    "customer_keys",
    "handoff_extra_s",
    "reference_errors",
]

_Prob = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False, description="a probability, 0 to 1")]
_Seconds = Annotated[float, Field(ge=0.0, le=365 * 86400, allow_inf_nan=False, description="seconds, at most a year")]
_Channel = Annotated[
    Literal[CHANNELS],  # type: ignore[valid-type]
    explained(f"{{got}} is not a channel; use one of {', '.join(CHANNELS)}"),
]


class LeavingSpec(Contract):
    """After contact k of a case the customer leaves with ``by_contact[k-1]`` (``after`` beyond the list)."""

    by_contact: list[_Prob] = Field(
        min_length=1, max_length=100, description="probability of leaving after contact 1, 2, ... of a case"
    )
    after: _Prob | None = Field(None, description="after any later contact (default: the last by_contact value)")
    failure_factor: Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)] = Field(
        1.0, description="multiplies the probability after a failure-demand contact (capped at 1)"
    )


class RetellingSpec(Contract):
    """What the customer repeats when passed on or switching channel (seconds of handle time)."""

    handoff_s: _Seconds = Field(0.0, description="re-telling on a hand-off, on top of ivr.reauth_s")
    transfer_p: _Prob = Field(0.0, description="share of answered contacts passed to a colleague during the contact")
    transfer_s: _Seconds = Field(0.0, description="re-telling (and authenticating again) on such a transfer")
    switch_p: _Prob = Field(0.0, description="share of returning failure demand that comes through another channel")
    switch_to: _Channel = Field("phone", description="the channel a switched return comes through")
    switch_s: _Seconds = Field(0.0, description="re-telling (and authenticating again) on a switched return")


class TellUsOnceSpec(Contract):
    """The what-if: context carried across hand-offs and channel switches."""

    handoff: bool = Field(
        True, description="hand-offs and transfers carry the context: no re-authentication, no re-telling"
    )
    channel_switch: bool = Field(True, description="switched returns carry the context: no re-telling")
    return_factor: _Prob = Field(
        1.0, description="a carried contact returns as failure demand this much as often (1: unchanged)"
    )

    @model_validator(mode="after")
    def _something(self) -> TellUsOnceSpec:
        if not self.handoff and not self.channel_switch:
            raise ValueError("carries context on neither hand-offs nor channel switches; drop the key instead")
        return self


@dataclass(frozen=True)
class Leaving:
    by_contact: tuple[float, ...]
    after: float
    failure_factor: float = 1.0

    def p(self, k: int, failure: bool) -> float:
        """The probability of leaving after contact ``k`` (1 = the case's first)."""
        base = self.by_contact[k - 1] if k <= len(self.by_contact) else self.after
        return min(1.0, base * self.failure_factor) if failure else base


@dataclass(frozen=True)
class Retelling:
    handoff_s: float = 0.0
    transfer_p: float = 0.0
    transfer_s: float = 0.0
    switch_p: float = 0.0
    switch_to: str = "phone"
    switch_s: float = 0.0


@dataclass(frozen=True)
class TellUsOnce:
    handoff: bool = True
    channel_switch: bool = True
    return_factor: float = 1.0


def customer_keys(
    leaving: LeavingSpec | None, retelling: RetellingSpec | None, tell_us_once: TellUsOnceSpec | None
) -> dict:
    """The checked keys as the :class:`flowkit.sim.scenario.Scenario` fields of the same names."""
    return {
        "leaving": Leaving(
            tuple(leaving.by_contact),
            leaving.after if leaving.after is not None else leaving.by_contact[-1],
            leaving.failure_factor,
        )
        if leaving
        else None,
        "retelling": Retelling(
            retelling.handoff_s,
            retelling.transfer_p,
            retelling.transfer_s,
            retelling.switch_p,
            retelling.switch_to,
            retelling.switch_s,
        )
        if retelling
        else None,
        "tell_us_once": TellUsOnce(tell_us_once.handoff, tell_us_once.channel_switch, tell_us_once.return_factor)
        if tell_us_once
        else None,
    }


def handoff_extra_s(sc: Scenario) -> float:
    """Seconds a hand-off adds for authenticating again and re-telling: none when the context is carried."""
    if sc.tell_us_once is not None and sc.tell_us_once.handoff:
        return 0.0
    return sc.ivr.reauth_s + (sc.retelling.handoff_s if sc.retelling else 0.0)


def reference_errors(sc: Scenario) -> list[tuple[str, str]]:
    """(key, message) for what relates these keys to the rest of the file."""
    rt = sc.retelling
    if rt is None or rt.switch_p <= 0:
        return []
    used = sorted({s.channel for s in sc.demand})
    if rt.switch_to not in used:
        return [
            (
                "retelling.switch_to",
                f"no demand arrives on {rt.switch_to!r} ({', '.join(used)}); a switched return needs a channel "
                "the model already serves",
            )
        ]
    return []
