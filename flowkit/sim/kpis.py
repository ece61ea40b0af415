"""What one replication reports: KPIs per channel and the headline channel, the Little's-law and
warm-up figures, case times, and the per-contact log rows - assembled in one pass at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flowkit.sim.core import CentreCore
from flowkit.sim.entities import Item
from flowkit.sim.scenario import LIVE_CHANNELS, Scenario

__all__ = ["LOG_COLUMNS", "NAN", "KpiLog", "ReplicationResult", "channels_of", "headline_channel"]

LOG_COLUMNS = [
    "contact_id",
    "received_at_s",
    "channel",
    "customer_id",
    "demand",
    "demand_type",
    "failure_type",
    "reason_code",
    "wait_s",
    "handle_s",
    "abandoned",
    "resolved",
    "case_id",
    "agent_id",
    "team",
    "data_used",
    "handling",
    "answered_at_s",
    "ended_at_s",
    "outcome",
    "attempt",
    "queued_at_s",
    "interruptions",
]

NAN = float("nan")


def channels_of(sc: Scenario) -> list[str]:
    """The channels the scenario's demand arrives on, in a fixed order (KPI columns)."""
    return sorted({s.channel for s in sc.demand})


def headline_channel(sc: Scenario) -> str:
    """The channel whose queue KPIs are the headline: phone, else chat, else visit, else the busiest.

    Queue KPIs are never pooled across channels: an e-mail backlog of hours is not a phone wait.
    """
    chans = channels_of(sc)
    for ch in LIVE_CHANNELS:
        if ch in chans:
            return ch
    rate = {ch: sum(s.mean_rate_per_hour() for s in sc.demand if s.channel == ch) for ch in chans}
    return max(chans, key=lambda ch: (rate[ch], ch))


@dataclass
class ReplicationResult:
    """One replication: KPIs, the per-contact log rows (optional), and what run.py summarises."""

    replication: int
    kpis: dict[str, float]
    rows: list[tuple] = field(default_factory=list)
    offered: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    little_L: float = 0.0  # time-average number of contacts waiting in the window (event-driven)
    little_lambda_w: float = 0.0  # queue entries per second in the window x their mean wait (from the records)
    warmup_hours: float = 0.0
    case_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))  # cases started in the window
    case_resolved: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    series: dict = field(default_factory=dict)  # name -> (arrival times s, values), for the warm-up check
    left_at: dict = field(default_factory=dict)  # customer id -> when they left, s (with ``leaving`` and the log)
    e2e: dict[str, float] | None = None  # end-to-end KPIs of the cases (run.e2e_kpis), once computed


