"""The phone export's waits, abandons and agents: calls through a first-come-first-served team on
shifts, so the generated waits come from a queue as a real log's do (not drawn from a distribution)."""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd

from flowkit.synth.truth import is_new_agent

__all__ = ["PATIENCE_S", "phone_queue"]

PATIENCE_S = 300.0  # callers' mean patience, s
#: the phone team's shifts for ~13,800 calls in eight weeks: (weekdays, start hour, end hour, agents)
_PHONE_SHIFTS = ((range(0, 5), 8, 16, 5), (range(0, 5), 10, 18, 3), (range(5, 6), 9, 14, 3))


def phone_queue(
    times: np.ndarray, handle: np.ndarray, patience: np.ndarray, scale: float, handle_new: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Waits, abandons and agents of calls through a first-come-first-served team on shifts.

    The phone export's waits come from a queue, as a real one's do: each call takes the agent
    who is free and on shift soonest; a caller whose wait would exceed their patience hangs up.
    A new agent (:func:`flowkit.synth.truth.is_new_agent`) takes ``handle_new`` instead of ``handle``.
    """
    order = np.argsort(times, kind="stable")
    t = (times[order] - times.min().astype("datetime64[D]")).astype("timedelta64[s]").astype(float)
    day0 = int(pd.Timestamp(times.min()).day_of_week)
    agents = []  # (name, shift days, start s, end s)
    for k, (days, start, end, count) in enumerate(_PHONE_SHIFTS):
        for i in range(max(1, round(count * scale))):
            agents.append((f"T{k + 1}{i + 1:03d}", set(days), start * 3600.0, end * 3600.0))
    free = np.zeros(len(agents))
    new = [is_new_agent(a[0]) for a in agents]

    def available(j: int, at: float) -> float:
        """When agent j can next take a call, from time ``at`` (on shift and free)."""
        _, days, start, end = agents[j]
        at = max(at, free[j])
        for _ in range(8):
            day = int(at // 86400)
            in_day = at - day * 86400
            if (day0 + day) % 7 in days and in_day < end:
                return max(at, day * 86400 + start)
            at = (day + 1) * 86400.0
        return np.inf

    wait = np.zeros(len(t))
    abandon = np.zeros(len(t), dtype=bool)
    who = np.empty(len(t), dtype=object)
    # heap of (earliest time the agent could take a call, agent): keys only grow, so a stale
    # key is refreshed lazily; the agent free longest (then the lowest number) goes first
    heap = [(available(j, 0.0), j) for j in range(len(agents))]
    heapq.heapify(heap)
    for i, idx in enumerate(order):
        arrive = t[i]
        while True:
            key, j = heap[0]
            now = max(key, arrive)
            real = available(j, now)
            if real == now:
                break
            heapq.heapreplace(heap, (real, j))
        w = real - arrive
        if w > patience[idx]:
            abandon[idx], wait[idx], who[idx] = True, patience[idx], None
            continue
        wait[idx], who[idx] = w, agents[j][0]
        free[j] = real + (handle_new[idx] if handle_new is not None and new[j] else handle[idx])
        heapq.heapreplace(heap, (available(j, free[j]), j))
    return np.round(wait), abandon, who
