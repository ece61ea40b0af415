"""When customers try a closed line: out-of-hours attempts, the opening hours, the storm at opening.

Opening hours are a weekly grid of 168 hours (Monday 00:00 first). They are either given (the
same text as a scenario's ``open_hours``) or inferred per live channel from when contacts are
*answered*: an hour of the week is open when, on the days of that weekday in the log, it answers
at least ``MIN_SHARE`` of what the busiest hour answers and at least one contact a day (or, between
two open hours, answers anything at all). A channel
whose log is too short or never marks answered contacts gets "unknown", never a guess.

An attempt while closed is any contact on the channel in a closed hour (recorded as answered,
abandoned or 'closed' - a switch logs all three). A customer who tried while closed *redials at
opening* when their next contact on the same channel falls in the first ``hours`` of the next
opening; one who turns up on another channel first has *gone elsewhere*. Only identified customers
can be followed: the share is over them (Wilson 95% CI), and the naive share over all attempts is
shown beside it, because withheld numbers make it too low.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flowkit.errors import FlowkitError
from flowkit.sim.scenario_file import DAYS, open_intervals

__all__ = [
    "LIVE",
    "ClosedLine",
    "answered",
    "attempts_while_closed",
    "closed_line",
    "grid_from_text",
    "grid_text",
    "infer_open_hours",
    "next_opening",
    "redials_at_opening",
    "week_slot",
]

LIVE = ("phone", "chat", "visit")
MIN_SHARE = 0.02  # an open hour answers at least this share of the busiest hour's contacts
MIN_ANSWERED = 200  # fewer answered contacts on a channel: its hours are "unknown"
MIN_DAYS = 7  # ... and so is a log shorter than a week
ALPHA = 0.05
MIN_EPISODES = 30  # fewer identified customers on a closed line: "too few to say"


def week_slot(t: pd.Series) -> np.ndarray:
    """Hour of the week, 0 = Monday 00:00-01:00."""
    t = pd.to_datetime(t)
    return (t.dt.day_of_week * 24 + t.dt.hour).to_numpy(dtype=np.int64)


def grid_from_text(text: str) -> np.ndarray:
    """'Mon-Fri 08:00-18:00; Sat 09:00-13:00' as 168 booleans (an hour open for 30 minutes or more)."""
    try:
        spans = open_intervals(text)
    except ValueError as exc:
        raise FlowkitError(f"opening hours {text!r}: {exc}") from exc
    grid = np.zeros(168, dtype=bool)
    for a, b in spans:
        for h in range(168):
            if min(b, (h + 1) * 3600.0) - max(a, h * 3600.0) >= 1800:
                grid[h] = True
    return grid


def grid_text(grid: np.ndarray) -> str:
    """168 booleans back as 'Mon-Fri 08:00-18:00; Sat 09:00-13:00' (days with the same hours joined)."""
    per_day = []
    for d in range(7):
        row, spans, h = grid[d * 24 : d * 24 + 24], [], 0
        while h < 24:
            if row[h]:
                e = h
                while e < 24 and row[e]:
                    e += 1
                spans.append(f"{h:02d}:00-{e:02d}:00")
                h = e
            else:
                h += 1
        per_day.append(spans)
    parts: list[str] = []
    d = 0
    while d < 7:
        e = d
        while e + 1 < 7 and per_day[e + 1] == per_day[d]:
            e += 1
        days = DAYS[d] if e == d else f"{DAYS[d]}-{DAYS[e]}"
        parts.extend(f"{days} {span}" for span in per_day[d])
        d = e + 1
    return "; ".join(parts) if parts else "closed all week"


def answered(c: pd.DataFrame) -> pd.Series:
    """Contacts an agent took: not abandoned, not 'closed', and with an agent or a handle time."""
    ab = c["abandoned"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    took = c["handle_s"].astype("Float64").fillna(0).to_numpy(dtype=float) > 0
    if "agent_id" in c.columns:
        took |= c["agent_id"].notna().to_numpy()
    if "outcome" in c.columns:
        took &= c["outcome"].astype("string").fillna("").to_numpy(dtype=object) != "closed"
    return pd.Series(took & ~ab, index=c.index)


@dataclass
class Hours:
    """One channel's opening hours: the grid (None = unknown), where they come from, and why."""

    channel: str
    grid: np.ndarray | None
    source: str  # "given", "inferred" or "unknown"
    note: str = ""

    @property
    def text(self) -> str:
        return grid_text(self.grid) if self.grid is not None else "unknown"


