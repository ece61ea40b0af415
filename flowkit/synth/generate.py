"""Generate a contact log from a known ground truth, of any size, reproducibly.

Value demand arrives over eight weeks by hour and weekday; some of it is not resolved and
comes back as failure demand (chasing, not done, not resolved) through any channel, and
some failure demand stands alone (billing errors, unclear letters, complaints). Every
contact keeps its true label, so classification and analysis can be scored against it.
All of it is vectorised with one ``numpy.random.Generator``: a million contacts take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from flowkit import schema
from flowkit.synth.demand_types import ALL_TYPES, FOLLOW_UP_TYPES, STANDALONE_FAILURES, VALUE_TYPES, DemandType
from flowkit.synth.phone_queue import PATIENCE_S, phone_queue
from flowkit.synth.truth import TE_PREFIX, handles, is_new_agent, plant, prepare

__all__ = ["TRUTH_COLUMNS", "Organisation", "generate"]

LANGS = ("pl", "en", "ru")
TRUTH_COLUMNS = ["contact_id", "demand", "demand_type", "failure_type", "language"]


@dataclass(frozen=True)
class Organisation:
    """The knobs of the example organisation; defaults give the bundled samples."""

    start: str = "2026-08-31"  # a Monday
    weeks: int = 8
    lang_p: tuple[float, float, float] = (0.6, 0.25, 0.15)
    # channel choice by language: phone, email, web, chat
    channel_p: dict | None = None
    standalone_failure_share: float = 0.13
    recontact_p: float = 0.65  # an unresolved contact comes back
    recontact_median_h: float = 40.0
    contacts_per_customer: float = 0.5  # far more customers than contacts: repeats come from failures

    def channels_for(self, lang: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
        table = self.channel_p or {
            "pl": (("phone", "email", "web"), (0.55, 0.2, 0.25)),
            "en": (("phone", "email", "web", "chat"), (0.4, 0.25, 0.2, 0.15)),
            "ru": (("chat", "phone", "email", "web"), (0.5, 0.2, 0.15, 0.15)),
        }
        return table[lang]


# hour-of-day weights (Mon-Fri); weekend days scale them down
_HOURS = np.array(
    [
        0.2,
        0.1,
        0.05,
        0.05,
        0.05,
        0.1,
        0.3,
        0.8,
        2.2,
        3.0,
        3.1,
        2.7,
        2.2,
        2.6,
        2.6,
        2.3,
        2.0,
        1.7,
        1.2,
        1.0,
        0.9,
        0.8,
        0.6,
        0.4,
    ]
)
_DAYS = np.array([1.25, 1.05, 1.0, 0.97, 0.9, 0.45, 0.25])
# when each channel takes contacts (phone and chat have opening hours; written channels never close)
_OPEN = {"phone": ((8, 18), (9, 14), None), "chat": ((8, 20), (9, 16), (9, 16))}


def _times(rng: np.random.Generator, channels: np.ndarray, org: Organisation) -> np.ndarray:
    """Arrival times by hour and weekday profile, inside each channel's opening hours."""
    n = len(channels)
    out = np.empty(n, dtype="datetime64[s]")
    start = np.datetime64(org.start, "s")
    days = org.weeks * 7
    for ch in np.unique(channels):
        idx = np.flatnonzero(channels == ch)
        w = np.outer(np.tile(_DAYS, org.weeks), _HOURS)  # day x hour
        hours = _OPEN.get(str(ch))
        if hours:
            mask = np.zeros_like(w)
            for d in range(days):
                span = hours[0] if d % 7 < 5 else hours[1] if d % 7 == 5 else hours[2]
                if span:
                    mask[d, span[0] : span[1]] = 1
            w = w * mask
        p = (w / w.sum()).ravel()
        slot = rng.choice(p.size, size=idx.size, p=p)
        secs = slot.astype(np.int64) * 3600 + rng.integers(0, 3600, size=idx.size)
        out[idx] = start + secs.astype("timedelta64[s]")
    return out


def _pick_types(rng: np.random.Generator, group: tuple[DemandType, ...], size: int) -> np.ndarray:
    weights = np.array([t.weight for t in group])
    return rng.choice(len(group), size=size, p=weights / weights.sum())


