"""A bank-like phone log in the Technion call-centre layout, generated from a known truth.

The queue here is written apart from ``flowkit.sim`` on purpose (a heap of events, no SimPy),
so that "calibrate, then simulate, reproduces the log" is tested against a generator's own
figures and never against the simulator's own output. What it plants:
- arrivals per half hour (a weekday and a Friday/Sunday shape, Saturday closed), by call type;
- a line open 07:00-24:00 (calls outside hear "closed" and hang up in the VRU: HANG, no queue);
- a VRU time, and callers who hang up in the VRU before queueing (HANG, ``q_start`` 0:00:00);
- one FCFS queue, named agents on shifts with a 30-minute break mid-shift (so idle time is
  not all on duty), service times lognormal per type, then after-call work that the log's
  ``ser_time`` does not show (as in real switch logs);
- patience lognormal, abandoning callers (HANG, NO_SERVER) who redial with some probability;
- customer ids: 0 (not identified) on about 60% of calls; ``call_id`` restarts per VRU line,
  so only ``[vru+line, call_id]`` is unique; a few PHANTOM rows.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BankTruth", "TechnionLog", "generate_technion", "truth_figures", "write_technion"]

COLUMNS = [
    "vru+line",
    "call_id",
    "customer_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
]
# calls per hour in each half hour of a working day (Mon-Thu, Sun); Friday is a short day
WORKDAY = [
    2,
    1,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    2,
    4,
    8,
    20,
    36,
    52,
    60,
    64,
    66,
    62,
    56,
    50,
    48,
    56,
    60,
    58,
    54,
    50,
    46,
    42,
    38,
    34,
    32,
    30,
    28,
    26,
    24,
    22,
    20,
    18,
    16,
    14,
    12,
    10,
    8,
    6,
    4,
]
AGENT_NAMES = [
    "DORIT",
    "TOVA",
    "AVNI",
    "YIFAT",
    "IDIT",
    "KAZAV",
    "SHARON",
    "MIKI",
    "MORIAH",
    "ANAT",
    "BASCH",
    "ZOHARI",
    "BENSION",
    "MICHAL",
    "STEREN",
    "AVIDAN",
    "GILI",
    "SHLOMO",
    "DARMON",
    "ELI",
    "NAAMA",
]


@dataclass(frozen=True)
class BankTruth:
    start: str = "1999-03-07"  # a Sunday: the bank's week starts on Sunday
    days: int = 7
    rate_scale: float = 1.5  # busy like a bank: agents ~60-70% occupied at the peaks
    types: dict = field(
        default_factory=lambda: {"PS": (0.70, 190.0, 1.0), "NW": (0.20, 110.0, 1.2), "NE": (0.10, 280.0, 0.9)}
    )  # share, mean handle s, cv
    open_from_h: float = 7.0
    shifts: tuple = ((7.0, 15.0, 4), (10.0, 18.0, 3), (15.0, 24.0, 3))  # start h, end h, agents (Sun-Thu)
    friday_shifts: tuple = ((7.0, 14.0, 3),)
    vru_mean_s: float = 12.0
    wrap_mean_s: float = 20.0  # after-call work: the agent is busy, the log's ser_time does not show it
    ivr_exit_p: float = 0.05
    patience_median_s: float = 150.0
    patience_sigma: float = 1.0
    redial_p: float = 0.35
    redial_mean_s: float = 900.0
    identified_p: float = 0.4
    customers: int = 2500
    phantom_p: float = 0.008
    lines: int = 6
    seed: int = 11


@dataclass
class TechnionLog:
    rows: pd.DataFrame  # the export, as text columns in the Technion layout
    truth: BankTruth


#: an agent on duty: (day, shift index)
Agent = tuple[int, int]
#: one call's record, filled in as it moves (times as float seconds or None, customer, type, outcome,
#: the serving Agent): fields of several types read back by _rows, hence Any for the values
Call = dict[str, Any]


def _rate(truth: BankTruth, day: pd.Timestamp, slot: int) -> float:
    dow = day.day_of_week  # Mon=0 .. Sun=6
    if dow == 5:  # Saturday: the line is closed, a few call anyway
        return 1.0 * truth.rate_scale
    scale = 0.6 if dow == 4 else 1.0
    if dow == 4 and slot >= 28:  # Friday after 14:00: closed, a few call anyway
        return 1.0 * truth.rate_scale
    return WORKDAY[slot] * scale * truth.rate_scale


def _duty(truth: BankTruth, day: pd.Timestamp) -> list[tuple[float, float, int]]:
    """(start s, end s, agent index) on-duty spells of a day: each shift with a 30-minute break in its middle."""
    dow = day.day_of_week
    shifts = () if dow == 5 else truth.friday_shifts if dow == 4 else truth.shifts
    spells, k = [], 0
    for start_h, end_h, n in shifts:
        for i in range(n):
            mid = (start_h + end_h) / 2 + (i % 3 - 1) * 0.75  # breaks staggered
            spells.append((start_h * 3600, mid * 3600, k))
            spells.append(((mid + 0.5) * 3600, end_h * 3600, k))
            k += 1
    return spells


def generate_technion(truth: BankTruth = BankTruth()) -> TechnionLog:
    rng = np.random.default_rng(truth.seed)
    t0 = pd.Timestamp(truth.start)
    names = list(truth.types)
    shares = np.array([truth.types[n][0] for n in names])
    shares = shares / shares.sum()
    # outside arrivals: Poisson per half hour
    arrivals = []
    for d in range(truth.days):
        day = t0 + pd.Timedelta(days=d)
        for slot in range(48):
            lam = _rate(truth, day, slot) / 2.0
            n = rng.poisson(lam)
            for t in np.sort(rng.uniform(0, 1800, n)):
                arrivals.append(d * 86400 + slot * 1800 + t)
    customers = rng.integers(10_000_000, 99_999_999, truth.customers)
    events: list = []
    seq = 0

    def push(t: float, kind: str, payload: Call | Agent) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, payload))

    calls: list[Call] = []
    for t in arrivals:
        ident = rng.random() < truth.identified_p
        cust = int(customers[rng.integers(truth.customers)]) if ident else 0
        push(t, "arrive", {"cust": cust, "type": names[rng.choice(len(names), p=shares)]})
    on_duty: set[tuple[int, int]] = set()
    idle: list[tuple[int, int]] = []
    queue: deque = deque()
    for d in range(truth.days):
        for a, b, k in _duty(truth, t0 + pd.Timedelta(days=d)):
            push(d * 86400 + a, "on", (d, k))
            push(d * 86400 + b, "off", (d, k))
    sigma2 = truth.patience_sigma**2
    busy_until: dict[tuple[int, int], float] = {}

    def serve(agent: Agent, call: Call, now: float) -> None:
        mean, cv = truth.types[call["type"]][1:]
        s2 = np.log1p(cv**2)
        h = float(rng.lognormal(np.log(mean) - s2 / 2, np.sqrt(s2)))
        wrap = float(rng.exponential(truth.wrap_mean_s)) if truth.wrap_mean_s > 0 else 0.0
        call.update(outcome="AGENT", ser_start=now, ser_time=h, agent=agent)
        busy_until[agent] = now + h + wrap
        push(now + h + wrap, "done", agent)

    def next_call(agent: Agent, now: float) -> None:
        while queue:
            call = queue.popleft()
            if call["outcome"] is None:
                call["q_exit"] = now
                serve(agent, call, now)
                return
        idle.append(agent)

    while events:
        now, _, kind, p = heapq.heappop(events)
        if kind == "arrive":
            vru = float(rng.exponential(truth.vru_mean_s))
            call = {
                "entry": now,
                "vru_exit": now + vru,
                "cust": p["cust"],
                "type": p["type"],
                "outcome": None,
                "q_start": None,
                "q_exit": None,
                "ser_start": None,
                "ser_time": 0.0,
                "agent": None,
            }
            calls.append(call)
            tod = now % 86400
            dow = (t0 + pd.Timedelta(days=int(now // 86400))).day_of_week
            closed = tod < truth.open_from_h * 3600 or dow == 5 or (dow == 4 and tod >= 14 * 3600)
            if closed or rng.random() < truth.ivr_exit_p:
                call["outcome"] = "HANG"  # closed line, or gave up in the VRU
                continue
            push(now + vru, "queue", call)
        elif kind == "queue":
            call = p
            if idle:
                serve(idle.pop(0), call, now)  # longest idle first
            else:
                call["q_start"] = now
                queue.append(call)
                patience = float(rng.lognormal(np.log(truth.patience_median_s), np.sqrt(sigma2)))
                push(now + patience, "abandon", call)
        elif kind == "abandon":
            call = p
            if call["outcome"] is None:
                call.update(outcome="HANG", q_exit=now)
                if rng.random() < truth.redial_p:
                    push(
                        now + float(rng.exponential(truth.redial_mean_s)),
                        "arrive",
                        {"cust": call["cust"], "type": call["type"]},
                    )
        elif kind == "on":
            on_duty.add(p)
            if busy_until.get(p, -1) <= now:
                next_call(p, now)
        elif kind == "off":
            on_duty.discard(p)
            if p in idle:
                idle.remove(p)
        elif kind == "done" and p in on_duty:
            next_call(p, now)
    rows = _rows(calls, truth, t0, rng)
    return TechnionLog(rows, truth)


def _clock(s: float | None) -> str:
    if s is None:
        return "0:00:00"
    s = round(s) % 86400
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _rows(calls: list[Call], truth: BankTruth, t0: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    calls = sorted(calls, key=lambda c: c["entry"])
    next_id = {line: 34_000 + 150 * i for i, line in enumerate(range(truth.lines))}  # ranges overlap across lines
    out = []
    for c in calls:
        line = int(rng.integers(truth.lines))
        next_id[line] += 1
        day = t0 + pd.Timedelta(days=int(c["entry"] // 86400))
        outcome = c["outcome"] or "HANG"
        queued = c["q_start"] is not None
        q_time = (c["q_exit"] - c["q_start"]) if queued and c["q_exit"] is not None else 0.0
        served = outcome == "AGENT"
        prio = 0 if c["cust"] == 0 else int(rng.choice([1, 2], p=[0.35, 0.65]))
        out.append(
            {
                "vru+line": f"AA01{line + 1:02d}",
                "call_id": str(next_id[line] % 40_000),
                "customer_id": str(c["cust"]),
                "priority": str(prio),
                "type": c["type"],
                "date": day.strftime("%y%m%d"),
                "vru_entry": _clock(c["entry"]),
                "vru_exit": _clock(c["vru_exit"]),
                "vru_time": str(round(c["vru_exit"] - c["entry"])),
                "q_start": _clock(c["q_start"]) if queued else "0:00:00",
                "q_exit": _clock(c["q_exit"]) if queued else "0:00:00",
                "q_time": str(round(q_time)),
                "outcome": outcome,
                "ser_start": _clock(c["ser_start"]) if served else "0:00:00",
                "ser_exit": _clock(c["ser_start"] + c["ser_time"]) if served else "0:00:00",
                "ser_time": str(round(c["ser_time"])) if served else "0",
                "server": AGENT_NAMES[c["agent"][1] % len(AGENT_NAMES)] if served else "NO_SERVER",
            }
        )
    df = pd.DataFrame(out, columns=COLUMNS)
    # a few PHANTOM rows (not real calls), as the real export has
    n = int(len(df) * truth.phantom_p)
    if n:
        ph = df.sample(n, random_state=int(rng.integers(1 << 31))).copy()
        ph["outcome"], ph["server"] = "PHANTOM", "NO_SERVER"
        ph["call_id"] = (ph["call_id"].astype(int) + 20_000).astype(str)
        df = pd.concat([df, ph]).sort_values(["date", "vru_entry"], kind="stable", ignore_index=True)
    return df


def truth_figures(rows: pd.DataFrame) -> dict[str, float]:
    """The generator's own figures, as the bank-fit check computes them from a raw file: calls offered
    per day (AGENT + HANG), abandonment over offered (IVR and closed-line hang-ups included), mean
    wait over offered (q_time; 0 when never queued)."""
    d = rows[rows["outcome"].isin(["AGENT", "HANG"])]
    days = d["date"].nunique()
    return {
        "calls_per_day": len(d) / days,
        "abandon_rate": float((d["outcome"] == "HANG").mean()),
        "mean_wait_s": float(pd.to_numeric(d["q_time"]).fillna(0).mean()),
    }


def write_technion(log: TechnionLog, path: str | Path) -> Path:
    """Tab-separated with CRLF line ends, like the original export."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    log.rows.to_csv(path, sep="\t", index=False, lineterminator="\r\n")
    return path
