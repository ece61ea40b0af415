"""The bundled samples' closed line and callbacks: what the phone switch logs beyond answered calls.

:func:`flowkit.synth.generate.generate` only lets calls in while the line is open. This adds,
to its log and with a truth the report can be read against, what a phone switch and its
callback add-on record:

- calls that met the closed line (abandoned, no agent): of the identified customers' closed-line
  episodes, ``p_redial`` are followed by a call in the first two hours after the next opening
  (an existing early-morning call of that customer), ``p_elsewhere`` by an e-mail or web form
  within the following hours, and the rest by nothing; a quarter more come from withheld numbers;
- ``callback_promised`` on a share of unresolved answered calls, and outbound calls
  (``direction`` OUT): in time, late, or never - more often never for faults, which also come
  back more by themselves (the confounding); a customer whose callback never came chases it
  ("promise not kept", failure demand) with ``p_chase`` more.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from flowkit.analyse.hours import grid_from_text, next_opening, week_slot
from flowkit.synth.demand_types import ALL_TYPES, DemandType

__all__ = ["SAMPLE_CONTACTS", "SAMPLE_HOURS", "SampleHours", "add_closed_line_and_callbacks", "hours_for"]


@dataclass(frozen=True)
class SampleHours:
    phone_hours: str = "Mon-Fri 08:00-18:00; Sat 09:00-14:00"  # the generator's phone opening hours
    episodes: int = 900  # identified customers who meet the closed line
    p_redial: float = 0.55
    p_elsewhere: float = 0.2
    withheld_share: float = 0.25  # more closed-line calls, from withheld numbers
    p_promise: float = 0.4  # of unresolved answered phone calls
    p_missed: tuple[float, float] = (0.2, 0.5)  # other demand types, faults (the confounding)
    p_late: float = 0.25  # of the callbacks not made in time, made days later
    p_chase: float = 0.3  # a customer whose callback never came chases it


SAMPLE_HOURS = SampleHours()
#: the bundled samples' size, for which ``SAMPLE_HOURS.episodes`` was set
SAMPLE_CONTACTS = 30_000


def hours_for(contacts: int, truth: SampleHours = SAMPLE_HOURS) -> SampleHours:
    """``truth`` with its closed-line episodes in proportion to a log of ``contacts`` (900 per 30,000):
    a 500-contact sample with 900 closed-line episodes would be mostly calls to a closed line."""
    return replace(truth, episodes=max(1, round(truth.episodes * contacts / SAMPLE_CONTACTS)))


#: None (and pd.NA) as np.where's other branch, made the object array numpy makes of it anyway
#: (numpy's stubs take no bare None)
_NONE = np.array(None, dtype=object)
_HARD = ("fault report", "still not fixed")


def _rows(log: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` empty rows in the log's columns."""
    return pd.DataFrame({c: pd.Series([None] * n, dtype=object) for c in log.columns})


