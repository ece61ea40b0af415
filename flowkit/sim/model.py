"""The service centre as a SimPy model: one replication of one scenario.

Arrivals per demand stream (piecewise-constant hourly or half-hourly rates, so
non-homogeneous Poisson exactly); opening hours per channel; an IVR delay and IVR hang-ups;
queues per skill; phone patience, abandonment and redial (redials, re-contacts and chases are
drawn again rather than land on a closed line, re-contacts and chases thinned by their
stream's time-of-day rate); agents in teams with channel skills, channel priorities and shifts, the longest-idle
eligible agent taking each contact; handle times; resolution at first contact; hand-off to
a back office; callbacks made or missed (a missed one is chased); and the failure-demand
loop, by which an unresolved contact returns later as failure demand.
Customer-data fields, when available, change the handle time and resolution of the demand
types that need them.

Every random number is keyed by (replication, stream, purpose, attempt, customer index) -
see :mod:`flowkit.sim.streams` for the rule - so two scenarios that differ in one field
meet the same customers with the same luck. Events are calls on SimPy's event heap, in SimPy's
order (time, priority, event id), run by the model's own loop rather than one process per
customer: the same order of events, a fraction of the bookkeeping (see :meth:`CentreCore._at`).

The centre is assembled from one module per idea, sharing the state of :mod:`flowkit.sim.core`:
:mod:`~flowkit.sim.arrivals` (arrivals, opening hours, the IVR), :mod:`~flowkit.sim.queues`
(queues, abandonment, redial), :mod:`~flowkit.sim.agents` (teams, shifts, choosing work),
:mod:`~flowkit.sim.preemption` (interrupting deferred work), :mod:`~flowkit.sim.aftercare`
(resolution, hand-off, callbacks, chasing, failure demand), :mod:`~flowkit.sim.leaving`
(customers who leave after contact k), :mod:`~flowkit.sim.context` (re-telling on hand-offs,
transfers and channel switches; tell us once) and :mod:`~flowkit.sim.kpis` (KPIs and the
per-contact log); :mod:`~flowkit.sim.routing` (skills and matching) replaces the
choice of agent and of work only in scenarios that route.
"""

from __future__ import annotations

import gc
import math
from typing import cast

import numpy as np
import simpy

from flowkit.sim.aftercare import AfterService
from flowkit.sim.agents import Agents
from flowkit.sim.arrivals import Arrivals
from flowkit.sim.context import Context
from flowkit.sim.core import Entry
from flowkit.sim.customer_keys import handoff_extra_s
from flowkit.sim.kpis import LOG_COLUMNS, KpiLog, ReplicationResult, channels_of, headline_channel
from flowkit.sim.leaving import Leaving
from flowkit.sim.preemption import Preemption
from flowkit.sim.queues import Queues
from flowkit.sim.routing import Routed
from flowkit.sim.scenario import LIVE_CHANNELS, Scenario
from flowkit.sim.streams import stream_hash
from flowkit.sim.warmup import warmup_hours
from flowkit.sim.windows import Windows

__all__ = ["LOG_COLUMNS", "ReplicationResult", "channels_of", "headline_channel", "simulate_replication"]


