"""Demand: how much of it is failure demand, of what kinds, through which channels, how predictable.

Failure share is taken over classified contacts (value + failure); ``unknown`` contacts
are counted separately and never silently folded into either side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.analyse.capability import XmR, xmr

__all__ = [
    "complete_week_count",
    "complete_weeks",
    "failure_share",
    "pareto",
    "predictability",
    "value_failure_links",
    "volumes",
    "weekly_by_type",
]

_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _label(df: pd.DataFrame) -> pd.Series:
    """The demand type to show: the failure type for failure demand, the demand type for value."""
    ft = df["failure_type"].astype(object)
    dt = df["demand_type"].astype(object)
    return ft.where(df["demand"].astype(str).eq("failure") & ft.notna(), dt).fillna("unknown").astype(str)


def failure_share(df: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Contacts, value, failure, unknown and failure share (of value + failure), overall or per ``by``.

    ``by`` may be a column or one of ``hour``, ``weekday``, ``week`` (complete weeks only).
    """
    d = df.assign(
        hour=df["received_at"].dt.hour,
        weekday=pd.Categorical(df["received_at"].dt.day_of_week.map(dict(enumerate(_DAYS))), _DAYS),
        week=df["received_at"].dt.to_period("W-SUN").dt.start_time,
    )
    demand = d["demand"].astype(str)
    frame = pd.DataFrame(
        {"value": demand.eq("value"), "failure": demand.eq("failure"), "unknown": demand.eq("unknown")}
    )
    if by == "week":
        t = frame.groupby(d["received_at"].dt.to_period("W-SUN")).sum()
        t = complete_weeks(t, d["received_at"])
        assert isinstance(t.index, pd.PeriodIndex), "weekly periods"
        t.index = t.index.start_time
        t.index.name = "week"
    elif by is None:
        t = frame.sum().to_frame().T
    else:
        t = frame.groupby(d[by], observed=True).sum()
    t = t.astype(int)
    t.insert(0, "contacts", t.sum(axis=1))
    classified = t["value"] + t["failure"]
    t["failure_share"] = np.where(classified > 0, t["failure"] / classified.where(classified > 0, 1), np.nan)
    return t


def volumes(df: pd.DataFrame, by: str) -> pd.Series:
    """Contacts per value of ``by`` (a column, or hour / weekday / week)."""
    return failure_share(df, by)["contacts"]


def pareto(df: pd.DataFrame) -> pd.DataFrame:
    """Demand types by volume, largest first, with share and cumulative share of all contacts."""
    labels = _label(df)
    t = pd.DataFrame({"demand": df["demand"].astype(str), "type": labels})
    counts = t.groupby(["type", "demand"]).size().rename("contacts").reset_index()
    counts = counts.sort_values(["contacts", "type"], ascending=[False, True], kind="stable").reset_index(drop=True)
    counts["share"] = counts["contacts"] / counts["contacts"].sum()
    counts["cumulative_share"] = counts["share"].cumsum()
    return counts


def value_failure_links(df: pd.DataFrame) -> pd.DataFrame:
    """Which value demands generate which failure demands, through cases.

    For each case whose first contact is value demand, every later failure contact in the
    case counts against that value demand: (value_type, failure_type, contacts, cases).
    """
    d = df[df["case_id"].notna()].sort_values(["case_id", "received_at"], kind="stable")
    first = d.groupby("case_id", observed=True).head(1)
    origin = first[first["demand"].astype(str).eq("value")].set_index("case_id")["demand_type"].astype(str)
    later = d[d["demand"].astype(str).eq("failure") & d["case_id"].isin(origin.index)]
    later = later[~later.index.isin(first.index)]
    if later.empty:
        return pd.DataFrame(columns=["value_type", "failure_type", "contacts", "cases"])
    links = pd.DataFrame(
        {
            "value_type": later["case_id"].map(origin).to_numpy(),
            "failure_type": later["failure_type"].astype(str).to_numpy(),
            "case_id": later["case_id"].to_numpy(),
        }
    )
    out = links.groupby(["value_type", "failure_type"]).agg(contacts=("case_id", "size"), cases=("case_id", "nunique"))
    return out.reset_index().sort_values("contacts", ascending=False, kind="stable").reset_index(drop=True)


def weekly_by_type(df: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """Contacts per week (rows) and demand type (columns), complete weeks only, zeros filled."""
    week = df["received_at"].dt.to_period("W-SUN")
    t = pd.crosstab(week, _label(df))
    full = pd.period_range(week.min(), week.max(), freq="W-SUN")
    t = complete_weeks(t.reindex(full, fill_value=0), df["received_at"])
    if top is not None:
        t = t[t.sum().sort_values(ascending=False).index[:top]]
    assert isinstance(t.index, pd.PeriodIndex), "weekly periods"
    t.index = t.index.start_time
    return t


def complete_weeks(weekly: pd.DataFrame, received_at: pd.Series) -> pd.DataFrame:
    """Drop a first or last week the log covers only in part: it is not comparable with the rest."""
    if len(weekly) <= 2:
        return weekly
    idx = weekly.index if isinstance(weekly.index, pd.PeriodIndex) else pd.PeriodIndex(weekly.index, freq="W-SUN")
    first_day, last_day = received_at.min(), received_at.max()
    keep = np.ones(len(weekly), dtype=bool)
    if (first_day - idx[0].start_time) > pd.Timedelta(days=1):
        keep[0] = False
    if (idx[-1].end_time - last_day) > pd.Timedelta(days=1):
        keep[-1] = False
    return weekly[keep]


def complete_week_count(received_at: pd.Series) -> int:
    """Monday-to-Sunday weeks the log covers from start to end (a 3-hour extract covers none)."""
    if received_at.empty:
        return 0
    first = received_at.min().normalize()
    first_monday = first + pd.Timedelta(days=(7 - first.day_of_week) % 7)
    through = received_at.max().normalize() + pd.Timedelta(days=1)  # a week counts once the log reaches its Sunday
    return max(0, int((through - first_monday) // pd.Timedelta(days=7)))


def predictability(df: pd.DataFrame, top: int = 8) -> dict[str, XmR]:
    """An XmR chart of weekly volume for each of the ``top`` demand types.

    The week is the natural grain of demand (days carry the weekly pattern, so daily points
    would flag every Monday). Each chart says whether it has the 20 points a verdict needs
    (:attr:`XmR.verdict`): a 3-hour or one-month extract gets "too few points", not "predictable".
    """
    weekly = weekly_by_type(df, top)
    return {name: xmr(weekly[name]) for name in weekly.columns if len(weekly) >= 2}
