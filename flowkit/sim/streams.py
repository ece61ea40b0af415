"""Random numbers keyed by meaning, so two simulations can be differenced.

The rule. Every random number the model uses is addressed by

    (scenario seed, replication, demand stream name, purpose, attempt, customer index)

and by nothing else - not by the order in which the simulation happened to ask for it.

- *demand stream name* is the stream's ``type`` and ``channel`` (``"fault report|phone"``),
  hashed with BLAKE2b (stable across processes and Python versions, unlike ``hash``);
- *purpose* is a fixed number from :data:`PURPOSES` (handle time, resolution, patience, ...);
  numbers are never reused or renumbered, so old results stay reproducible;
- *attempt* is 1 for a customer's first contact, 2 for the next contact of the same case
  (a redial, a return after a closed line, failure demand), and so on; work that a contact
  creates (a hand-off, a callback) uses its contact's attempt;
- *customer index* is the customer's position among the arrivals of its stream (0, 1, ...).

Values come in blocks of :data:`BLOCK` from a generator seeded by
``SeedSequence(seed, spawn_key=(replication, stream hash, purpose, attempt, block))``, so a
draw costs a list lookup and blocks are made only when a customer needs one. Consequences,
each tested: adding, removing or re-ordering a stream changes no other stream's numbers (a
zero-rate stream changes no KPI at all); a longer handle time re-draws no resolution,
patience or re-contact delay; a draw a variant does not need (resolution when
``resolve_p`` is 1) shifts nothing else. Inter-arrival gaps are the one sequence read in
order: purpose ``arrival``, attempt 0, indexed by the stream's draw count.

A redial or a return that would land on a closed line is drawn again: those redraws (and the
thinning of returns by the time-of-day rate) carry one more key element, the try (1, 2, ...;
the thinning uniform from 0), under purposes of their own, so the first delay is the same
draw whether or not a scenario has opening hours.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

__all__ = ["BLOCK", "PURPOSES", "Keyed", "Sampler", "stream_hash", "stream_key"]

BLOCK = 4096

#: turns a generator into ``size`` values: uniforms, or a duration distribution's ``sample``
Sampler = Callable[[np.random.Generator, int], np.ndarray]

#: purpose -> number in the seed key. Append only; never renumber.
PURPOSES = {
    "arrival": 1,
    "handle": 2,
    "resolve": 3,
    "patience": 4,
    "redial": 5,
    "redial_delay": 6,
    "recontact": 7,
    "recontact_delay": 8,
    "handoff": 9,
    "handoff_handle": 10,
    "handoff_resolve": 11,
    "callback_promised": 12,
    "callback_made": 13,
    "callback_delay": 14,
    "callback_handle": 15,
    "callback_resolve": 16,
    "closed_return": 17,
    "closed_delay": 18,
    "chase": 19,
    "chase_delay": 20,
    "ivr_exit": 21,
    "redial_redraw": 22,
    "recontact_redraw": 23,
    "recontact_thin": 24,
    "chase_redraw": 25,
    "chase_thin": 26,
    "elsewhere_delay": 27,
    "contact_window": 28,
    "segment": 29,
    "leave": 30,
    "switch": 31,
    "transfer": 32,
    "recontact_channel": 33,
}


def stream_key(demand_type: str, channel: str) -> str:
    """The name a stream's random numbers are keyed by."""
    return f"{demand_type}|{channel}"


def stream_hash(name: str) -> int:
    """A stable 32-bit number for a stream name."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=4).digest(), "big")


class Keyed:
    """The values of one (replication, stream, purpose, attempt): ``at(i)`` is customer i's.

    ``sample(rng, size)`` turns a generator into values (uniforms, or a duration distribution),
    drawn a block at a time; blocks already made are kept, so access in any order is cheap.
    """

    __slots__ = ("b", "blocks", "cur", "key", "sample", "seed")

    def __init__(self, seed: int, key: tuple[int, ...], sample: Sampler) -> None:
        self.seed, self.key, self.sample = seed, key, sample
        self.blocks: dict[int, list[float]] = {}
        self.b = -1
        self.cur: list[float] = []

    def at(self, i: int) -> float:
        b = i >> 12  # BLOCK = 4096 = 2**12
        if b != self.b:
            blk = self.blocks.get(b)
            if blk is None:
                rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(*self.key, b)))
                blk = self.blocks[b] = self.sample(rng, BLOCK).tolist()
            self.b, self.cur = b, blk
        return self.cur[i & 4095]
