"""Who was on duty when, from agents' busy intervals; after-call work; teams by the channels they handle."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.errors import FlowkitError
from flowkit.sim.calibrate.durations import _mean_s
from flowkit.sim.calibrate.identities import _real_agents
from flowkit.sim.calibrate.profiles import SLOT_S, _open_hours, _shifts, _staffing
from flowkit.sim.scenario import LIVE_CHANNELS


def agents_on_duty(
    df: pd.DataFrame, idle_gap_s: float, wrap_s: float | dict[str, float] = 0.0
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Agents on duty per date and half hour from busy intervals.

    An agent's service intervals (start = received + wait, end = start + handle) are joined
    across idle gaps of at most ``idle_gap_s`` during which no caller of the same channels was
    kept waiting for more than a minute (in total) meanwhile (callers of live channels: a deferred
    channel's backlog is no one waiting): that idle time is on duty, and so is
    a spell's mean idle gap before the day's first call and after its last. A longer gap, or one
    while callers waited (an available agent would have taken them: wrap-up, a break), is not.
    Returns (date x slot agent counts, figures: busy and on-duty hours,
    occupancy, apparent shrinkage = breaks / the span from each agent's first to last call of a day).
    """
    d = df[_real_agents(df["agent_id"]) & df["handle_s"].notna()]
    if d.empty:
        return pd.DataFrame(), {}
    start = d["received_at"] + pd.to_timedelta(d["wait_s"].astype(float).fillna(0.0), unit="s")
    end = start + pd.to_timedelta(d["handle_s"].astype(float).clip(lower=0) + _wrap_per_row(d, wrap_s), unit="s")
    iv = pd.DataFrame(
        {"agent": d["agent_id"].astype(str).to_numpy(), "start": start.to_numpy(), "end": end.to_numpy()}
    ).sort_values(["agent", "start"], kind="stable")
    busy_s = float((iv["end"] - iv["start"]).dt.total_seconds().sum())
    # join each agent's intervals into on-duty spells
    prev_end = iv.groupby("agent")["end"].transform(lambda e: e.cummax().shift())
    gap = (iv["start"] - prev_end).dt.total_seconds()
    waited = _queue_overlap(_live(df), prev_end, iv["start"])
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
    for i, j, s0, s1 in zip(first, last, a, b, strict=False):
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


def after_call_work(df: pd.DataFrame, channel: str, cap_s: float = 300.0) -> tuple[float, int]:
    """Seconds of work after each ``channel`` contact that the log's handle time lacks (wrap-up), and
    on how many gaps it was measured. When callers of the channel were waiting as an agent finished
    one of its contacts, an available agent takes the next one at once: the mean gap to that agent's
    next contact (of any channel), over gaps all through which the channel's callers waited (gaps
    within +-``cap_s``, so the contact table's missing VRU time, which shifts both ends, averages
    out; longer gaps are breaks) is after-call work. Measured per live channel: an agent who leaves
    an e-mail backlog for a moment is not wrapping up, and a chat's wrap-up is not a call's.
    0 when it cannot be seen."""
    if channel not in LIVE_CHANNELS:
        return 0.0, 0
    d = df[_real_agents(df["agent_id"]) & df["handle_s"].notna()]
    mine = d["channel"].astype(str).eq(channel).to_numpy()
    if int(mine.sum()) < 50:
        return 0.0, 0
    start = d["received_at"] + pd.to_timedelta(d["wait_s"].astype(float).fillna(0.0), unit="s")
    end = start + pd.to_timedelta(d["handle_s"].astype(float).clip(lower=0), unit="s")
    iv = pd.DataFrame(
        {"agent": d["agent_id"].astype(str).to_numpy(), "start": start.to_numpy(), "end": end.to_numpy(), "mine": mine}
    ).sort_values(["agent", "start"], kind="stable")
    by_agent = iv.groupby("agent")
    prev_end = by_agent["end"].shift()
    after_mine = by_agent["mine"].shift().eq(True)  # the gap follows one of the channel's contacts
    gap = (iv["start"] - prev_end).dt.total_seconds()
    callers = df[df["channel"].astype(str).eq(channel)]
    queued = _queue_overlap(callers, prev_end, prev_end + pd.Timedelta(seconds=10)) >= 9.0
    # callers waiting all through the gap (so it did not end because one turned up)
    through = _queue_overlap(callers, prev_end, iv["start"].where(gap > 0, prev_end)) >= gap - 2.0
    g = gap[after_mine & queued & (through | gap.le(0)) & gap.notna() & gap.abs().le(cap_s)]
    if len(g) < 30:
        return 0.0, len(g)
    return max(float(g.mean()), 0.0), len(g)


def _live(df: pd.DataFrame) -> pd.DataFrame:
    """The contacts whose wait is a caller waiting (an e-mail backlog keeps nobody on the line)."""
    return df[df["channel"].astype(str).isin(LIVE_CHANNELS)]


def _wrap_per_row(d: pd.DataFrame, wrap_s: float | dict[str, float]) -> np.ndarray:
    if isinstance(wrap_s, dict):
        return d["channel"].astype(str).map(wrap_s).fillna(0.0).to_numpy(dtype=float)
    return np.full(len(d), float(wrap_s))


def _teams(
    df: pd.DataFrame, all_days: pd.DatetimeIndex, idle_gap_s: float, wrap_s: float | dict[str, float] = 0.0
) -> tuple[list[dict], list[str], dict[str, str], dict[str, float], dict[str, np.ndarray]]:
    """Teams as the log shows them: agents grouped by the channels they handled, each team's
    agents on duty per weekday x half hour from its own agents' busy intervals; live channels
    open in the half hours someone was on duty (``open_slots``: channel -> 7 x 48 booleans)."""
    channels = sorted(df["channel"].astype(str).unique())
    open_slots: dict[str, np.ndarray] = {}
    d = df[_real_agents(df["agent_id"])]
    # agents by the channels they handled (a team), the largest team first, then by its channels
    by_skills: dict[tuple[str, ...], list[object]] = {}
    for agent, handled in d.groupby("agent_id", observed=True)["channel"]:
        by_skills.setdefault(tuple(sorted(set(map(str, handled)))), []).append(agent)
    teams: list[dict] = []
    notes: list[str] = []
    live_hours: dict[str, str] = {}
    figures: dict[str, float] = {}
    per_team: list[tuple[bool, dict]] = []
    covered: set[str] = set()
    for k, (skill_set, members) in enumerate(sorted(by_skills.items(), key=lambda kv: (-len(kv[1]), kv[0]))):
        chans = [c for c in skill_set if c in channels]
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