def _verbatims(
    rng: np.random.Generator, types: list[DemandType], type_idx: np.ndarray, lang: np.ndarray, channel: np.ndarray
) -> np.ndarray:
    """Customer words for written channels; agents' notes (Polish or English) for calls."""
    text = np.empty(len(type_idx), dtype=object)
    for ti, t in enumerate(types):
        for lg in LANGS:
            for is_phone in (True, False):
                idx = np.flatnonzero((type_idx == ti) & (lang == lg) & ((channel == "phone") == is_phone))
                if not idx.size:
                    continue
                if is_phone:
                    pool = t.notes.get(lg) or t.notes["pl"]  # agents write Polish notes for Russian callers
                    pool = pool + (t.texts[lg] if lg != "ru" else ())
                else:
                    pool = t.texts[lg]
                text[idx] = np.asarray(pool, dtype=object)[rng.integers(0, len(pool), idx.size)]
    return text


def generate(n_contacts: int, seed: int = 7, org: Organisation | None = None) -> pd.DataFrame:
    """A contact table of exactly ``n_contacts`` rows plus the truth columns of :data:`TRUTH_COLUMNS`."""
    if n_contacts < 1:
        raise ValueError(f"n_contacts must be at least 1, got {n_contacts}")
    org = org or Organisation()
    rng = np.random.default_rng(seed)
    n_customers = max(1, int(n_contacts / org.contacts_per_customer))
    cust_lang = rng.choice(len(LANGS), size=n_customers, p=org.lang_p)

    follow_share = org.recontact_p * 0.3 / (1 - org.recontact_p * 0.45)
    n_base = max(1, int(n_contacts * (1 - org.standalone_failure_share) / (1 + follow_share)))
    n_alone = max(0, int(n_contacts * org.standalone_failure_share))

    types = list(ALL_TYPES)
    v0, f0, s0 = 0, len(VALUE_TYPES), len(VALUE_TYPES) + len(FOLLOW_UP_TYPES)
    cust = rng.integers(0, n_customers, n_base + n_alone)
    type_idx = np.concatenate(
        [v0 + _pick_types(rng, VALUE_TYPES, n_base), s0 + _pick_types(rng, STANDALONE_FAILURES, n_alone)]
    )
    channel = _channels(rng, cust_lang[cust], org)
    times = _times(rng, channel, org)
    parent = np.full(len(cust), -1)
    gen_cust, gen_type, gen_chan, gen_time, gen_parent = [cust], [type_idx], [channel], [times], [parent]
    resolve_p = np.array([t.resolve_p for t in types])
    end = np.datetime64(org.start, "s") + np.timedelta64(org.weeks * 7 * 86400, "s")

    # the failure-demand loop: unresolved contacts return, up to four times
    uniforms = [rng.random(len(cust))]  # kept: planted data-use effects move resolution from these
    resolved = [uniforms[0] < resolve_p[type_idx]]
    offset = 0
    for _ in range(4):
        c, tm, res = gen_cust[-1], gen_time[-1], resolved[-1]
        back = ~res & (rng.random(len(c)) < org.recontact_p)
        delay = rng.lognormal(np.log(org.recontact_median_h * 3600), 0.8, back.sum()).astype(np.int64)
        when = tm[back] + delay.astype("timedelta64[s]")
        inside = when < end
        src = np.flatnonzero(back)[inside] + offset
        offset += len(c)
        if not src.size:
            break
        nc = c[back][inside]
        nt = f0 + _pick_types(rng, FOLLOW_UP_TYPES, src.size)
        nch = _channels(rng, cust_lang[nc], org)
        ntime = _shift_into_hours(rng, when[inside], nch, org)
        gen_cust.append(nc)
        gen_type.append(nt)
        gen_chan.append(nch)
        gen_time.append(ntime)
        gen_parent.append(src)
        uniforms.append(rng.random(src.size))
        resolved.append(uniforms[-1] < resolve_p[nt])

    cust = np.concatenate(gen_cust)
    type_idx = np.concatenate(gen_type)
    channel = np.concatenate(gen_chan)
    times = np.concatenate(gen_time)
    parent = np.concatenate(gen_parent)
    res = np.concatenate(resolved)
    u = np.concatenate(uniforms)
    keep = _exactly(rng, n_contacts, parent)
    if keep.size < n_contacts:  # too few: more standalone failure demand
        extra = n_contacts - keep.size
        ec = rng.integers(0, n_customers, extra)
        et = s0 + _pick_types(rng, STANDALONE_FAILURES, extra)
        ech = _channels(rng, cust_lang[ec], org)
        cust = np.concatenate([cust, ec])
        type_idx = np.concatenate([type_idx, et])
        channel = np.concatenate([channel, ech])
        times = np.concatenate([times, _times(rng, ech, org)])
        eu = rng.random(extra)
        res = np.concatenate([res, eu < resolve_p[et]])
        parent = np.concatenate([parent, np.full(extra, -1)])
        u = np.concatenate([u, eu])
        keep = np.concatenate([keep, np.arange(len(cust) - extra, len(cust))])
    cust, type_idx, channel, times, res, u = cust[keep], type_idx[keep], channel[keep], times[keep], res[keep], u[keep]

    order = np.argsort(times, kind="stable")
    cust, type_idx, channel, times, res, u = (
        cust[order],
        type_idx[order],
        channel[order],
        times[order],
        res[order],
        u[order],
    )
    lang = np.asarray(LANGS)[cust_lang[cust]]
    return _assemble(rng, types, cust, type_idx, channel, times, res, lang, u)