def infer_open_hours(c: pd.DataFrame, channel: str) -> Hours:
    """The hours a channel answers, from the log (see the module docstring for the rule)."""
    d = c[c["channel"].astype(str) == channel]
    ok = answered(d)
    if int(ok.sum()) < MIN_ANSWERED:
        return Hours(channel, None, "unknown", f"only {int(ok.sum())} answered contacts (need {MIN_ANSWERED})")
    t = pd.to_datetime(d["received_at"])
    span_days = (t.max() - t.min()) / pd.Timedelta(days=1)
    if span_days < MIN_DAYS:
        return Hours(channel, None, "unknown", f"the log covers {span_days:.1f} days (need {MIN_DAYS})")
    dates = t.dt.normalize()
    days_per_weekday = dates.drop_duplicates().dt.day_of_week.value_counts().reindex(range(7), fill_value=0)
    per_slot = np.bincount(week_slot(t[ok.to_numpy()]), minlength=168).astype(float)
    n_days = np.repeat(days_per_weekday.to_numpy(), 24).astype(float)
    per_day = np.divide(per_slot, n_days, out=np.zeros(168), where=n_days > 0)
    grid = (per_day >= max(1.0, MIN_SHARE * per_day.max())) & (n_days > 0)
    # a quiet hour between two open ones that still answered calls (a Sunday lunchtime) is open
    gap = ~grid & (per_slot > 0) & np.roll(grid, 1) & np.roll(grid, -1)
    grid |= gap
    note = f"inferred from {int(ok.sum()):,} answered contacts"
    missing = [DAYS[i] for i in range(7) if days_per_weekday[i] == 0]
    if missing:
        note += f"; no {', '.join(missing)} in the log (taken as closed)"
    return Hours(channel, grid, "inferred", note)


def next_opening(t: pd.Series, grid: np.ndarray) -> pd.Series:
    """For each time, the start of the next open hour after it (NaT when the grid is never open)."""
    opens = np.flatnonzero(grid & ~np.roll(grid, 1))
    if not opens.size:
        return pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
    slot = week_slot(t)
    ahead = np.concatenate([opens, opens + 168])
    nxt = ahead[np.searchsorted(ahead, slot, side="right")]
    hour0 = pd.to_datetime(t).dt.floor("h")
    return hour0 + pd.to_timedelta(nxt - slot, unit="h")


def attempts_while_closed(c: pd.DataFrame, hours: dict[str, Hours]) -> pd.DataFrame:
    """Out-of-hours attempts by channel, weekday and hour, split by how the log recorded them."""
    rows = []
    for ch, h in hours.items():
        if h.grid is None:
            continue
        d = c[c["channel"].astype(str) == ch]
        closed = ~h.grid[week_slot(d["received_at"])]
        d = d[closed]
        if d.empty:
            continue
        t = pd.to_datetime(d["received_at"])
        took = answered(d)
        how = np.where(took, "answered", "abandoned or closed")
        g = pd.DataFrame({"channel": ch, "weekday": t.dt.day_of_week.map(dict(enumerate(DAYS))), "hour": t.dt.hour})
        g["how"] = how
        rows.append(g)
    if not rows:
        return pd.DataFrame(columns=["channel", "weekday", "hour", "attempts", "answered"])
    g = pd.concat(rows)
    out = g.groupby(["channel", "weekday", "hour"], sort=False).agg(
        attempts=("how", "size"), answered=("how", lambda s: int((s == "answered").sum()))
    )
    out = out.reset_index()
    out["_d"] = out["weekday"].map({d: i for i, d in enumerate(DAYS)})
    return out.sort_values(["channel", "_d", "hour"]).drop(columns="_d").reset_index(drop=True)


def _wilson(k: int, n: int) -> tuple[float, float, float]:
    from statsmodels.stats.proportion import proportion_confint

    if n == 0:
        return np.nan, np.nan, np.nan
    lo, hi = proportion_confint(k, n, alpha=ALPHA, method="wilson")
    return k / n, float(lo), float(hi)


