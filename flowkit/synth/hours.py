"""Planted truth for "when to call back, when to be open": a log whose closed-line and callback answers are known.

Customers want to call at any hour (evenings and Sunday too); the phone and chat lines keep
their opening hours. A customer who meets a closed line (logged as an abandoned 'closed'
attempt, some without a number - withheld - and some without the outcome) redials in the
first ``redial_within_h`` hours after the next opening with probability ``p_redial``, or turns
up by e-mail within half a day (``p_elsewhere``), or is lost. Answered contacts may get a
callback promise; the callback (an outbound call) comes within a day, late, or never. Missed
callbacks are confounded the way real ones are: fault reports, chat contacts and customers who
call a lot are more often let down *and* more often back with failure demand anyway, so the
naive kept-versus-missed difference overstates the planted ``extra_failure`` (a risk difference).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flowkit import schema
from flowkit.analyse.hours import grid_from_text, next_opening, week_slot

__all__ = ["HoursTruth", "generate_hours_log"]

_HOURS = np.array([0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.4, 1.2, 2.4, 3.0, 3.0, 2.7, 2.3, 2.6, 2.6, 2.4, 2.2, 2.0,
                   1.8, 1.7, 1.5, 1.0, 0.6, 0.35])  # fmt: skip
_DAYS = np.array([1.3, 1.0, 1.0, 1.0, 1.0, 0.6, 0.4])
_TYPES = ("fault report", "billing question", "change plan")
_TYPE_P = (0.35, 0.4, 0.25)
#: None (and pd.NA) as np.where's other branch, made the object array numpy makes of it anyway
#: (numpy's stubs take no bare None)
_NONE = np.array(None, dtype=object)
_NA = np.array(pd.NA, dtype=object)
_HANDLE = {"fault report": 540.0, "billing question": 360.0, "change plan": 420.0}


@dataclass(frozen=True)
class HoursTruth:
    """What the generator plants (probabilities; ``extra_failure`` is a risk difference)."""

    open_hours: dict[str, str] = field(
        default_factory=lambda: {"phone": "Mon-Fri 08:00-18:00; Sat 09:00-13:00", "chat": "Mon-Sat 08:00-20:00"}
    )
    p_redial: float = 0.55
    redial_within_h: float = 2.0
    p_elsewhere: float = 0.25
    withheld_p: float = 0.25  # customers whose number (and so every contact) the log does not identify
    p_promise: float = 0.35
    within_h: float = 24.0
    extra_failure: float = 0.20
    days: float = 7.0
    weeks: int = 10

    def p_missed(self, fault: np.ndarray, chat: np.ndarray, earlier: np.ndarray) -> np.ndarray:
        z = -1.8 + 1.5 * fault + 1.0 * chat + 0.6 * np.minimum(earlier, 4)
        return 1 / (1 + np.exp(-z))

    def p_failure(self, fault: np.ndarray, chat: np.ndarray, earlier: np.ndarray, missed: np.ndarray) -> np.ndarray:
        return 0.04 + 0.18 * fault + 0.08 * chat + 0.07 * np.minimum(earlier, 4) + self.extra_failure * missed


def _open(t: pd.Series, grid: np.ndarray) -> np.ndarray:
    return grid[week_slot(t)]


def generate_hours_log(
    n_customers: int = 12_000, seed: int = 0, truth: HoursTruth | None = None, start: str = "2026-01-05"
) -> pd.DataFrame:
    """A classified contact table with ``outcome``, ``direction`` and ``callback_promised`` columns."""
    tr = truth or HoursTruth()
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start).normalize()
    t0 = t0 - pd.Timedelta(days=t0.day_of_week)  # a Monday
    grids = {ch: grid_from_text(text) for ch, text in tr.open_hours.items()}
    n = n_customers
    # each customer's one need: wanted at any hour, in weeks 5 to the last but one
    w = np.outer(_DAYS, _HOURS).ravel()
    slot = rng.choice(168, size=n, p=w / w.sum())
    week = rng.integers(4, tr.weeks - 1, n)
    want = pd.Series(t0 + pd.to_timedelta(week * 7 * 86400 + slot * 3600 + rng.integers(0, 3600, n), unit="s"))
    channel = np.where(rng.random(n) < 0.75, "phone", "chat")
    heavy = rng.random(n) < 0.35
    n_prior = rng.poisson(np.where(heavy, 2.0, 0.4))
    rows: list[pd.DataFrame] = []

    def add(
        cust: np.ndarray, at: np.ndarray | pd.DatetimeIndex, ch: str | np.ndarray, **cols: str | bool | np.ndarray
    ) -> None:
        rows.append(pd.DataFrame({"customer_id": cust, "received_at": at, "channel": ch, **cols}))

    # earlier contacts: answered, in open phone hours, one to four weeks before the need
    pc = np.repeat(np.arange(n), n_prior)
    open_slots = np.flatnonzero(grids["phone"])
    p_slot = open_slots[rng.integers(0, open_slots.size, pc.size)]
    p_at = t0 + pd.to_timedelta(
        (week[pc] - rng.integers(1, 5, pc.size)) * 7 * 86400 + p_slot * 3600 + rng.integers(0, 3600, pc.size), unit="s"
    )
    add(pc, p_at, "phone", demand_type="billing question", answered=True)
    closed = np.array([not grids[channel[i]][s] for i, s in enumerate(slot)])
    ci = np.flatnonzero(closed)
    anonymous = rng.random(n) < tr.withheld_p  # a withheld number, on every contact the customer makes
    withheld = anonymous[ci]
    add(ci, want.iloc[ci].to_numpy(), channel[ci], outcome="closed")
    # a second try while still closed, 5-60 minutes later
    again_t = want.iloc[ci] + pd.to_timedelta(rng.integers(300, 3600, ci.size), unit="s")
    again = (rng.random(ci.size) < 0.15) & np.array(
        [not grids[channel[i]][s] for i, s in zip(ci, week_slot(again_t), strict=True)]
    )
    add(ci[again], again_t[again].to_numpy(), channel[ci][again], outcome="closed")
    last_try = np.where(again, again_t.to_numpy(), want.iloc[ci].to_numpy())
    u = rng.random(ci.size)
    served_at = want.copy()
    served_ch = channel.astype(object).copy()
    served = ~closed
    redial = u < tr.p_redial
    opening = np.empty(ci.size, dtype="datetime64[ns]")
    for ch, grid in grids.items():
        on = channel[ci] == ch
        opening[on] = next_opening(pd.Series(last_try[on]), grid).to_numpy()
    scale = 1800.0
    cap = tr.redial_within_h * 3600.0
    delay = -scale * np.log1p(-rng.random(ci.size) * (1 - np.exp(-cap / scale)))  # exponential truncated at cap
    r = ci[redial]
    served_at.iloc[r] = pd.DatetimeIndex(opening[redial]) + pd.to_timedelta(delay[redial], unit="s")
    served[r] = True
    gone = ci[(u >= tr.p_redial) & (u < tr.p_redial + tr.p_elsewhere)]
    lt = pd.Series(last_try)[(u >= tr.p_redial) & (u < tr.p_redial + tr.p_elsewhere)].to_numpy()
    served_at.iloc[gone] = pd.DatetimeIndex(lt) + pd.to_timedelta(rng.uniform(3600, 12 * 3600, gone.size), unit="s")
    served_ch[gone] = "email"
    served[gone] = True
    s_idx = np.flatnonzero(served)
    dtype = np.asarray(_TYPES, dtype=object)[rng.choice(3, size=s_idx.size, p=_TYPE_P)]
    live = np.isin(served_ch[s_idx], ["phone", "chat"])
    dropped = live & (rng.random(s_idx.size) < 0.05)  # in-hours abandons, never back
    # no callback can be promised to a withheld number
    promise = ~dropped & ~anonymous[s_idx] & (rng.random(s_idx.size) < tr.p_promise)
    add(s_idx, served_at.iloc[s_idx].to_numpy(), served_ch[s_idx], demand_type=dtype, answered=~dropped,
        callback_promised=promise)  # fmt: skip
    # the promise: the customer's earlier contacts as the log shows them (earlier contacts, identified tries)
    pi = s_idx[promise]
    seen_tries = np.zeros(n)
    np.add.at(seen_tries, ci, ~withheld)
    np.add.at(seen_tries, ci[again], ~withheld[again])
    earlier = n_prior[pi] + seen_tries[pi]
    fault = (dtype[promise] == "fault report").astype(float)
    chat = (served_ch[pi] == "chat").astype(float)
    missed = rng.random(pi.size) < tr.p_missed(fault, chat, earlier)
    at = pd.DatetimeIndex(served_at.iloc[pi].to_numpy())
    kept_at = at + pd.to_timedelta(rng.uniform(1800, tr.within_h * 3600 - 60, pi.size), unit="s")
    late = missed & (rng.random(pi.size) < 0.3)
    late_at = at + pd.to_timedelta(rng.uniform(tr.within_h * 3600 + 3600, 4 * 86400, pi.size), unit="s")
    made = ~missed | late
    add(pi[made], np.where(missed, late_at, kept_at)[made], "phone", demand_type="callback", answered=True,
        direction="outbound")  # fmt: skip
    fails = rng.random(pi.size) < tr.p_failure(fault, chat, earlier, missed.astype(float))
    f_at = pd.Series(at[fails] + pd.to_timedelta(rng.uniform(3600, 5 * 86400, fails.sum()), unit="s"))
    f_ch = np.where(rng.random(fails.sum()) < 0.6, "email", "phone")
    shut = (f_ch == "phone") & ~_open(f_at, grids["phone"])
    f_at[shut] = next_opening(f_at[shut], grids["phone"]) + pd.to_timedelta(rng.integers(0, 3600, shut.sum()), "s")
    add(pi[fails], f_at.to_numpy(), f_ch, demand_type="progress chasing", demand="failure", answered=True)
    return _assemble(pd.concat(rows, ignore_index=True), anonymous, rng)


def _assemble(d: pd.DataFrame, anonymous: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    n = len(d)
    d["demand"] = d["demand"].fillna("value") if "demand" in d else "value"
    answered = d["answered"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    closed = d["outcome"].eq("closed").to_numpy()
    base = d["demand_type"].map(_HANDLE).fillna(300.0).to_numpy(dtype=float)
    handle = rng.lognormal(np.log(base) - 0.18, 0.6)
    d["handle_s"] = np.where(answered, np.round(handle), np.nan)
    d["wait_s"] = np.where(closed, 0.0, np.round(rng.exponential(60.0, n)))
    d["abandoned"] = np.where(d["channel"].isin(["phone", "chat"]), ~answered, _NA)
    d["outcome"] = np.where(closed, "closed", np.where(answered, "answered", "abandoned")).astype(object)
    d.loc[closed & (rng.random(n) < 0.2), "outcome"] = None  # dirt: the switch did not say why
    d["agent_id"] = np.where(answered, np.char.add("AG", rng.integers(10, 60, n).astype(str)), _NONE)
    d["direction"] = d["direction"].fillna("inbound") if "direction" in d else "inbound"
    d["callback_promised"] = (
        d["callback_promised"].astype("boolean").fillna(False) if "callback_promised" in d else False
    )
    cust = "CU" + d["customer_id"].astype(int).astype(str).str.zfill(6)
    hidden = anonymous[d["customer_id"].to_numpy(dtype=int)] & d["direction"].eq("inbound").to_numpy()
    d["customer_id"] = cust.mask(hidden, None)
    d["demand_type"] = d["demand_type"].fillna("(unknown)").mask(closed, None)
    d = d.drop(columns="answered")
    d = d.sort_values("received_at", kind="stable").reset_index(drop=True)
    d["contact_id"] = [f"Q{j:07d}" for j in range(len(d))]
    d["case_id"] = None
    d["source_file"] = "synth:hours"
    return schema.conform(d)