def add_closed_line_and_callbacks(log: pd.DataFrame, seed: int = 7, truth: SampleHours = SAMPLE_HOURS) -> pd.DataFrame:
    """``log`` (from ``generate``) with closed-line calls, callback promises and outbound calls added."""
    rng = np.random.default_rng(seed + 16)
    grid = grid_from_text(truth.phone_hours)
    log = log.copy()
    log["callback_promised"] = np.where(log["channel"].eq("phone"), "nie", _NONE)
    log["direction"] = np.where(log["channel"].eq("phone"), "IN", _NONE)
    t = pd.to_datetime(log["received_at"])
    cust = log["customer_id"].astype(str)
    prev_gap = t - t.groupby(cust).shift(1)
    quiet = prev_gap.isna() | (prev_gap > pd.Timedelta(hours=24))  # nothing in the day before
    slot = week_slot(t)
    early = grid[slot] & ~grid[(slot - 2) % 168]  # the first two hours after an opening
    phone = log["channel"].eq("phone").to_numpy() & ~log["abandoned"].astype("boolean").fillna(False).to_numpy(bool)
    n_redial = round(truth.episodes * truth.p_redial)
    n_else = round(truth.episodes * truth.p_elsewhere)
    n_lost = truth.episodes - n_redial - n_else
    pool = np.flatnonzero(phone & early & quiet.to_numpy())
    redial = rng.choice(pool, size=min(n_redial, pool.size), replace=False)
    # before the opening: the evening before (10-14 h earlier) or early that morning (up to 2 h)
    opening = t.iloc[redial].dt.floor("h") - pd.to_timedelta((slot[redial] - _opening_slot(grid, slot[redial])), "h")
    back = np.where(rng.random(redial.size) < 0.6, rng.uniform(10, 14, redial.size), rng.uniform(0.2, 2, redial.size))
    # (who, when, which episode) of each group of tries
    tries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [
        (cust.iloc[redial].to_numpy(), (opening - pd.to_timedelta(back, "h")).to_numpy(), redial)
    ]
    written = log["channel"].isin(["email", "web"]).to_numpy()
    delta = pd.to_timedelta(rng.uniform(1, 10, len(log)), "h")
    before = t - delta
    ok = written & ~grid[week_slot(before)] & (prev_gap.isna() | (prev_gap > delta)).to_numpy()
    pool = np.flatnonzero(ok)
    gone = rng.choice(pool, size=min(n_else, pool.size), replace=False)
    tries.append((cust.iloc[gone].to_numpy(), before.iloc[gone].to_numpy(), gone))
    closed_slots = np.flatnonzero(~grid)
    w = np.where((closed_slots % 24 >= 18) & (closed_slots % 24 < 22), 4.0, 1.0)  # evenings most
    start = t.min().normalize() - pd.Timedelta(days=t.min().day_of_week)
    weeks = max(1, int((t.max() - start) / pd.Timedelta(days=7)))

    def closed_times(n: int) -> np.ndarray:
        s = rng.choice(closed_slots, size=n, p=w / w.sum())
        wk = rng.integers(0, weeks, n)
        return (start + pd.to_timedelta(wk * 168 + s, "h") + pd.to_timedelta(rng.integers(0, 3600, n), "s")).to_numpy()

    lost_ids = np.char.add("KL-9", np.char.zfill(np.arange(n_lost).astype(str), 5))
    tries.append((lost_ids, closed_times(n_lost), np.full(n_lost, -1)))
    n_hidden = round(truth.episodes * truth.withheld_share)
    tries.append((np.full(n_hidden, None, dtype=object), closed_times(n_hidden), np.full(n_hidden, -1)))
    who = np.concatenate([x[0] for x in tries]).astype(object)
    when = np.concatenate([x[1] for x in tries])
    src = np.concatenate([x[2] for x in tries])
    closed = _rows(log, len(who))
    closed["received_at"], closed["customer_id"], closed["channel"] = when, who, "phone"
    closed["abandoned"], closed["resolved"], closed["wait_s"] = True, False, 0.0
    closed["callback_promised"], closed["direction"] = "nie", "IN"
    closed["demand"] = "unknown"
    lang = log["language"].to_numpy(dtype=object)
    closed["language"] = np.where(src >= 0, lang[np.maximum(src, 0)], "pl")
    return _callbacks(log, closed, rng, truth)