def redials_at_opening(c: pd.DataFrame, hours: dict[str, Hours], within_hours: float = 2.0) -> pd.DataFrame:
    """Per channel: closed-line episodes (a customer's attempts before one opening), the share who
    redial in the first ``within_hours`` after it, the share who turn up on another channel first
    (within a day), both with Wilson CIs, and the naive share over all attempts including
    unidentified ones. Also the opening load: what share of the first hours' contacts are redials."""
    rows = []
    t_all = pd.to_datetime(c["received_at"])
    for ch, h in hours.items():
        if h.grid is None:
            continue
        on = (c["channel"].astype(str) == ch).to_numpy()
        slot = week_slot(t_all)
        closed_mask = on & ~h.grid[slot]
        att = c[closed_mask]
        if att.empty:
            continue
        opening = next_opening(att["received_at"], h.grid)
        known = att["customer_id"].notna().to_numpy()
        ep = pd.DataFrame(
            {
                "customer_id": att["customer_id"][known].astype(str).to_numpy(),
                "opening": opening[known].to_numpy(),
                "last_try": pd.to_datetime(att["received_at"][known]).to_numpy(),
            }
        )
        ep = ep.groupby(["customer_id", "opening"], as_index=False).max()  # its one other column: last_try
        # the customer's first contact after the episode's last attempt, on any channel
        later = c[c["customer_id"].notna()][["customer_id", "received_at", "channel"]]
        later = pd.DataFrame(
            {
                "customer_id": later["customer_id"].astype(str).to_numpy(),
                "next_at": pd.to_datetime(later["received_at"]).to_numpy(),
                "next_channel": later["channel"].astype(str).to_numpy(),
            }
        ).sort_values("next_at", kind="stable")
        nxt = pd.merge_asof(
            ep.sort_values("last_try", kind="stable"),
            later,
            left_on="last_try",
            right_on="next_at",
            by="customer_id",
            direction="forward",
            allow_exact_matches=False,
        )
        window = pd.Timedelta(hours=within_hours)
        same = nxt["next_channel"].eq(ch)
        redial = same & (nxt["next_at"] >= nxt["opening"]) & (nxt["next_at"] < nxt["opening"] + window)
        went = nxt["next_at"].notna() & ~same & (nxt["next_at"] < nxt["last_try"] + pd.Timedelta(days=1))
        n, k, g = len(nxt), int(redial.sum()), int(went.sum())
        share, lo, hi = _wilson(k, n)
        e_share, e_lo, e_hi = _wilson(g, n)
        # the storm: contacts on this channel in the first hours after an opening, and how many are redials
        first = on & h.grid[slot] & ~h.grid[(slot - int(np.ceil(within_hours))) % 168]
        n_first = int(first.sum())
        rows.append(
            {
                "channel": ch,
                "hours": h.text,
                "hours_from": h.source,
                "attempts_closed": int(closed_mask.sum()),
                "identified_attempts": int(known.sum()),
                "episodes": n,
                "redialled": k,
                "redial_share": share,
                "ci_low": lo,
                "ci_high": hi,
                "went_elsewhere": g,
                "elsewhere_share": e_share,
                "elsewhere_ci_low": e_lo,
                "elsewhere_ci_high": e_hi,
                "naive_share": k / len(att) if len(att) else np.nan,
                "first_hours_contacts": n_first,
                "storm_share": k / n_first if n_first else np.nan,
                "within_hours": within_hours,
                "verdict": "measured"
                if n >= MIN_EPISODES
                else f"too few identified customers ({n}; need {MIN_EPISODES})",
            }
        )
    return pd.DataFrame(rows)


@dataclass
class ClosedLine:
    """Everything the closed-line question found, per live channel."""

    hours: dict[str, Hours]
    attempts: pd.DataFrame
    redials: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def closed_line(c: pd.DataFrame, open_hours: dict[str, str] | None = None, within_hours: float = 2.0) -> ClosedLine:
    """Opening hours (given or inferred), out-of-hours attempts and redials at opening, per live channel."""
    given = open_hours or {}
    from flowkit.analyse.callbacks import outbound

    out_flag = outbound(c)
    if out_flag is not None:  # calls the centre made say nothing about when customers can reach it
        c = c[~out_flag]
    present = set(c["channel"].astype(str).unique())
    hours: dict[str, Hours] = {}
    for ch in [*LIVE, *sorted(set(given) - set(LIVE))]:
        if ch not in present:
            continue
        if ch in given:
            hours[ch] = Hours(ch, grid_from_text(given[ch]), "given", "given by the user")
        else:
            hours[ch] = infer_open_hours(c, ch)
    notes = [f"{h.channel}: {h.text} ({h.source}; {h.note})" for h in hours.values()]
    return ClosedLine(hours, attempts_while_closed(c, hours), redials_at_opening(c, hours, within_hours), notes)
