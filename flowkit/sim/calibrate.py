"""Calibrate a scenario from a contact log, so the what-ifs start from the service as it is.

Every number is measured once, from what the log holds, and a number the log cannot give
is an error or a stated assumption, never a silent default:
- **arrivals** per demand stream, per weekday x 30 minutes, over all contacts offered, less
  the repeats the model makes itself (redials; recontacts when the log says what was
  resolved), taken out half hour by half hour from the streams the logged repeats belong to;
  repeat shares are measured on identified customers only (placeholder ids such as 0 are
  not one customer), and calls to a closed line stay as logged;
- **handle time** per stream from answered contacts, empirical (or lognormal when few); a
  channel with no handle times cannot be calibrated (``FlowkitError``), it is not assumed;
- **resolution and the failure-demand loop**, counted once: with a resolution flag,
  ``resolve_p`` from it and ``recontact.p`` = unresolved contacts followed by another within
  the case window; without one, no loop (a repeat cannot be told from a new need) and it says so;
- **abandonment**: IVR-only exits (gave up with no queue time) apart from queue abandonment;
  patience fitted to queued callers' waits as censored data (answered = censored), by
  lifelines, exponential or lognormal, whichever fits better (AIC); redial after giving up;
- **agents on duty** per weekday x 30 minutes from busy intervals: each agent's service
  intervals, joined across idle gaps up to ``idle_gap_s`` while nobody waited (a gap while
  callers waited is a break or wrap-up), so occupancy and (apparent) shrinkage are stated;
- **closed line**: calls to a closed line are not in a log; ``closed_return_p`` is an explicit
  parameter (default 0: callers who came back are already among the logged arrivals);
- data-field effects from the observational ``data_used`` estimate, where recorded
  (``_data_fields``, kept separate).
The result is a scenario file with comments saying where each number came from.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from flowkit import schema
from flowkit.errors import FlowkitError
from flowkit.sim.scenario import DAYS, LIVE_CHANNELS, Scenario, scenario_from_dict

__all__ = [
    "Calibration",
    "agents_on_duty",
    "calibrate",
    "placeholder_customers",
    "save",
    "untimed_channels",
    "without_left_out",
    "write_scenario",
]

MIN_STREAM = 30  # contacts: smaller streams are pooled per channel as "other"
SLOT_S = 1800  # arrival and staffing profiles per half hour
EMPIRICAL_MIN = 200  # handle times: at least this many for an empirical distribution
KM_MIN_EVENTS = 300  # abandonments: at least this many for patience from the Kaplan-Meier curve
CUSTOMER_PLACEHOLDERS = {"0", "-1", "", "unknown", "none", "null", "n/a", "na", "anonymous", "nan"}
AGENT_PLACEHOLDERS = {"no_server", "noserver", "none", "unknown", "n/a", "na", "-", "0", "", "nan", "null"}


@dataclass
class Calibration:
    doc: dict  # the scenario as YAML-ready data
    notes: dict[str, str] = field(default_factory=dict)  # section -> where it came from
    scenario: Scenario | None = None
    log_figures: dict[str, float] = field(default_factory=dict)  # measured on the log: occupancy, shrinkage, ...
    left_out: tuple[str, ...] = ()  # channels not simulated (``calibrate(leave_out=...)``)

    def to_yaml(self) -> str:
        return write_scenario(self)


# --------------------------------------------------------------------------- distributions


def _lognormal(x: pd.Series) -> dict:
    x = x[x > 0].astype(float)
    cv = float(x.std(ddof=1) / x.mean()) if len(x) > 1 and x.mean() > 0 else 1.0
    return {"dist": "lognormal", "mean_s": round(float(x.mean()), 1), "cv": round(max(cv, 0.05), 3)}


def _duration(x: pd.Series) -> dict:
    """Empirical when there are enough values (means of 200 equal-count bins of the sorted values:
    keeps the mean and the shape), lognormal by mean and cv otherwise."""
    x = np.sort(x.dropna().astype(float).to_numpy())
    x = x[x >= 0]
    if len(x) >= EMPIRICAL_MIN:
        k = len(x) // EMPIRICAL_MIN  # equal bins: k evenly spread sorted values each
        picked = x[np.round(np.linspace(0, len(x) - 1, k * EMPIRICAL_MIN)).astype(int)]
        return {
            "dist": "empirical",
            "values": [round(float(v), 1) for v in picked.reshape(EMPIRICAL_MIN, k).mean(axis=1)],
        }
    return _lognormal(pd.Series(x))


def _patience(waits: pd.Series, gave_up: pd.Series, km_min_events: int = KM_MIN_EVENTS) -> tuple[dict, str]:
    """Patience from queued callers: those who gave up are events, answered ones are censored at
    their wait. With at least ``km_min_events`` events, the Kaplan-Meier curve itself (as 200
    quantiles; beyond the longest wait, the better parametric fit's tail); otherwise exponential
    or lognormal fitted by lifelines, the better AIC winning."""
    from lifelines import ExponentialFitter, KaplanMeierFitter, LogNormalFitter

    t = waits.astype(float).to_numpy()
    e = gave_up.astype(bool).to_numpy()
    keep = t > 0
    t, e = t[keep], e[keep]
    if e.sum() < 10:
        raise FlowkitError(
            f"cannot calibrate patience: only {int(e.sum())} queued callers gave up with a wait recorded (need 10)"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = {"exponential": ExponentialFitter().fit(t, e), "lognormal": LogNormalFitter().fit(t, e)}
        km = KaplanMeierFitter().fit(t, e)
    best = min(fits, key=lambda k: fits[k].AIC_)
    median_km = km.median_survival_time_
    km_text = (
        f"Kaplan-Meier median {median_km:.0f} s"
        if np.isfinite(median_km)
        else f"Kaplan-Meier survival still {float(km.survival_function_.iloc[-1, 0]):.0%} at the longest wait"
    )
    aic = ", ".join(f"{k} AIC {f.AIC_:,.0f}" for k, f in fits.items())
    if best == "exponential":
        dist = {"dist": "exponential", "mean_s": round(float(fits[best].lambda_), 1)}
    else:
        mu, sigma = float(fits[best].mu_), float(fits[best].sigma_)
        sigma = min(sigma, 3.0)
        dist = {
            "dist": "lognormal",
            "mean_s": round(float(np.exp(mu + sigma**2 / 2)), 1),
            "cv": round(float(np.sqrt(np.expm1(sigma**2))), 3),
        }
    note = (
        f"{best} fitted to {len(t):,} queued callers' waits, {int(e.sum()):,} gave up (events), the answered "
        f"censored ({aic}; {km_text})"
    )
    if e.sum() >= km_min_events:
        dist = {"dist": "empirical", "values": _km_quantiles(km, fits[best], best)}
        note = (
            f"Kaplan-Meier on {len(t):,} queued callers' waits, {int(e.sum()):,} gave up (events), the answered "
            f"censored, as 200 quantiles; beyond the longest wait with 1% (>= 50) still waiting, the {best} fit's tail ({aic}; {km_text})"
        )
    return dist, note


def _km_quantiles(km, parametric, kind: str, n: int = EMPIRICAL_MIN) -> list[float]:
    from scipy import stats

    sf = km.survival_function_.iloc[:, 0]
    # the curve only as far as enough callers were still waiting: its last steps, over a handful
    # at risk, jump; beyond that the parametric tail takes over
    at_risk = km.event_table["at_risk"].reindex(sf.index).to_numpy()
    enough = at_risk >= max(50, 0.01 * at_risk[0])
    sf = sf[enough] if enough.any() else sf.iloc[:1]
    times, cdf = sf.index.to_numpy(dtype=float), 1.0 - sf.to_numpy(dtype=float)
    probs = (np.arange(n) + 0.5) / n
    top = float(cdf[-1])
    if kind == "exponential":
        par = stats.expon(scale=float(parametric.lambda_))
    else:
        par = stats.lognorm(s=float(parametric.sigma_), scale=float(np.exp(parametric.mu_)))
    f_max = float(par.cdf(times[-1]))
    out = []
    for q in probs:
        if q <= top:
            out.append(float(times[np.searchsorted(cdf, q, side="left")]))
        else:  # the tail the log cannot see: the parametric fit, conditional on waiting that long
            out.append(float(par.ppf(min(f_max + (q - top) / max(1 - top, 1e-12) * (1 - f_max), 1 - 1e-9))))
    return [round(max(v, 0.0), 1) for v in out]


# --------------------------------------------------------------------------- ids


def placeholder_customers(ids: pd.Series, max_share: float = 0.05, min_rows: int = 200) -> pd.Series:
    """True where a customer id is a placeholder: 0, -1, "unknown", blank, or one id on an
    implausible share of the rows (no real customer makes 5% of a large log's contacts)."""
    s = ids.astype(object)
    text = s.where(s.isna(), s.astype(str).str.strip().str.lower())
    flagged = text.isin(CUSTOMER_PLACEHOLDERS)
    present = text[text.notna() & ~flagged]
    if len(present) >= min_rows:
        share = present.value_counts() / len(ids)
        flagged |= text.isin(share[share > max_share].index)
    return flagged & s.notna()


def _real_agents(agent: pd.Series) -> pd.Series:
    s = agent.astype(object)
    text = s.where(s.isna(), s.astype(str).str.strip().str.lower())
    return s.notna() & ~text.isin(AGENT_PLACEHOLDERS)


def _label(df: pd.DataFrame) -> pd.Series:
    if "demand" not in df.columns:
        return df["reason_code"].astype(object).fillna("contact").astype(str)
    ft = df["failure_type"].astype(object)
    return (
        ft.where(df["demand"].astype(str).eq("failure") & ft.notna(), df["demand_type"].astype(object))
        .fillna(df["reason_code"].astype(object))
        .fillna("contact")
        .astype(str)
    )


# --------------------------------------------------------------------------- profiles


def _slot_index(times: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    sec = (times - times.dt.normalize()).dt.total_seconds().to_numpy()
    return times.dt.day_of_week.to_numpy(), (sec // SLOT_S).astype(int)


def _weekly_profile(times: pd.Series, days_of_week: np.ndarray, weights=1.0) -> list[list[float]]:
    """Arrivals per hour in each weekday x half hour: (weighted) counts / number of such weekdays observed."""
    counts = np.zeros((7, 86400 // SLOT_S))
    np.add.at(counts, _slot_index(times), np.broadcast_to(np.asarray(weights, dtype=float), len(times)))
    per_hour = counts / np.maximum(days_of_week, 1)[:, None] * (3600 / SLOT_S)
    return np.round(per_hour, 3).tolist()


def agents_on_duty(df: pd.DataFrame, idle_gap_s: float, wrap_s: float = 0.0) -> tuple[pd.DataFrame, dict[str, float]]:
    """Agents on duty per date and half hour from busy intervals.

    An agent's service intervals (start = received + wait, end = start + handle) are joined
    across idle gaps of at most ``idle_gap_s`` during which no caller of the same channels was
    kept waiting for more than a minute (in total) meanwhile: that idle time is on duty, and so is
    a spell's mean idle gap before the day's first call and after its last. A longer gap, or one
    while callers waited (an available agent would have taken them: wrap-up, a break), is not.
    Returns (date x slot agent counts, figures: busy and on-duty hours,
    occupancy, apparent shrinkage = breaks / the span from each agent's first to last call of a day).
    """
    d = df[_real_agents(df["agent_id"]) & df["handle_s"].notna()]
    if d.empty:
        return pd.DataFrame(), {}
    start = d["received_at"] + pd.to_timedelta(d["wait_s"].astype(float).fillna(0.0), unit="s")
    end = start + pd.to_timedelta(d["handle_s"].astype(float).clip(lower=0) + wrap_s, unit="s")
    iv = pd.DataFrame(
        {"agent": d["agent_id"].astype(str).to_numpy(), "start": start.to_numpy(), "end": end.to_numpy()}
    ).sort_values(["agent", "start"], kind="stable")
    busy_s = float((iv["end"] - iv["start"]).dt.total_seconds().sum())
    # join each agent's intervals into on-duty spells
    prev_end = iv.groupby("agent")["end"].transform(lambda e: e.cummax().shift())
    gap = (iv["start"] - prev_end).dt.total_seconds()
    waited = _queue_overlap(df, prev_end, iv["start"])
    new_spell = gap.isna() | (gap > idle_gap_s) | (waited > 60.0) | iv["agent"].ne(iv["agent"].shift())
    iv["spell"] = new_spell.cumsum()
    iv["idle"] = gap.where(~new_spell, np.nan).clip(lower=0)
    spells = iv.groupby("spell").agg(
        agent=("agent", "first"), start=("start", "min"), end=("end", "max"), idle=("idle", "mean")
    )
    # an agent is on duty before the first call of the day and after the last one too: by as long,
    # on average, as the spell's own idle gaps between calls (nothing when unknown). Breaks within
    # the day are not padded: the gap is evidence of absence.
    pad = pd.to_timedelta(spells["idle"].fillna(0.0), unit="s")
    day_of = spells["start"].dt.normalize()
    first = ~spells["agent"].eq(spells["agent"].shift()) | day_of.ne(day_of.shift())
    last = ~spells["agent"].eq(spells["agent"].shift(-1)) | day_of.ne(day_of.shift(-1))
    spells.loc[first, "start"] = spells.loc[first, "start"] - pad[first]
    spells.loc[last, "end"] = spells.loc[last, "end"] + pad[last]
    on_s = float((spells["end"] - spells["start"]).dt.total_seconds().sum())
    day = iv["start"].dt.normalize()
    day_span = iv.groupby([iv["agent"], day]).agg(a=("start", "min"), b=("end", "max"))
    span_s = float((day_span["b"] - day_span["a"]).dt.total_seconds().sum())
    # spread each spell over the half-hour slots it covers
    origin = spells["start"].min().normalize()
    a = (spells["start"] - origin).dt.total_seconds().to_numpy()
    b = (spells["end"] - origin).dt.total_seconds().to_numpy()
    n_slots = int(np.ceil(b.max() / SLOT_S)) + 1
    cover = np.zeros(n_slots)
    first, last = (a // SLOT_S).astype(int), (b // SLOT_S).astype(int)
    for i, j, s0, s1 in zip(first, last, a, b):
        for k in range(i, j + 1):
            lo, hi = max(s0, k * SLOT_S), min(s1, (k + 1) * SLOT_S)
            if hi > lo:
                cover[k] += hi - lo
    slots = origin + pd.to_timedelta(np.arange(n_slots) * SLOT_S, unit="s")
    table = pd.DataFrame({"slot": slots, "agents": cover / SLOT_S})
    figures = {
        "busy_hours": busy_s / 3600,
        "on_duty_hours": on_s / 3600,
        "occupancy": busy_s / on_s if on_s else np.nan,
        "shrinkage": 1 - on_s / span_s if span_s else np.nan,
        "agents": float(iv["agent"].nunique()),
    }
    return table, figures


def _queue_overlap(df: pd.DataFrame, a: pd.Series, b: pd.Series) -> np.ndarray:
    """Seconds within each [a, b) during which at least one caller (of ``df``) was waiting."""
    w = df["wait_s"].astype(float)
    q = df[w.gt(0)]
    out = np.zeros(len(a))
    if q.empty:
        return out
    t0 = q["received_at"].min()
    qs = (q["received_at"] - t0).dt.total_seconds().to_numpy()
    qe = qs + q["wait_s"].astype(float).to_numpy()
    order = np.argsort(qs)
    qs, qe = qs[order], np.maximum.accumulate(qe[order])
    # merge into disjoint busy intervals
    new = np.r_[True, qs[1:] > qe[:-1]]
    starts, ends = qs[new], np.r_[qe[np.flatnonzero(new)[1:] - 1], qe[-1]]
    cum = np.r_[0.0, np.cumsum(ends - starts)]

    def measure(t: np.ndarray) -> np.ndarray:  # waiting time before t
        i = np.searchsorted(starts, t, side="right")
        inside = np.clip(t - starts[np.maximum(i - 1, 0)], 0, (ends - starts)[np.maximum(i - 1, 0)])
        return cum[np.maximum(i - 1, 0)] + np.where(i > 0, inside, 0.0)

    ok = a.notna().to_numpy()
    ta = (a[ok] - t0).dt.total_seconds().to_numpy()
    tb = (b[ok] - t0).dt.total_seconds().to_numpy()
    out[ok] = measure(tb) - measure(ta)
    return out


def after_call_work(df: pd.DataFrame, cap_s: float = 300.0) -> tuple[float, int]:
    """Seconds of work after each call that the log's handle time lacks (wrap-up), and on how many
    gaps it was measured. When callers were waiting as an agent finished a call, an available
    agent takes the next one at once: the mean gap to that agent's next call, over gaps all
    through which callers waited (gaps within
    +-``cap_s``, so the contact table's missing VRU time, which shifts both ends, averages out;
    longer gaps are breaks) is after-call work. 0 when it cannot be seen."""
    d = df[_real_agents(df["agent_id"]) & df["handle_s"].notna()]
    if len(d) < 50:
        return 0.0, 0
    start = d["received_at"] + pd.to_timedelta(d["wait_s"].astype(float).fillna(0.0), unit="s")
    end = start + pd.to_timedelta(d["handle_s"].astype(float).clip(lower=0), unit="s")
    iv = pd.DataFrame(
        {"agent": d["agent_id"].astype(str).to_numpy(), "start": start.to_numpy(), "end": end.to_numpy()}
    ).sort_values(["agent", "start"], kind="stable")
    prev_end = iv.groupby("agent")["end"].shift()
    gap = (iv["start"] - prev_end).dt.total_seconds()
    queued = _queue_overlap(df, prev_end, prev_end + pd.Timedelta(seconds=10)) >= 9.0
    # callers waiting all through the gap (so it did not end because one turned up)
    through = _queue_overlap(df, prev_end, iv["start"].where(gap > 0, prev_end)) >= gap - 2.0
    g = gap[queued & (through | gap.le(0)) & gap.notna() & gap.abs().le(cap_s)]
    if len(g) < 30:
        return 0.0, len(g)
    return max(float(g.mean()), 0.0), len(g)


def _staffing(on_duty: pd.DataFrame, all_days: pd.DatetimeIndex) -> np.ndarray:
    """Mean agents on duty per weekday x half hour over the days observed (days with nobody count)."""
    per_day = 86400 // SLOT_S
    total = np.zeros((7, per_day))
    if on_duty.empty:
        return total
    t = on_duty["slot"]
    keep = t.dt.normalize().isin(all_days)
    days, slots = _slot_index(t[keep])
    np.add.at(total, (days, slots), on_duty.loc[keep, "agents"].to_numpy())
    n = np.bincount(all_days.day_of_week, minlength=7).astype(float)
    return total / np.maximum(n, 1)[:, None]


def _hhmm(slot: int) -> str:
    s = slot * SLOT_S
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def _shifts(staff: np.ndarray) -> list[dict]:
    """Half-hourly staffing as shifts: runs of equal (rounded) counts within a day."""
    counts = np.round(staff).astype(int)
    per_day = counts.shape[1]
    shifts = []
    for day in range(7):
        slot = 0
        while slot < per_day:
            count = int(counts[day, slot])
            end = slot
            while end < per_day and int(counts[day, end]) == count:
                end += 1
            if count > 0:
                shifts.append(
                    {
                        "days": DAYS[day],
                        "start": _hhmm(slot),
                        "end": _hhmm(end) if end < per_day else "24:00",
                        "count": count,
                    }
                )
            slot = end
    return shifts


def _open_hours(staff: np.ndarray) -> str | None:
    counts = np.round(staff).astype(int)
    spans = []
    for day in range(7):
        slots = np.flatnonzero(counts[day] > 0)
        if slots.size:
            end = slots.max() + 1
            spans.append(f"{DAYS[day]} {_hhmm(slots.min())}-{'24:00' if end == counts.shape[1] else _hhmm(end)}")
    return "; ".join(spans) or None


# --------------------------------------------------------------------------- calibrate


def untimed_channels(contacts: pd.DataFrame) -> list[str]:
    """Channels on which the log records no handle time at all: they cannot be calibrated."""
    ch = contacts["channel"].astype(str)
    timed = contacts["handle_s"].notna().groupby(ch).any()
    return sorted(timed[~timed].index)


def without_left_out(contacts: pd.DataFrame, cal: Calibration) -> pd.DataFrame:
    """The part of the log the calibrated scenario models (what its fit is held against)."""
    return contacts[~contacts["channel"].astype(str).isin(cal.left_out)] if cal.left_out else contacts


def calibrate(
    contacts: pd.DataFrame,
    name: str = "calibrated",
    agents: int | None = None,
    seed: int = 1,
    replications: int = 10,
    horizon_hours: float | None = None,
    window: str = "14D",
    idle_gap_s: float = 3600.0,
    closed_return_p: float = 0.0,
    closed_within_hours: float = 1.0,
    leave_out: tuple[str, ...] = (),
    assume_handle_s: float | None = None,
) -> Calibration:
    """Estimate a scenario from ``contacts``. ``agents`` is required when the log has no agent ids.

    ``window``: longest gap between a customer's contacts counted as a repeat (redial or recontact).
    ``idle_gap_s``: longest idle time between an agent's calls counted as on duty.
    ``closed_return_p``: share of callers finding the line closed who call again when it opens
    (not in any log; 0 unless you know better, since those who did are already logged arrivals),
    spread evenly over the first ``closed_within_hours`` after it opens.
    ``leave_out``: channels not to simulate (say, web forms whose handling the log does not time);
    their contacts are set aside, the note ``left_out`` says how many, and the fit must be held
    against the rest of the log (:func:`without_left_out`).
    ``assume_handle_s``: mean handle time (exponential) for channels whose log times no handling at
    all - an assumption the user makes and the scenario states, never a default.
    """
    if not 0.0 <= closed_return_p <= 1.0:
        raise ValueError(f"closed_return_p must be within [0, 1], got {closed_return_p}")
    if not closed_within_hours >= 0.0:
        raise ValueError(f"closed_within_hours must be at least 0, got {closed_within_hours}")
    df = schema.conform(contacts)
    df = df[df["received_at"].notna()].sort_values("received_at", kind="stable")
    left_out = {}
    if leave_out:
        gone = df["channel"].astype(str).isin(leave_out)
        left_out = df.loc[gone, "channel"].astype(str).value_counts().to_dict()
        df = df[~gone]
    if len(df) < 50:
        raise FlowkitError(f"calibration needs at least 50 contacts, got {len(df)}")
    window_td = pd.Timedelta(window)
    placeholder = placeholder_customers(df["customer_id"])
    identified = df["customer_id"].notna() & ~placeholder
    notes: dict[str, str] = {}
    figures: dict[str, float] = {}
    if leave_out:
        total = len(df) + sum(left_out.values())
        notes["left_out"] = (
            "not simulated, by choice: "
            + ", ".join(
                f"{ch} ({left_out.get(ch, 0):,} contacts, {left_out.get(ch, 0) / total:.1%} of the log)"
                for ch in leave_out
            )
            + "; the model and its fit cover the other channels only"
        )
    if df["case_id"].isna().all():
        from flowkit.cases import stitch

        masked = df.assign(customer_id=df["customer_id"].where(~placeholder, pd.NA))
        df = df.assign(case_id=stitch(masked, window=window_td).contacts["case_id"])
    start, end = df["received_at"].min().normalize(), df["received_at"].max().normalize() + pd.Timedelta(days=1)
    all_days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    days_of_week = np.bincount(all_days.day_of_week, minlength=7).astype(float)
    span_h = (end - start).total_seconds() / 3600.0
    notes["period"] = f"{start:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d}, {len(df):,} contacts"
    if placeholder.any():
        notes["customers"] = (
            f"{int(placeholder.sum()):,} contacts ({placeholder.mean():.0%}) carry a placeholder "
            "customer id (0, blank, unknown, or one id on an implausible share): each is its own "
            "customer, left out of repeat measurement"
        )

    df = df.assign(_label=_label(df), _n=df.groupby("case_id", observed=True).cumcount())
    df["_row"] = np.arange(len(df))
    df["_next_row"] = df.groupby("case_id", observed=True)["_row"].shift(-1)
    nxt = df.groupby("case_id", observed=True)["received_at"].shift(-1)
    df["_next_gap"] = (nxt - df["received_at"]).dt.total_seconds()
    abandoned = df["abandoned"].fillna(False).astype(bool)
    phone = df["channel"].astype(str).eq("phone")
    wait = df["wait_s"].astype(float)
    ivr_exit = phone & abandoned & (wait.isna() | wait.le(0))

    # warm-up: "auto", left to the simulator, which works it out from the failure loop's own delays
    # and checks it (MSER-5) after every run; a fixed figure here would be a guess
    doc: dict = {
        "name": name,
        "seed": seed,
        "horizon_hours": round(horizon_hours or min(span_h, 28 * 24), 1),
        "warmup_hours": "auto",
        "replications": replications,
    }
    notes["warmup_hours"] = (
        "auto: the simulator takes it from the failure loop (recontact delays) and checks it with MSER-5 after each run"
    )

    # who was on duty when; a live channel is open in the half hours someone was on duty
    wrap_s, n_wrap = after_call_work(df)
    if n_wrap:
        notes["after_call_work"] = (
            f"{wrap_s:.0f} s per answered contact, added to handle times (the log's lack it): the "
            f"mean gap before an agent's next call when callers were already waiting, over "
            f"{n_wrap:,} such gaps"
        )
        figures["after_call_work_s"] = wrap_s
    teams, team_notes, live_hours, staff_figures, open_slots = _teams(df, all_days, idle_gap_s, wrap_s)
    figures.update(staff_figures)
    closed_call = pd.Series(False, index=df.index)
    for ch, slots in open_slots.items():
        mine = df["channel"].astype(str).eq(ch)
        dow, slot = _slot_index(df.loc[mine, "received_at"])
        closed_call.loc[mine] = ~slots[dow, slot]
    if closed_call.any():
        figures["closed_calls"] = float(closed_call.sum())
    ivr_exit &= ~closed_call

    # repeats, measured once on identified customers whose whole window lies inside the log
    loop = _repeats(df, identified, abandoned, closed_call, window_td, notes)
    n_open = int((~closed_call).sum())
    # the repeats the model will make, by its own mechanisms applied to every logged contact
    gave_up_open = abandoned & ~closed_call
    channel = df["channel"].astype(str)
    made = pd.Series(0.0, index=df.index)  # expected repeats each logged contact makes in the model
    if loop.get("redial"):
        made[gave_up_open] = loop["redial"]["p"]
    if loop.get("recontact"):
        unresolved = ~abandoned & ~closed_call & df["resolved"].eq(False).fillna(False).astype(bool)
        made[unresolved] = loop["recontact"]["p"]
    made_by_channel = made.groupby(channel).sum()  # the model's repeats come back on the same channel
    repeats = float(made.sum())
    loop["r"] = repeats / len(df)
    exogenous = max(0.0, (n_open - repeats) / n_open) if n_open else 1.0
    figures["repeat_share"] = loop["r"]
    # take the repeats out of the streams the logged repeats belong to (chases are mostly failure
    # demand, redials the same need again), in proportion; calls to a closed line stay as logged
    key = df["_label"] + "|" + df["channel"].astype(str)
    seen = key.loc[loop["repeat_rows"]]
    weight = pd.Series(np.where(closed_call, 1.0, exogenous), index=df.index)
    if len(seen) >= 20 and repeats > 0:
        # per channel, the share f of open-hour contacts the model makes itself comes out of every
        # half hour alike (the time-of-day shape stays the log's), split across the channel's
        # streams as the logged repeats are (so chases, not first contacts, are taken out)
        seen_channel = seen.str.rsplit("|", n=1).str[-1]
        share = seen.groupby(seen_channel).value_counts(normalize=True).droplevel(0)
        opened = ~closed_call
        f = (made_by_channel / channel[opened].value_counts()).fillna(0.0)
        dow, slot = _slot_index(df["received_at"])
        cell = channel + "|" + pd.Series(dow * 100 + slot, index=df.index).astype(str)
        n_cell = cell[opened].value_counts()
        n_key_cell = (key + "#" + cell)[opened].value_counts()
        rows = (key + "#" + cell)[opened]
        removed = channel[opened].map(f) * cell[opened].map(n_cell) * key[opened].map(share).fillna(0.0)
        w_open = (1 - removed / rows.map(n_key_cell)).clip(lower=0.0)
        # what a stream could not give up in a half hour comes out of the others in it, alike
        target = (1 - channel[opened].map(f)).clip(lower=0.0)  # the cell's kept share
        kept = w_open.groupby(cell[opened]).transform("sum")
        want = target * cell[opened].map(n_cell)
        w_open = (w_open * (want / kept.where(kept > 0))).fillna(0.0).clip(upper=1.0)
        weight.loc[opened] = w_open.to_numpy()
    notes["arrivals"] = (
        f"the model makes repeats itself ({loop['r']:.1%} of contacts: redial and recontact shares "
        "measured on identified customers, applied to every logged call that gave up or was left "
        f"unresolved), so they are taken out of the logged arrivals in open hours (x {exogenous:.3f} "
        "overall), from the streams the logged repeats belong to"
        + (f"; {int(closed_call.sum()):,} calls to a closed line are kept as logged" if closed_call.any() else "")
    )

    demand = _demand(df, days_of_week, weight, loop, notes, wrap_s, assume_handle_s)
    if loop.get("recontact"):
        doc["recontact"] = loop["recontact"]
    if loop.get("redial"):
        doc["redial"] = loop["redial"]

    ph = df[phone]
    if len(ph) and ph["abandoned"].notna().any():
        n_ivr = int(ivr_exit.sum())
        n_open_ph = int((~closed_call[phone]).sum())
        if n_ivr:
            doc["ivr"] = {"exit_p": round(n_ivr / n_open_ph, 4)}
            notes["ivr"] = (
                f"{n_ivr:,} of {n_open_ph:,} calls in open hours ({n_ivr / n_open_ph:.1%}) gave up before "
                "queueing (no queue time): IVR exits, kept apart from queue abandonment"
            )
        queued = ph[~ivr_exit[phone] & ~closed_call[phone] & ph["wait_s"].notna()]
        gave_up = queued["abandoned"].fillna(False).astype(bool)
        if gave_up.any():
            doc["patience"], notes["patience"] = _patience(queued["wait_s"], gave_up)

    channels = sorted({d["channel"] for d in demand})
    teams, team_notes = _unstaffed(teams, team_notes, channels, demand, agents)
    doc["agents"] = teams
    notes["agents"] = team_notes
    if live_hours:
        doc["open_hours"] = live_hours
        doc["closed"] = {"return_p": float(closed_return_p), "within_hours": float(closed_within_hours)}
        notes["open_hours"] = "live channels: the half hours when the log shows agents on duty"
        notes["closed"] = (
            "a parameter, not a measurement (a log holds no calls to a closed line): "
            f"{closed_return_p:g} of callers who find it closed call again within "
            f"{closed_within_hours:g} h of its opening; callers who "
            "did are already among the logged arrivals, so anything above 0 adds calls the log "
            "does not hold"
        )
    if "occupancy" in figures:
        notes["occupancy"] = (
            f"from the log: agents busy {figures['busy_hours']:,.0f} h of {figures['on_duty_hours']:,.0f} h "
            f"on duty = occupancy {figures['occupancy']:.1%}; apparent shrinkage (breaks over "
            f"{idle_gap_s / 60:g} min between first and last call of a day) {figures['shrinkage']:.1%}"
        )

    fields = _data_fields(df)
    if fields:
        doc["data_fields"] = fields["fields"]
        for entry in demand:
            need = fields["needs"].get((entry["type"], entry["channel"]))
            if need:
                entry["needs"] = need
        notes["data_fields"] = (
            "adjusted (doubly robust) effects of each field in data_used, with standard errors: "
            "observational, each replication draws its effect; a pilot confirms them"
        )
    doc["demand"] = demand
    cal = Calibration(doc, notes, log_figures=figures, left_out=tuple(leave_out))
    cal.scenario = scenario_from_dict(yaml.safe_load(yaml.safe_dump(doc)), f"calibrated from the log ({name})")
    return cal


def _repeats(
    df: pd.DataFrame,
    identified: pd.Series,
    abandoned: pd.Series,
    closed_call: pd.Series,
    window: pd.Timedelta,
    notes: dict,
) -> dict:
    """Repeat contacts, counted once, on identified customers' contacts whose whole window lies in
    the log. The model makes two kinds itself: redials (a caller who gave up calls again within
    a day) and recontacts (an unresolved contact followed by another within ``window``; only
    when the log says what was resolved - otherwise a repeat cannot be told from a new need).
    ``r`` = the share of contacts the model will follow with one of these: it comes out of the
    outside arrivals, so the loop adds nothing the log does not hold."""
    last = df["received_at"].max()
    base = df[identified & (df["received_at"] <= last - window)]
    if len(base) < 100:
        base = df[identified]
    has_resolved = bool(df["resolved"].notna().any())
    out: dict = {"r": 0.0, "q_chain": 0.0, "has_resolved": has_resolved, "repeat_rows": pd.Index([])}
    if len(base) < 50:
        notes["recontact"] = (
            f"not measured: only {len(base):,} contacts from identified customers (need 50); "
            "no redial or recontact loop, every logged contact is an outside arrival"
        )
        return out
    gap = base["_next_gap"]
    spawning = ~closed_call.loc[base.index]
    gave = abandoned.loc[base.index] & spawning
    spawned = pd.Series(False, index=base.index)
    gone = base[gave]
    if len(gone) >= 20:
        back = gone["_next_gap"].dropna()
        back = back[back <= 86400]
        if len(back) >= 5:
            out["redial"] = {
                "p": round(len(back) / len(gone), 3),
                "delay": _duration(back) if len(back) >= EMPIRICAL_MIN else _lognormal(back),
            }
            spawned.loc[back.index] = True
            notes["redial"] = (
                f"identified callers who gave up (queue or IVR) and called again within a day: "
                f"{len(back):,} of {len(gone):,}"
            )
    ans = base[~abandoned.loc[base.index] & spawning & base["handle_s"].notna()]
    q_any = float(ans["_next_gap"].notna().mean()) if len(ans) else float("nan")
    unresolved = ans[ans["resolved"].eq(False).fillna(False).astype(bool)] if has_resolved else ans.iloc[:0]
    if has_resolved and len(unresolved) >= 20:
        back = unresolved["_next_gap"].dropna()
        q = len(back) / len(unresolved)
        if len(back) >= 5:
            as_type = "progress_chasing"
            if "demand" in df.columns:
                m = df.loc[df["_n"] > 0, "failure_type"].astype(str)
                m = m[m.isin(schema.FAILURE_TYPES)]
                if len(m):
                    as_type = m.mode().iloc[0]
            out["recontact"] = {
                "p": round(q, 3),
                "delay": _duration(back) if len(back) >= EMPIRICAL_MIN else _lognormal(back),
                "as": as_type,
            }
            spawned.loc[back.index] = True
            notes["recontact"] = (
                f"unresolved answered contacts followed by another from the customer within "
                f"{window.days} days: {len(back):,} of {len(unresolved):,} ({q:.1%}); delay from the "
                "gaps between them"
            )
    elif len(ans):
        notes["recontact"] = (
            f"not in the baseline: the log has no resolution flag, so the {q_any:.1%} of answered "
            f"identified calls followed by another within {window.days} days cannot be told from new "
            "needs; they stay outside arrivals (no failure-demand loop, resolve_p unknown, set to 1). "
            "Map a resolution column to calibrate one"
        )
    out["r"] = float(spawned.mean())
    out["q_chain"] = float(spawned[spawning].mean()) if spawning.any() else 0.0
    nxt = df["_next_row"].loc[spawned[spawned].index].dropna()
    out["repeat_rows"] = pd.Index(nxt.astype(int).map(lambda i: df.index[i]))
    return out


def _demand(
    df: pd.DataFrame,
    days_of_week: np.ndarray,
    weight: pd.Series,
    loop: dict,
    notes: dict,
    wrap_s: float = 0.0,
    assume_handle_s: float | None = None,
) -> list[dict]:
    streams, pooled = [], {}
    for (label, channel), g in df.groupby(["_label", df["channel"].astype(str)], observed=True):
        if len(g) < MIN_STREAM:
            pooled.setdefault(channel, []).append(g)
            continue
        streams.append((label, channel, g))
    for channel, gs in pooled.items():
        streams.append(("other", channel, pd.concat(gs)))
    # handle times of answered contacts only: a caller who gave up has no service (often logged as 0 s)
    served = df[~df["abandoned"].fillna(False).astype(bool)]
    handles_by_channel = {
        ch: g["handle_s"].astype(float).dropna() for ch, g in served.groupby(served["channel"].astype(str))
    }
    demand, pooled_handle, assumed = [], [], []
    for label, channel, g in sorted(streams, key=lambda s: -len(s[2])):
        handle = g.loc[~g["abandoned"].fillna(False).astype(bool), "handle_s"].astype(float).dropna()
        given = None
        if len(handle) < 10:
            fallback = handles_by_channel.get(channel, pd.Series(dtype=float))
            if len(fallback) < 10 and assume_handle_s is not None:
                given = {"dist": "exponential", "mean_s": float(assume_handle_s)}
                assumed.append(f"{label}/{channel}")
            elif len(fallback) < 10:
                raise FlowkitError(
                    f"cannot calibrate handle time: the log has {len(fallback)} handle times for channel "
                    f"{channel!r} (need 10); map a handle-time column (handle_s), give the scenario's "
                    f"handle times by hand (--handle-s SECONDS), or leave the channel out "
                    f"(--leave-out {channel})"
                )
            pooled_handle.append(f"{label}/{channel}")
            handle = fallback
        answered = g[~g["abandoned"].fillna(False).astype(bool)]
        res = answered["resolved"].dropna()
        if len(res):
            resolve_p = float(res.astype(bool).mean())
        else:
            resolve_p = 1.0
        is_failure = "demand" in g.columns and g["demand"].astype(str).eq("failure").mean() > 0.5
        profile = np.asarray(_weekly_profile(g["received_at"], days_of_week, weight.loc[g.index].to_numpy()))
        entry = {
            "type": label,
            "demand": "failure" if is_failure else "value",
            "channel": channel,
            "by_weekday": {DAYS[d]: [round(float(v), 3) for v in row] for d, row in enumerate(profile)},
            "handle": given or _duration(handle + wrap_s),
            "resolve_p": round(min(max(resolve_p, 0.0), 1.0), 3),
        }
        if is_failure:
            ft = g["failure_type"].astype(str).mode()
            if len(ft) and ft.iloc[0] in schema.FAILURE_TYPES:
                entry["failure_type"] = ft.iloc[0]
        demand.append(entry)
    notes["demand"] = (
        f"{len(demand)} streams; arrivals per weekday x 30 min averaged over the days observed; handle "
        f"times empirical (>= {EMPIRICAL_MIN}) or lognormal"
        + (f"; too few handle times of their own, channel's used: {', '.join(pooled_handle)}" if pooled_handle else "")
        + (
            f"; ASSUMED, not measured (the log times no handling on their channel): exponential handle "
            f"times of mean {assume_handle_s:g} s given by the user (--handle-s) for {', '.join(assumed)}"
            if assumed
            else ""
        )
    )
    return demand


def _teams(
    df: pd.DataFrame, all_days: pd.DatetimeIndex, idle_gap_s: float, wrap_s: float = 0.0
) -> tuple[list[dict], list[str], dict, dict, dict]:
    """Teams as the log shows them: agents grouped by the channels they handled, each team's
    agents on duty per weekday x half hour from its own agents' busy intervals; live channels
    open in the half hours someone was on duty (``open_slots``: channel -> 7 x 48 booleans)."""
    channels = sorted(df["channel"].astype(str).unique())
    open_slots: dict[str, np.ndarray] = {}
    d = df[_real_agents(df["agent_id"])]
    skills = d.groupby("agent_id", observed=True)["channel"].agg(lambda c: tuple(sorted(set(map(str, c)))))
    teams, notes, live_hours = [], [], {}
    figures: dict[str, float] = {}
    per_team: list[tuple[bool, dict]] = []
    covered: set[str] = set()
    for k, (chans, members) in enumerate(
        sorted(skills.groupby(skills, observed=True).groups.items(), key=lambda kv: -len(kv[1]))
    ):
        chans = [c for c in chans if c in channels]
        if not chans:
            continue
        on_duty, f = agents_on_duty(d[d["agent_id"].isin(members)], idle_gap_s, wrap_s)
        staff = _staffing(on_duty, all_days)
        if np.round(staff).sum() == 0:
            continue
        per_team.append((any(c in LIVE_CHANNELS for c in chans), f))
        name = f"team {k + 1} ({', '.join(chans)})"
        teams.append({"team": name, "channels": chans, "shifts": _shifts(staff)})
        covered.update(chans)
        notes.append(
            f"{name}: {len(members)} agents; agents on duty per weekday x 30 min from their busy intervals "
            f"(idle gaps up to {idle_gap_s / 60:g} min count as on duty), mean over the days observed; "
            f"occupancy in the log {f['occupancy']:.1%}"
        )
        hours = _open_hours(staff)
        for c in chans:
            if c in LIVE_CHANNELS and hours and c not in live_hours:
                live_hours[c] = hours
                open_slots[c] = np.round(staff) > 0
    # occupancy and shrinkage of the live-channel teams (deferred work has no "on duty" in the same sense)
    chosen = [f for live, f in per_team if live] or [f for _, f in per_team]
    busy = sum(f["busy_hours"] for f in chosen)
    on = sum(f["on_duty_hours"] for f in chosen)
    span_w = sum(f["on_duty_hours"] / max(1 - f["shrinkage"], 1e-9) for f in chosen)
    if on:
        figures = {"busy_hours": busy, "on_duty_hours": on, "occupancy": busy / on, "shrinkage": 1 - on / span_w}
    return teams, notes, live_hours, figures, open_slots


def _unstaffed(
    teams: list[dict], notes: list[str], channels: list[str], demand: list[dict], agents: int | None
) -> tuple[list[dict], str]:
    """Channels no agent appears on get a team sized to their workload (mean offered Erlangs x
    1.25, at least 1), or ``agents`` if given."""
    teams, notes = list(teams), list(notes)
    covered = {c for t in teams for c in t["channels"]}
    teams = [t for t in teams if set(t["channels"]) & set(channels)]
    missing = [c for c in channels if c not in covered]
    if missing:
        if agents is None and not teams:
            raise FlowkitError(
                "the log shows no agent at work (no agent ids, or no handle times to place them in "
                "time): give the number of agents (--agents N)"
            )
        if agents is not None and not teams:
            teams.append({"team": "agents", "channels": missing, "count": int(agents)})
            notes.append(f"{agents} agents, given by the user (the log has no agent ids)")
        else:
            load = sum(
                np.mean([np.mean(v) for v in e["by_weekday"].values()]) * _mean_s(e["handle"]) / 3600.0
                for e in demand
                if e["channel"] in missing
            )
            count = int(agents or max(1, np.ceil(load * 1.25)))
            teams.append({"team": f"unstaffed in the log ({', '.join(missing)})", "channels": missing, "count": count})
            notes.append(
                f"{', '.join(missing)}: no agent ids in the log, so {count} agents "
                f"({'given' if agents else f'{load:.1f} Erlangs of workload x 1.25'}) - check this"
            )
    return teams, "; ".join(notes)


def _mean_s(dist: dict) -> float:
    return float(np.mean(dist["values"])) if dist["dist"] == "empirical" else float(dist["mean_s"])


def _se95(row: pd.DataFrame) -> float:
    """The standard error a normal draw needs to reproduce the estimate's 95% CI (which uses a t
    quantile on few agents), so that the simulation and the effects table agree on the evidence."""
    return float((row["ci_high"].iloc[0] - row["ci_low"].iloc[0]) / (2 * 1.959964))


def _data_fields(df: pd.DataFrame) -> dict | None:
    """Each field's adjusted (doubly robust) effect with its standard error, so the simulation can
    carry what the log could not pin down (:mod:`flowkit.sim.uncertainty`)."""
    if df["data_used"].notna().sum() < 50:
        return None
    from flowkit.analyse.effects import field_effects_adjusted

    eff = field_effects_adjusted(df.assign(demand_type=df["_label"]))
    pooled = eff[eff["demand_type"].eq("(all)") & eff["adjusted"].notna()]
    if pooled.empty:
        return None
    fields = {}
    for name, g in pooled.groupby("field"):
        entry: dict = {"available": False}
        h = g[g["outcome"].eq("handle_s")]
        if len(h) and h["baseline"].iloc[0] > 0:
            base = float(h["baseline"].iloc[0])
            entry["handle_factor"] = round(float(min(max(1 + h["adjusted"].iloc[0] / base, 0.05), 5.0)), 4)
            entry["handle_factor_se"] = round(_se95(h) / base, 4)
        r = g[g["outcome"].eq("resolved")]
        if len(r):
            entry["resolve_p_add"] = round(float(min(max(r["adjusted"].iloc[0], -1.0), 1.0)), 4)
            entry["resolve_p_add_se"] = round(_se95(r), 4)
        fields[str(name)] = entry
    used = df["data_used"].notna()
    needs: dict = {}
    exploded = (
        df.loc[used, ["_label", "channel", "data_used"]]
        .assign(field=lambda x: x["data_used"].astype(str).str.split(";"))
        .explode("field")
    )
    counts = exploded.groupby(["_label", exploded["channel"].astype(str), "field"]).size()
    totals = df.loc[used].groupby(["_label", df.loc[used, "channel"].astype(str)]).size()
    for (label, channel, f), n in counts.items():
        if f in fields and n >= 0.2 * totals.get((label, channel), np.inf):
            needs.setdefault((label, channel), []).append(f)
    return {"fields": fields, "needs": {k: sorted(v) for k, v in needs.items()}}


def write_scenario(cal: Calibration) -> str:
    """The scenario as commented YAML a consultant can read and edit."""
    lines = [
        "# Scenario calibrated by flowkit from a contact log. Edit freely: every number below is",
        "# an estimate, and the comments say where it came from.",
        f"# Log: {cal.notes.get('period', '')}",
    ]
    for key in ("left_out", "customers", "arrivals", "occupancy", "after_call_work"):
        if key in cal.notes:
            lines.append(f"# {key}: {cal.notes[key]}")
    lines.append("")
    order = [
        "name",
        "seed",
        "horizon_hours",
        "warmup_hours",
        "replications",
        "fit",
        "open_hours",
        "closed",
        "ivr",
        "patience",
        "redial",
        "recontact",
        "agents",
        "data_fields",
        "demand",
    ]
    for key in order:
        if key not in cal.doc:
            continue
        if key in cal.notes:
            lines.append(f"# {key}: {cal.notes[key]}")
        value = cal.doc[key]
        flow = None if isinstance(value, (dict, list)) else False  # scalars as `key: value`
        dumped = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, default_flow_style=flow, width=120)
        lines.append(dumped.rstrip())
        if key in (
            "replications",
            "fit",
            "open_hours",
            "closed",
            "ivr",
            "patience",
            "redial",
            "recontact",
            "agents",
            "data_fields",
        ):
            lines.append("")
    return "\n".join(lines) + "\n"


def save(cal: Calibration, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    from flowkit.safewrite import write_text

    write_text(path, cal.to_yaml())
    return path