def _channels(rng: np.random.Generator, lang_idx: np.ndarray, org: Organisation) -> np.ndarray:
    out = np.empty(len(lang_idx), dtype=object)
    for li, lg in enumerate(LANGS):
        idx = np.flatnonzero(lang_idx == li)
        names, p = org.channels_for(lg)
        out[idx] = np.asarray(names, dtype=object)[rng.choice(len(names), idx.size, p=p)]
    return out.astype(str)


def _shift_into_hours(rng: np.random.Generator, when: np.ndarray, channel: np.ndarray, org: Organisation) -> np.ndarray:
    """A customer who wants to call back at 22:00 calls the next morning instead."""
    out = when.copy()
    for ch, spans in _OPEN.items():
        idx = np.flatnonzero(channel == ch)
        if not idx.size:
            continue
        t = pd.DatetimeIndex(when[idx])
        for _ in range(3):  # at most three moves cover a weekend
            dow, hour = t.day_of_week.to_numpy(), t.hour.to_numpy()
            lo = np.array([(spans[0] if d < 5 else spans[1] if d == 5 else spans[2] or (0, 0))[0] for d in dow])
            hi = np.array([(spans[0] if d < 5 else spans[1] if d == 5 else spans[2] or (0, 0))[1] for d in dow])
            closed = (hour < lo) | (hour >= hi)
            if not closed.any():
                break
            day = t.normalize()
            next_open = np.where(
                hour < lo, day + pd.to_timedelta(lo, "h"), day + pd.Timedelta(days=1) + pd.to_timedelta(8, "h")
            )
            jitter = pd.to_timedelta(rng.integers(0, 7200, len(t)), "s")
            t = pd.DatetimeIndex(np.where(closed, next_open + jitter, t))
        out[idx] = t.to_numpy().astype("datetime64[s]")
    return out


def _exactly(rng: np.random.Generator, n: int, parent: np.ndarray) -> np.ndarray:
    """Indices of exactly ``n`` contacts (or all, if fewer); only contacts nobody follows are cut."""
    total = len(parent)
    if total <= n:
        return np.arange(total)
    has_child = np.zeros(total, dtype=bool)
    has_child[parent[parent >= 0]] = True
    leaves = np.flatnonzero(~has_child)
    cut = rng.choice(leaves, size=min(total - n, leaves.size), replace=False)
    keep = np.setdiff1d(np.arange(total), cut)
    return keep[:n]