def _opening_slot(grid: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """The open hour of the week at which each (open) slot's opening started."""
    out = slot.copy()
    for _ in range(3):
        step = grid[(out - 1) % 168]
        out = np.where(step, out - 1, out)
    return out


def _callbacks(log: pd.DataFrame, closed: pd.DataFrame, rng: np.random.Generator, tr: SampleHours) -> pd.DataFrame:
    t = pd.to_datetime(log["received_at"])
    answered = log["channel"].eq("phone") & log["agent_id"].notna() & log["resolved"].eq(False)
    cand = np.flatnonzero(answered.to_numpy() & log["customer_id"].notna().to_numpy())
    promised = cand[rng.random(cand.size) < tr.p_promise]
    log.loc[log.index[promised], "callback_promised"] = "tak"
    hard = log["demand_type"].iloc[promised].isin(_HARD).to_numpy()
    never = rng.random(promised.size) < np.where(hard, tr.p_missed[1], tr.p_missed[0])
    late = never & (rng.random(promised.size) < tr.p_late)
    at = t.iloc[promised].reset_index(drop=True)
    grid = grid_from_text(tr.phone_hours)
    kept_at = at + pd.to_timedelta(rng.uniform(0.5, 4, promised.size), "h")
    shut = ~grid[week_slot(kept_at)]
    kept_at[shut] = next_opening(kept_at[shut], grid) + pd.to_timedelta(rng.uniform(0, 1, shut.sum()), "h")
    late_at = at + pd.to_timedelta(rng.uniform(50, 96, promised.size), "h")
    late_at[~grid[week_slot(late_at)]] = next_opening(late_at[~grid[week_slot(late_at)]], grid)
    made = ~never | late
    out = _rows(log, int(made.sum()))
    out["received_at"] = np.where(never, late_at, kept_at)[made]
    out["customer_id"] = log["customer_id"].iloc[promised].to_numpy()[made]
    out["channel"], out["direction"], out["callback_promised"] = "phone", "OUT", "nie"
    out["agent_id"] = log["agent_id"].iloc[promised].to_numpy()[made]
    out["team"], out["wait_s"], out["abandoned"] = "front", 0.0, False
    out["handle_s"] = np.round(rng.lognormal(np.log(150), 0.5, len(out)))
    out["demand"] = "unknown"
    out["language"] = log["language"].iloc[promised].to_numpy()[made]
    # a callback that never came is chased: the customer calls or writes about the broken promise
    chase = never & ~late & (rng.random(promised.size) < tr.p_chase)
    kind = next(x for x in ALL_TYPES if x.name == "promise not kept")
    ch = np.where(rng.random(int(chase.sum())) < 0.6, "phone", "email")
    c_at = at[chase] + pd.to_timedelta(rng.uniform(26, 120, int(chase.sum())), "h")
    shut = (ch == "phone") & ~grid[week_slot(c_at)]
    c_at[shut] = next_opening(c_at[shut], grid) + pd.to_timedelta(rng.uniform(0, 3, int(shut.sum())), "h")
    chased = _rows(log, int(chase.sum()))
    chased["received_at"], chased["channel"] = c_at.to_numpy(), ch
    chased["customer_id"] = log["customer_id"].iloc[promised].to_numpy()[chase]
    langs = log["language"].iloc[promised].to_numpy()[chase]
    chased["language"] = langs
    chased["text"] = [_say(rng, kind, lg, c) for lg, c in zip(langs, ch, strict=True)]
    chased["demand"], chased["demand_type"], chased["failure_type"] = "failure", kind.name, kind.failure_type
    chased["handle_s"] = np.round(rng.lognormal(np.log(kind.handle_mean_s), 0.5, len(chased)))
    chased["abandoned"] = np.where(ch == "phone", False, _NONE)
    chased["resolved"], chased["wait_s"] = True, np.where(ch == "phone", 30.0, np.nan)
    chased["agent_id"] = np.where(ch == "phone", log["agent_id"].iloc[promised].to_numpy()[chase], _NONE)
    chased["team"] = np.where(ch == "phone", "front", "back office")
    chased["handling"] = "one_stop"
    chased["callback_promised"] = np.where(ch == "phone", "nie", _NONE)
    chased["direction"] = np.where(ch == "phone", "IN", _NONE)
    added = _stack([closed, out, chased])
    prefix = np.where(added["channel"].eq("email"), "EM-8", "TEL-8")
    added["contact_id"] = prefix + pd.Series(np.arange(1, len(added) + 1)).astype(str).str.zfill(6)
    added["source_file"] = "generated"
    both = _stack([log, added.astype({"received_at": "datetime64[ns]"})])
    return both.sort_values("received_at", kind="stable").reset_index(drop=True)


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of ``frames`` one after another; a column all missing in one frame takes its dtype from the others
    (what pandas did before 2.1, said here instead of left to a deprecated default)."""
    kept = [f.dropna(axis=1, how="all") for f in frames if len(f)]
    out = pd.concat(kept, ignore_index=True)
    order = list(dict.fromkeys(c for f in frames for c in f.columns))
    return out.reindex(columns=order)


def _say(rng: np.random.Generator, kind: DemandType, lang: str, channel: str) -> str:
    pool = (
        (kind.notes.get(lang) or kind.notes["pl"]) if channel == "phone" else (kind.texts.get(lang) or kind.texts["pl"])
    )
    return str(pool[rng.integers(0, len(pool))])