class _Centre(Routed, Arrivals, Queues, Agents, Preemption, AfterService, Leaving, Context, KpiLog, Windows):
    def __init__(self, sc: Scenario, rep: int, keep_log: bool):
        self.sc, self.rep, self.keep_log = sc, rep, keep_log
        self.env = simpy.Environment()
        # SimPy's heap and event ids, holding the model's calls in place of SimPy event objects
        self.queue, self.eid, self.cancelled = cast("list[Entry]", self.env._queue), self.env._eid, set()
        self.warmup_h = warmup_hours(sc)
        self.t0 = self.warmup_h * 3600.0
        self.t_end = self.t0 + sc.horizon_hours * 3600.0

        self.hash = [stream_hash(s.key) for s in sc.demand]
        self.prefix = [f"S{rep}-{h:08x}-" for h in self.hash]
        self.keyed = {}
        self.arrivals = [
            self._keyed(k, "arrival", 0, lambda rng, size: rng.standard_exponential(size))
            for k in range(len(sc.demand))
        ]
        self.n_drawn = [0] * len(sc.demand)
        self.n_arrived = [0] * len(sc.demand)
        self.handle1 = [self._keyed(k, "handle", 1, s.handle.sample) for k, s in enumerate(sc.demand)]

        # data-field effects per stream, fixed for the run
        self.factor, self.p_resolve, self.used = [], [], []
        for s in sc.demand:
            avail = [f for f in s.needs if sc.data_fields[f].available]
            self.factor.append(float(np.prod([sc.data_fields[f].handle_factor for f in avail])) if avail else 1.0)
            add = sum(sc.data_fields[f].resolve_p_add for f in avail)
            self.p_resolve.append(min(1.0, max(0.0, s.resolve_p + add)))
            self.used.append(";".join(sorted(avail)) or None)
        self.age_limit = sc.priority_age_limit_hours * 3600.0 if sc.priority_age_limit_hours is not None else None

        self.slot = [s.slot_s() for s in sc.demand]  # an hour, or half an hour
        # a stream without a profile arrives at one rate (as rate_at gives it); None: it varies
        self.const_rate = [
            s.rate_per_hour / 3600.0 if not s.profile_per_hour and not s.by_weekday else None for s in sc.demand
        ]
        self.live_hours = {ch: h for ch, h in sc.open_hours.items() if ch in LIVE_CHANNELS}  # lines that close
        self.transfers = sc.retelling is not None and sc.retelling.transfer_p > 0.0  # any transfer draws?
        self.peak_rate = [
            max((max(d) for d in s.by_weekday), default=0.0) / 3600.0
            if s.by_weekday
            else (max(s.profile_per_hour) / 3600.0 if s.profile_per_hour else 0.0)
            for s in sc.demand
        ]
        self.queues = {}
        self.idle = []
        self.agents = []
        self.on_shift_s = 0.0
        self.busy_s = 0.0
        self.busy_failure_s = 0.0
        self.items = []  # every contact, warm-up included, in arrival order
        self.n_waiting = 0
        self.wait_area = 0.0
        self.wait_last = self.t0
        self.switch_s = sc.switch_cost_s
        self.handoff_extra_s = handoff_extra_s(sc)  # authenticating and re-telling on a hand-off
        self.preempt = False  # does any agent interrupt deferred work? (skips the search if not)
        self.interruptions = 0  # pre-emptions in the window
        self._init_windows()
        self._setup_routing()  # binds the routing versions of the choices, when the scenario routes
        self._build_agents()
        for ch, hours in sc.open_hours.items():
            self._schedule_opening(ch, hours)
        for k in range(len(sc.demand)):
            self._schedule_arrival(k, 0.0)

    # ------------------------------------------------------------------ results
    def run(self) -> ReplicationResult:
        self._run_until(self.t_end)
        self._track_waiting(0)
        for a in self.agents:
            if a.item is not None:
                assert a.busy_since is not None, "a busy agent"
                busy = self._overlap(a.busy_since, self.t_end)
                self.busy_s += busy
                if a.item.demand == "failure":
                    self.busy_failure_s += busy
        return self._results()

    def release(self) -> None:
        """Break the run's reference cycles, so reference counting frees its objects as soon as it ends.

        Each case's first contact is its own ``root``, and the centre, SimPy's environment and the
        calls on its heap refer to each other: left so, the run's contacts (100,000 in a replication
        of 100,000 customers) would wait for the cyclic collector, whose next pass after the run
        traced them all - a tenth of a replication's CPU, and more in a worker process."""
        for c in self.items:
            if getattr(c, "root", None) is c:  # (a run that failed may leave a contact without one)
                del c.root
        self.queue.clear()
        vars(self.env).clear()
        vars(self).clear()


def simulate_replication(scenario: Scenario, replication: int, keep_log: bool = True) -> ReplicationResult:
    """Run one replication; the same (scenario, replication) always gives the same result."""
    if not math.isfinite(scenario.horizon_hours):
        raise ValueError(f"horizon_hours must be finite, got {scenario.horizon_hours}")
    # The run makes a few hundred thousand long-lived objects (contacts) and no cyclic garbage worth
    # collecting: the cyclic collector would rescan them all again and again (a quarter of a run when
    # profiled), so it pauses for the run. Reference counting still frees everything as usual, once
    # the run's own cycles are broken (``release``).
    paused = gc.isenabled()
    gc.disable()
    centre = _Centre(scenario, replication, keep_log)
    try:
        return centre.run()
    finally:
        centre.release()
        if paused:
            gc.enable()