class KpiLog(CentreCore):
    """The results of a run: KPIs and log rows from the contacts the centre kept."""

    def _results(self) -> ReplicationResult:
        """KPIs, cases, Little's-law figures and warm-up series, in one pass over the contacts."""
        sc = self.sc
        end, t0, sl_s = self.t_end, self.t0, sc.service_level_s
        acc = {
            ch: [0, 0, 0.0, 0, 0, 0] for ch in channels_of(sc)
        }  # offered, reached queue, wait, queued, in SL, abandoned
        outcomes: dict[str, int] = {}
        failure = first_n = first_ok = entered_n = 0
        entered_w = 0.0
        case_hours, case_resolved, counted = [], [], []
        times, fail_flags, live_t, live_w = [], [], [], []
        for c in self.items:
            tq = c.t_queue
            w = c.wait if c.wait is not None else (end - tq if tq is not None else 0.0)
            times.append(c.arrival)
            fail_flags.append(c.demand == "failure")
            out = c.outcome
            if tq is not None:
                if t0 <= tq < end:  # Little's law: entries into the queue in the window
                    entered_n += 1
                    entered_w += w
                if c.channel in LIVE_CHANNELS and out != "ivr":
                    live_t.append(c.arrival)
                    live_w.append(w)
            if not c.counted:
                continue
            counted.append(c)
            outcomes[out] = outcomes.get(out, 0) + 1
            if c.demand == "failure":
                failure += 1
            a = acc[c.channel]
            a[0] += 1
            if out != "closed":
                a[1] += 1
                a[2] += w
                a[3] += c.queued
                a[4] += out == "answered" and w <= sl_s
                a[5] += c.abandoned
            if c.attempt == 1:
                done = c.done
                case_hours.append(((done if done is not None else end) - c.arrival) / 3600.0)
                case_resolved.append(done is not None)
                if out == "answered" and c.resolved is not None:
                    first_n += 1
                    first_ok += bool(c.resolved)
        offered = len(counted)
        per = {}
        for ch, (n_all, n, wait, queued, in_sl, abandoned) in acc.items():
            per[ch] = {
                "offered": float(n_all),
                "mean_wait_s": wait / n if n else NAN,
                "p_wait": queued / n if n else NAN,
                "service_level": in_sl / n if n else NAN,
                "abandon_rate": abandoned / n if n else NAN,
                "closed_share": (n_all - n) / n_all if n_all else NAN,
            }
        head = per[headline_channel(sc)]
        kpis: dict[str, float] = {
            "mean_wait_s": head["mean_wait_s"],
            "p_wait": head["p_wait"],
            "service_level": head["service_level"],
            "abandon_rate": head["abandon_rate"],
            "occupancy": self.busy_s / self.on_shift_s if self.on_shift_s else NAN,
            "contacts_offered": float(offered),
            "failure_share": failure / offered if offered else NAN,
            "agent_hours_failure": self.busy_failure_s / 3600.0,
            "agent_hours": self.busy_s / 3600.0,
            "one_stop": first_ok / first_n if first_n else NAN,
            "lost_closed": outcomes.get("closed", 0) / offered if offered else NAN,
            "interruptions": float(self.interruptions),
        }
        for ch, values in per.items():
            for name, v in values.items():
                kpis[f"{ch}.{name}"] = v
        if sc.closed_elsewhere is not None or sc.contact_windows is not None:
            kpis.update(self._hours_kpis(counted, headline_channel(sc)))  # flowkit.sim.windows
        if self.routed:  # only scenarios that route: the others' KPIs stay as they were
            kpis.update(self._routing_kpis(counted))
        lost_at: dict[str, float] = {}
        if sc.leaving is not None:  # customers who left (flowkit.sim.leaving)
            lost_kpis, lost_at = self._lost(counted)
            kpis.update(lost_kpis)
        window = end - t0
        series = {"failure demand": (np.array(times), np.array(fail_flags, dtype=float))}
        if live_t:
            series["real-time waits"] = (np.array(live_t), np.array(live_w))
        result = ReplicationResult(
            self.rep,
            kpis,
            offered=offered,
            outcomes=outcomes,
            little_L=self.wait_area / window,
            little_lambda_w=(entered_n / window) * (entered_w / entered_n) if entered_n else 0.0,
            warmup_hours=self.warmup_h,
            case_hours=np.array(case_hours),
            case_resolved=np.array(case_resolved, dtype=bool),
            series=series,
        )
        if self.keep_log:
            result.rows = self._rows(counted)
            result.left_at = lost_at
        return result

    def _rows(self, counted: list[Item]) -> list[tuple]:
        """The log rows (:data:`LOG_COLUMNS`) of the counted contacts, in one loop with the
        per-stream values looked up once: row building was a quarter of a run when logging."""
        t_end, prefix, used = self.t_end, self.prefix, self.used
        types = [s.type for s in self.sc.demand]
        rows: list[tuple[Any, ...]] = []
        append = rows.append
        for c in counted:
            k = c.stream
            wait = c.wait
            if wait is None:
                tq = c.t_queue
                wait = t_end - tq if tq is not None and c.outcome == "waiting" else None
            customer = prefix[k] + str(c.index)
            # ``abandoned`` as the customer (and a phone switch's log) sees it: a call that met a closed
            # line hung up unserved, so it is abandoned, with no wait. The queue KPIs are unaffected:
            # they are over calls offered while open; closed calls are counted in ``closed_share``.
            channel = c.channel
            abandoned = (c.abandoned or c.outcome == "closed") if channel == "phone" else None
            append(
                (
                    f"{customer}-{c.attempt}",
                    c.arrival,
                    channel,
                    customer,
                    c.demand,
                    c.demand_type,
                    c.failure_type,
                    types[k],
                    wait,
                    c.handle,
                    abandoned,
                    c.resolved,
                    customer,
                    c.agent,
                    c.team,
                    used[k],
                    c.handling,
                    c.answered,
                    c.ended,
                    c.outcome,
                    c.attempt,
                    c.t_queue,
                    c.interrupts,
                )
            )
        return rows
