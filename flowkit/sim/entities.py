"""What moves through the service centre and who serves it: contacts (and the work they create),
and agents."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from flowkit.sim.routing_spec import MatchSpec

__all__ = ["Agent", "Item", "uniform"]


def uniform(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.random(size)


class Item:
    """A contact (or a piece of back-office / callback work) moving through the centre."""

    __slots__ = (
        "abandoned",
        "agent",
        "answered",
        "arrival",
        "attempt",
        "channel",
        "counted",
        "demand",
        "demand_type",
        "done",
        "ended",
        "extra_s",
        "failure_type",
        "handle",
        "handle_factor",
        "handling",
        "index",
        "interrupts",
        "jumped",
        "kind",
        "match",
        "outcome",
        "parent",
        "queued",
        "remaining",
        "resolved",
        "root",
        "skill",
        "stream",
        "switched",
        "t_queue",
        "team",
        "transferred",
        "wait",
        "waiting",
    )

    # what each slot holds (None: not yet, or never, e.g. ``remaining`` is set only while interrupted)
    abandoned: bool
    agent: str | None
    answered: float | None
    arrival: float
    attempt: int
    channel: str
    counted: bool
    demand: str  # "value" or "failure"
    demand_type: str
    done: float | None  # when its case was resolved (on the root contact)
    ended: float | None
    failure_type: str | None
    handle: float | None
    handle_factor: float
    handling: str | None
    index: int
    interrupts: int
    jumped: bool
    kind: str  # "contact", "handoff" or "callback"
    match: MatchSpec | None
    outcome: str
    parent: Item | None  # the contact a hand-off or callback was made for
    queued: bool
    remaining: float | None
    resolved: bool | None
    root: Item  # the case's first contact
    skill: str
    stream: int
    t_queue: float | None
    team: str | None
    wait: float | None
    waiting: bool

    def __init__(self) -> None:
        self.answered = self.ended = self.wait = self.handle = self.t_queue = self.remaining = None
        self.abandoned = self.waiting = self.queued = self.jumped = self.switched = self.transferred = False
        self.extra_s = 0.0  # handle seconds added for re-telling (a switched return; flowkit.sim.context)
        self.interrupts = 0
        self.resolved = self.agent = self.team = self.handling = self.parent = self.done = None
        self.outcome = "waiting"
        self.handle_factor = 1.0
        self.match = None  # the MatchSpec of the agent who answered it, when routing matches (flowkit.sim.routing)


class Agent:
    """An agent. ``rank`` maps each skill to its priority group; with ``interrupt`` set, a real-time
    contact may pre-empt this agent's deferred item when it ranks above it (see ``_Centre._victim``)."""

    __slots__ = (
        "busy_since",
        "call",
        "deferred",
        "id",
        "interrupt",
        "item",
        "leaving",
        "on_shift",
        "order",
        "rank",
        "reserve",
        "skills",
        "team",
        "until",
    )

    busy_since: float | None
    call: int | None  # the event id of the scheduled finish of ``item`` (to cancel it)
    deferred: tuple[str, ...]
    id: str
    interrupt: bool
    item: Item | None
    leaving: bool
    on_shift: bool
    order: tuple[tuple[str, ...], ...]
    rank: dict[str, int]
    reserve: int
    skills: frozenset[str]
    team: str
    until: float | None

    def __init__(
        self,
        ident: str,
        team: str,
        skills: frozenset[str],
        order: tuple[tuple[str, ...], ...],
        deferred: tuple[str, ...],
        reserve: int = 0,
        interrupt: bool = False,
    ) -> None:
        self.id, self.team, self.skills, self.order, self.deferred = ident, team, skills, order, deferred
        self.reserve = reserve
        self.rank = {skill: g for g, group in enumerate(order) for skill in group}
        self.interrupt = interrupt
        self.busy_since = self.until = self.call = None
        self.item = None
        self.on_shift = False
        self.leaving = False