def _assemble(
    rng: np.random.Generator,
    types: list[DemandType],
    cust: np.ndarray,
    type_idx: np.ndarray,
    channel: np.ndarray,
    times: np.ndarray,
    res: np.ndarray,
    lang: np.ndarray,
    u: np.ndarray,
) -> pd.DataFrame:
    n = len(cust)
    handle_mean = np.array([t.handle_mean_s for t in types])[type_idx]
    cv = 0.6
    sigma = np.sqrt(np.log(1 + cv**2))
    handle = rng.lognormal(np.log(handle_mean) - sigma**2 / 2, sigma)
    hour = pd.DatetimeIndex(times).hour.to_numpy()
    busy = np.isin(hour, [9, 10, 11, 13, 14, 15])
    live = np.isin(channel, ["phone", "chat"])
    wait = np.where(live, rng.exponential(np.where(busy, 140.0, 35.0)), np.nan)
    patience = rng.exponential(PATIENCE_S, n)
    text = _verbatims(rng, types, type_idx, lang, channel)
    # data use is recorded on the live channels, where effects are planted (with their confounding):
    # the contact's draws are made first, its handle time follows from the agent who takes it
    live_idx = np.flatnonzero(live)
    prep = prepare(rng, live_idx, types, type_idx, cust, text)
    pos = np.full(n, -1)
    pos[live_idx] = np.arange(live_idx.size)
    h_old, h_new = handle.copy(), handle.copy()
    h_old[live_idx] = handles(prep, handle[live_idx], np.zeros(live_idx.size))
    h_new[live_idx] = handles(prep, handle[live_idx], np.ones(live_idx.size))
    phone = np.flatnonzero(channel == "phone")
    scale = max(len(phone) / 13_800.0, 1e-9)  # staff in proportion to the phone volume
    q_wait, q_abandon, q_agent = phone_queue(times[phone], h_old[phone], patience[phone], scale, h_new[phone])
    wait[phone] = q_wait
    abandoned = np.zeros(n, dtype=bool)
    abandoned[phone] = q_abandon
    resolved = np.where(abandoned, False, res)
    text[abandoned] = None
    n_agents = max(4, n // 900)
    agent = np.char.add("A", np.char.zfill(rng.integers(1, n_agents + 1, n).astype(str), 3)).astype(object)
    agent[phone] = q_agent
    agent[abandoned] = None
    new_agent = np.array([is_new_agent(a) for a in agent[live_idx]], dtype=float)
    planted = plant(prep, new_agent, handle[live_idx], u[live_idx], types)
    handle[live_idx] = planted["handle"]
    handle = np.where(abandoned, np.nan, np.where(live, handle, handle * 0.7))
    rec = live_idx[~abandoned[live_idx]]
    resolved[rec] = planted["resolved"][pos[rec]]
    used = np.full(n, None, dtype=object)
    used[rec] = [x or None for x in planted["data_used"][pos[rec]]]
    truth: dict[str, np.ndarray] = {}
    for outcome in ("handle", "resolved"):
        for f, te in planted[f"te_{outcome}"].items():
            col = np.full(n, np.nan)
            col[rec] = te[pos[rec]]
            truth[f"{TE_PREFIX}{'handle_s' if outcome == 'handle' else 'resolved'}__{f}"] = col
    handling = np.where(resolved, "one_stop", np.where(rng.random(n) < 0.6, "pass_on", "pass_back")).astype(object)
    handling[abandoned] = None
    team = np.where(np.isin(channel, ["phone", "chat"]), "front", "back office").astype(object)
    team[abandoned] = None
    abandoned_col = abandoned.astype(object)  # recorded on calls only
    abandoned_col[channel != "phone"] = None
    prefix = {"phone": "TEL-", "email": "EM-", "web": "WEB-", "chat": "CH-"}
    ids = np.array([prefix.get(c, "X-") for c in channel], dtype=object) + pd.Series(np.arange(1, n + 1)).astype(
        str
    ).str.zfill(7).to_numpy(dtype=object)
    df = pd.DataFrame(
        {
            "contact_id": ids,
            "received_at": times.astype("datetime64[ns]"),
            "channel": channel,
            "customer_id": np.char.add("KL-", np.char.zfill(cust.astype(str), 6)),
            "text": text,
            "reason_code": None,
            "wait_s": np.round(wait, 0),
            "handle_s": np.round(handle, 0),
            "abandoned": abandoned_col,
            "resolved": resolved,
            "case_id": None,
            "agent_id": agent,
            "team": team,
            "data_used": used,
            "handling": handling,
            "closed_at": pd.NaT,
            "source_file": "generated",
        }
    )
    df = schema.conform(df)
    df["demand"] = np.array([t.demand for t in types])[type_idx]
    df["demand_type"] = np.array([t.name for t in types])[type_idx]
    df["failure_type"] = np.array([t.failure_type or "" for t in types], dtype=object)[type_idx]
    df["failure_type"] = df["failure_type"].replace("", None)
    df["language"] = lang
    for name, values in truth.items():
        df[name] = values
    return df
