"""Queueing theory for quick staffing answers and as the simulator's independent reference.

Erlang B (M/M/c/c), Erlang C (M/M/c) and exact Erlang A (M/M/c+M: exponential patience).
Erlang A is computed from its birth-death stationary distribution, summed until the tail
is below machine precision, and its waiting-time distribution from the tagged customer's
absorbing Markov chain - no approximations. Rates are per second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import expm

from flowkit.errors import FlowkitError

__all__ = ["QueueInputError", "QueueMetrics", "agents_for_service_level", "erlang_a", "erlang_b", "erlang_c"]


class QueueInputError(FlowkitError, ValueError):
    """Rates, agents or a target no queue can have (say, more load than agents in Erlang C).

    A :class:`FlowkitError`, so ``flowkit theory`` says it in one line; a ``ValueError`` too, as
    it always was, so callers that catch one keep working."""


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state answers for one queue; all probabilities are over offered contacts."""

    p_wait: float  # share that waits at all
    mean_wait_s: float  # mean time in queue over all offered (abandoned count their wait)
    service_level: float  # answered within t over all offered
    abandon_rate: float  # share that abandons
    occupancy: float  # busy agents / agents
    offered_load: float  # lambda / mu, in Erlangs


def _check(arrival_rate: float, mean_handle_s: float, agents: int) -> None:
    if arrival_rate <= 0 or mean_handle_s <= 0:
        raise QueueInputError(f"arrival rate and handle time must be positive (got {arrival_rate}, {mean_handle_s})")
    if int(agents) != agents or agents < 1:
        raise QueueInputError(f"agents must be a whole number >= 1, got {agents}")


def erlang_b(load: float, agents: int) -> float:
    """Blocking probability of M/M/c/c, by the stable recursion B(k) = aB(k-1)/(k + aB(k-1))."""
    if load < 0 or agents < 0:
        raise QueueInputError("load and agents must be non-negative")
    b = 1.0
    for k in range(1, int(agents) + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(arrival_rate: float, mean_handle_s: float, agents: int, t_s: float = 20.0) -> QueueMetrics:
    """M/M/c. Raises QueueInputError when the load is at or above the number of agents (no steady state)."""
    _check(arrival_rate, mean_handle_s, agents)
    a = arrival_rate * mean_handle_s
    if a >= agents:
        raise QueueInputError(
            f"offered load {a:.2f} Erlangs needs more than {agents} agents: the queue grows without bound"
        )
    b = erlang_b(a, agents)
    c = agents * b / (agents - a * (1 - b))
    gap = agents / mean_handle_s - arrival_rate
    return QueueMetrics(
        p_wait=c,
        mean_wait_s=c / gap,
        service_level=1 - c * math.exp(-gap * t_s),
        abandon_rate=0.0,
        occupancy=a / agents,
        offered_load=a,
    )


def _erlang_a_states(arrival_rate: float, mu: float, theta: float, agents: int) -> np.ndarray:
    """Stationary probabilities of the number in system, truncated where the tail is negligible."""
    logs = [0.0]
    for j in range(1, agents + 1):
        logs.append(logs[-1] + math.log(arrival_rate / (j * mu)))
    j = agents
    while True:
        j += 1
        logs.append(logs[-1] + math.log(arrival_rate / (agents * mu + (j - agents) * theta)))
        if logs[-1] < max(logs) - 40 and j > agents + 10:
            break
        if j > agents + 1_000_000:
            raise QueueInputError("Erlang A series does not converge; check the rates")
    log_p = np.array(logs)
    p = np.exp(log_p - log_p.max())
    return p / p.sum()


def erlang_a(
    arrival_rate: float, mean_handle_s: float, agents: int, mean_patience_s: float, t_s: float = 20.0
) -> QueueMetrics:
    """M/M/c+M (Palm/Erlang A), exact. Stable at any load: impatient customers leave."""
    _check(arrival_rate, mean_handle_s, agents)
    if mean_patience_s <= 0:
        raise QueueInputError(f"mean patience must be positive, got {mean_patience_s}")
    mu, theta = 1 / mean_handle_s, 1 / mean_patience_s
    p = _erlang_a_states(arrival_rate, mu, theta, agents)
    n = np.arange(len(p))
    queue = np.clip(n - agents, 0, None)
    p_wait = float(p[agents:].sum())  # PASTA: arrivals see time averages
    mean_queue = float((queue * p).sum())
    abandon = theta * mean_queue / arrival_rate  # abandonment flow = theta * E[Q]
    mean_wait = mean_queue / arrival_rate  # Little's law on the queue
    busy = float((np.minimum(n, agents) * p).sum())
    return QueueMetrics(
        p_wait=p_wait,
        mean_wait_s=mean_wait,
        service_level=_erlang_a_answered_within(p, agents, mu, theta, t_s),
        abandon_rate=abandon,
        occupancy=busy / agents,
        offered_load=arrival_rate * mean_handle_s,
    )


def _erlang_a_answered_within(p: np.ndarray, agents: int, mu: float, theta: float, t_s: float) -> float:
    """P(answered within t) over all offered, from the tagged customer's absorbing chain.

    An arrival that finds m others queued moves up at rate c*mu + m*theta (service or
    abandonment ahead) and leaves itself at rate theta; it is answered when it reaches a server.
    """
    immediate = float(p[:agents].sum())
    ahead = p[agents:]  # arrival finds m = 0, 1, ... queued ahead
    k = len(ahead)
    # states: 0..k-1 = customers ahead; k = answered; k+1 = abandoned
    q = np.zeros((k + 2, k + 2))
    for m in range(k):
        move = agents * mu + m * theta
        q[m, m - 1 if m else k] += move
        q[m, k + 1] += theta
        q[m, m] = -(move + theta)
    answered = expm(q * t_s)[:k, k]
    return immediate + float((ahead * answered).sum())


def agents_for_service_level(
    arrival_rate: float, mean_handle_s: float, target: float, t_s: float = 20.0, mean_patience_s: float | None = None
) -> int:
    """Fewest agents meeting ``target`` service level (Erlang C, or Erlang A with patience)."""
    if not 0 < target < 1:
        raise QueueInputError(f"target service level must be between 0 and 1, got {target}")
    c = max(1, math.floor(arrival_rate * mean_handle_s) + (0 if mean_patience_s else 1))
    while True:
        try:
            m = (
                erlang_a(arrival_rate, mean_handle_s, c, mean_patience_s, t_s)
                if mean_patience_s
                else erlang_c(arrival_rate, mean_handle_s, c, t_s)
            )
        except ValueError:
            c += 1
            continue
        if m.service_level >= target:
            return c
        c += 1
