"""Calibrate a scenario from a contact log, so the what-ifs start from the service as it is.

Estimated from an ingested (and ideally classified, stitched) log:
- arrivals per demand stream by weekday and hour (first contacts of cases only: repeats are
  produced by the model's failure-demand loop, not assumed);
- handle time per stream (lognormal by mean and cv);
- resolution at first contact per stream;
- re-contact probability and delay from cases; redial after abandoning;
- phone patience from waits, censored: exponential MLE = total time waited / abandons
  (answered callers' waits are lower bounds on their patience);
- teams from the channels each agent handled, each team's staffing per weekday and hour from
  its agents' activity (written as shifts), and live channels' opening hours where agents were on;
- data-field effects from the observational ``data_used`` estimate, where recorded.
The result is a scenario file with comments saying where each number came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from flowkit import schema
from flowkit.errors import FlowkitError
from flowkit.sim.scenario import DAYS, LIVE_CHANNELS, Scenario, scenario_from_dict

__all__ = ["Calibration", "calibrate", "write_scenario"]

MIN_STREAM = 30          # contacts: smaller streams are pooled per channel as "other"


@dataclass
class Calibration:
    doc: dict                                   # the scenario as YAML-ready data
    notes: dict[str, str] = field(default_factory=dict)   # section -> where it came from
    scenario: Scenario | None = None

    def to_yaml(self) -> str:
        return write_scenario(self)


def _lognormal(x: pd.Series) -> dict:
    x = x[x > 0].astype(float)
    if len(x) < 2:
        return {"dist": "exponential", "mean_s": float(x.mean()) if len(x) else 300.0}
    cv = float(x.std(ddof=1) / x.mean()) if x.mean() > 0 else 1.0
    return {"dist": "lognormal", "mean_s": round(float(x.mean()), 1), "cv": round(max(cv, 0.05), 3)}


def _label(df: pd.DataFrame) -> pd.Series:
    if "demand" not in df.columns:
        return df["reason_code"].astype(object).fillna("contact").astype(str)
    ft = df["failure_type"].astype(object)
    return ft.where(df["demand"].astype(str).eq("failure") & ft.notna(), df["demand_type"].astype(object)).fillna(
        df["reason_code"].astype(object)).fillna("contact").astype(str)


def _weekly_profile(times: pd.Series, days_of_week: np.ndarray) -> list[list[float]]:
    """Arrivals per hour for each weekday and hour: counts / number of such weekdays observed."""
    counts = np.zeros((7, 24))
    np.add.at(counts, (times.dt.day_of_week.to_numpy(), times.dt.hour.to_numpy()), 1)
    n_days = np.maximum(days_of_week, 1)[:, None]
    return np.round(counts / n_days, 3).tolist()


def _staffing(df: pd.DataFrame, days_of_week: np.ndarray) -> np.ndarray:
    """Mean number of distinct agents who started handling a contact in each weekday-hour.

    Handling starts when the wait ends (received + wait): counting by the hour a contact was
    received would credit the next shift's agents to the hour before they came on.
    """
    d = df[df["agent_id"].notna()]
    if d.empty:
        return np.zeros((7, 24))
    started = d["received_at"] + pd.to_timedelta(d["wait_s"].astype(float).fillna(0.0), unit="s")
    per_hour = d.groupby(started.dt.floor("h"))["agent_id"].nunique()
    idx = per_hour.index
    total = np.zeros((7, 24))
    np.add.at(total, (idx.day_of_week.to_numpy(), idx.hour.to_numpy()), per_hour.to_numpy())
    return np.round(total / np.maximum(days_of_week, 1)[:, None])


def _shifts(staff: np.ndarray) -> list[dict]:
    """Hourly staffing as shifts: runs of equal counts within a day, same runs merged across days."""
    runs: dict[tuple[int, int, int], list[int]] = {}
    for day in range(7):
        hour = 0
        while hour < 24:
            count = int(staff[day, hour])
            end = hour
            while end < 24 and int(staff[day, end]) == count:
                end += 1
            if count > 0:
                runs.setdefault((hour, end, count), []).append(day)
            hour = end
    shifts = []
    for (start, end, count), days in sorted(runs.items(), key=lambda kv: (kv[1][0], kv[0][0])):
        shifts.append({"days": _day_span(days), "start": f"{start:02d}:00", "end": f"{end:02d}:00" if end < 24 else "24:00",
                       "count": count})
    return _expand_day_lists(shifts)


def _day_span(days: list[int]) -> str | list[str]:
    if days == list(range(days[0], days[-1] + 1)):
        return DAYS[days[0]] if len(days) == 1 else f"{DAYS[days[0]]}-{DAYS[days[-1]]}"
    return [DAYS[d] for d in days]


def _expand_day_lists(shifts: list[dict]) -> list[dict]:
    out = []
    for s in shifts:
        if isinstance(s["days"], list):
            out.extend({**s, "days": d} for d in s["days"])
        else:
            out.append(s)
    return sorted(out, key=lambda s: (DAYS.index(s["days"][:3]), s["start"]))


def _open_hours(staff: np.ndarray) -> str | None:
    spans = []
    for day in range(7):
        hours = np.flatnonzero(staff[day] > 0)
        if hours.size:
            spans.append(f"{DAYS[day]} {hours.min():02d}:00-{'24:00' if hours.max() == 23 else f'{hours.max() + 1:02d}:00'}")
    return "; ".join(spans) or None


def calibrate(contacts: pd.DataFrame, name: str = "calibrated", agents: int | None = None, seed: int = 1,
              replications: int = 10, horizon_hours: float | None = None) -> Calibration:
    """Estimate a scenario from ``contacts``. ``agents`` is required when the log has no agent ids."""
    df = schema.conform(contacts)
    df = df[df["received_at"].notna()].sort_values("received_at", kind="stable")
    if len(df) < 50:
        raise FlowkitError(f"calibration needs at least 50 contacts, got {len(df)}")
    if df["case_id"].isna().all():
        from flowkit.cases import stitch

        df = stitch(df).contacts
    notes: dict[str, str] = {}
    start, end = df["received_at"].min().normalize(), df["received_at"].max().normalize() + pd.Timedelta(days=1)
    all_days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    days_of_week = np.bincount(all_days.day_of_week, minlength=7).astype(float)
    span_h = (end - start).total_seconds() / 3600.0
    notes["period"] = f"{start:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d}, {len(df):,} contacts"

    # cases: first contacts arrive from outside; repeats come from the failure-demand loop
    df = df.assign(_label=_label(df), _n=df.groupby("case_id", observed=True).cumcount())
    nxt = df.groupby("case_id", observed=True)["received_at"].shift(-1)
    df["_next_gap"] = (nxt - df["received_at"]).dt.total_seconds()
    first = df[df["_n"] == 0]

    streams = []
    pooled: dict[str, list] = {}
    for (label, channel), g in first.groupby(["_label", df.loc[first.index, "channel"].astype(str)], observed=True):
        if len(g) < MIN_STREAM:
            pooled.setdefault(channel, []).append(g)
            continue
        streams.append((label, channel, g))
    for channel, gs in pooled.items():
        streams.append(("other", channel, pd.concat(gs)))
    demand = []
    all_handle = df["handle_s"].dropna()
    for label, channel, g in sorted(streams, key=lambda s: -len(s[2])):
        handle = g["handle_s"].dropna()
        answered = g[g["abandoned"].fillna(False).astype(bool).eq(False)]
        res = answered["resolved"].dropna()
        resolve_p = float(res.mean()) if len(res) else float(1 - g["_next_gap"].notna().mean())
        is_failure = "demand" in g.columns and g["demand"].astype(str).eq("failure").mean() > 0.5
        entry = {"type": label, "demand": "failure" if is_failure else "value", "channel": channel,
                 "by_weekday": {DAYS[d]: row for d, row in enumerate(_weekly_profile(g["received_at"], days_of_week))},
                 "handle": _lognormal(handle if len(handle) >= 10 else all_handle),
                 "resolve_p": round(min(max(resolve_p, 0.0), 1.0), 3)}
        if is_failure:
            ft = g["failure_type"].astype(str).mode()
            if len(ft) and ft.iloc[0] in schema.FAILURE_TYPES:
                entry["failure_type"] = ft.iloc[0]
        demand.append(entry)
    notes["demand"] = (f"{len(demand)} streams from {len(first):,} first contacts of cases; arrivals per weekday and "
                       f"hour averaged over the {len(all_days)} days observed")

    # the failure-demand loop
    not_abandoned = ~df["abandoned"].fillna(False).astype(bool)
    unresolved = df[df["resolved"].eq(False).fillna(False).astype(bool) & not_abandoned]
    base = unresolved if len(unresolved) >= 20 else df[not_abandoned]
    p_back = float(base["_next_gap"].notna().mean()) if len(base) else 0.0
    gaps = base["_next_gap"].dropna()
    doc: dict = {"name": name, "seed": seed, "horizon_hours": round(horizon_hours or min(span_h, 28 * 24), 1),
                 "warmup_hours": 24, "replications": replications}
    if p_back > 0 and len(gaps) >= 5:
        repeats = df[df["_n"] > 0]
        as_type = "progress_chasing"
        if "demand" in df.columns and len(repeats):
            m = repeats["failure_type"].astype(str)
            m = m[m.isin(schema.FAILURE_TYPES)]
            if len(m):
                as_type = m.mode().iloc[0]
        doc["recontact"] = {"p": round(p_back, 3), "delay": _lognormal(gaps), "as": as_type}
        notes["recontact"] = (f"share of {'unresolved ' if base is unresolved else ''}contacts followed by another in "
                              f"their case ({len(base):,} contacts); delay from the gaps between them")

    phone = df[df["channel"].astype(str).eq("phone")]
    if len(phone) and phone["abandoned"].notna().any():
        queued = phone[phone["wait_s"].notna()]
        n_abandon = int(phone["abandoned"].fillna(False).astype(bool).sum())
        exposure = float(queued["wait_s"].astype(float).sum())
        if n_abandon > 0 and exposure > 0:
            doc["patience"] = {"dist": "exponential", "mean_s": round(exposure / n_abandon, 1)}
            notes["patience"] = (f"exponential MLE with censoring: {exposure / 3600:,.1f} hours waited by {len(queued):,} "
                                 f"callers / {n_abandon:,} abandons")
        ab = phone[phone["abandoned"].fillna(False).astype(bool)]
        back = ab["_next_gap"].dropna()
        back = back[back < 86400]
        if len(ab) >= 20 and len(back) >= 5:
            doc["redial"] = {"p": round(len(back) / len(ab), 3), "delay": _lognormal(back)}
            notes["redial"] = f"abandoned callers who called again within a day: {len(back):,} of {len(ab):,}"

    channels = sorted({d["channel"] for d in demand})
    teams, team_notes, live_hours = _teams(df, channels, demand, days_of_week, agents)
    doc["agents"] = teams
    notes["agents"] = team_notes
    if live_hours:
        doc["open_hours"] = live_hours
        doc["closed"] = {"return_p": 1.0}
        notes["open_hours"] = "live channels: the hours their agents were on"
        notes["closed"] = ("assumed, not observed (a log cannot show calls to a closed line): every caller who finds "
                           "the line closed tries again in its first hour; lower it if you know better")

    fields = _data_fields(df)
    if fields:
        doc["data_fields"] = fields["fields"]
        for entry in demand:
            need = fields["needs"].get((entry["type"], entry["channel"]))
            if need:
                entry["needs"] = need
        notes["data_fields"] = ("adjusted (doubly robust) effects of each field in data_used, with standard errors: "
                                "observational, each replication draws its effect; a pilot confirms them")
    doc["demand"] = demand
    cal = Calibration(doc, notes)
    cal.scenario = scenario_from_dict(yaml.safe_load(yaml.safe_dump(doc)), f"calibrated from the log ({name})")
    return cal


def _teams(df: pd.DataFrame, channels: list[str], demand: list[dict], days_of_week: np.ndarray,
           agents: int | None) -> tuple[list[dict], str, dict]:
    """Teams as the log shows them: agents grouped by the channels they handled, each team's
    staffing per weekday-hour from its own agents. Channels no agent appears on get a team
    sized to their workload (mean offered Erlangs x 1.25, at least 1), or ``agents`` if given."""
    d = df[df["agent_id"].notna()]
    skills = d.groupby("agent_id", observed=True)["channel"].agg(lambda c: tuple(sorted(set(map(str, c)))))
    teams, notes, live_hours = [], [], {}
    covered: set[str] = set()
    for k, (chans, members) in enumerate(sorted(skills.groupby(skills).groups.items(), key=lambda kv: -len(kv[1]))):
        chans = [c for c in chans if c in channels]
        if not chans:
            continue
        staff = _staffing(d[d["agent_id"].isin(members)], days_of_week)
        if staff.sum() == 0:
            continue
        name = f"team {k + 1} ({', '.join(chans)})"
        teams.append({"team": name, "channels": chans, "shifts": _shifts(staff)})
        covered.update(chans)
        notes.append(f"{name}: {len(members)} agents, staffing per weekday-hour = mean number of distinct agents who "
                     "started handling a contact in that hour")
        hours = _open_hours(staff)
        for c in chans:
            if c in LIVE_CHANNELS and hours and c not in live_hours:
                live_hours[c] = hours
    missing = [c for c in channels if c not in covered]
    if missing:
        if agents is None and not teams:
            raise FlowkitError("the log has no agent ids: give the number of agents (--agents N)")
        if agents is not None and not teams:
            teams.append({"team": "agents", "channels": missing, "count": int(agents)})
            notes.append(f"{agents} agents, given by the user (the log has no agent ids)")
        else:
            load = sum(sum(map(sum, e["by_weekday"].values())) / (7 * 24) * e["handle"]["mean_s"] / 3600.0
                       for e in demand if e["channel"] in missing)
            count = int(agents or max(1, np.ceil(load * 1.25)))
            teams.append({"team": f"unstaffed in the log ({', '.join(missing)})", "channels": missing, "count": count})
            notes.append(f"{', '.join(missing)}: no agent ids in the log, so {count} agents "
                         f"({'given' if agents else f'{load:.1f} Erlangs of workload x 1.25'}) - check this")
    return teams, "; ".join(notes), live_hours


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
    exploded = df.loc[used, ["_label", "channel", "data_used"]].assign(
        field=lambda x: x["data_used"].astype(str).str.split(";")).explode("field")
    counts = exploded.groupby(["_label", exploded["channel"].astype(str), "field"]).size()
    totals = df.loc[used].groupby(["_label", df.loc[used, "channel"].astype(str)]).size()
    for (label, channel, f), n in counts.items():
        if f in fields and n >= 0.2 * totals.get((label, channel), np.inf):
            needs.setdefault((label, channel), []).append(f)
    return {"fields": fields, "needs": {k: sorted(v) for k, v in needs.items()}}


def write_scenario(cal: Calibration) -> str:
    """The scenario as commented YAML a consultant can read and edit."""
    lines = ["# Scenario calibrated by flowkit from a contact log. Edit freely: every number below is",
             "# an estimate, and the comments say where it came from.", f"# Log: {cal.notes.get('period', '')}", ""]
    order = ["name", "seed", "horizon_hours", "warmup_hours", "replications", "open_hours", "closed", "patience", "redial",
             "recontact", "agents", "data_fields", "demand"]
    for key in order:
        if key not in cal.doc:
            continue
        if key in cal.notes:
            lines.append(f"# {key}: {cal.notes[key]}")
        value = cal.doc[key]
        flow = None if isinstance(value, (dict, list)) else False   # scalars as `key: value`
        dumped = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, default_flow_style=flow, width=120)
        lines.append(dumped.rstrip())
        if key in ("replications", "open_hours", "closed", "patience", "redial", "recontact", "agents", "data_fields"):
            lines.append("")
    return "\n".join(lines) + "\n"


def save(cal: Calibration, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cal.to_yaml(), encoding="utf-8")
    return path
