"""Stitch a customer's contacts, across channels, into cases.

A customer who phones, then e-mails, then uses the web form about the same thing is one
piece of demand seen three times. Repeat contacts, end-to-end time and the failure-demand
loop are only visible per case. Source case ids are kept; the rest are stitched by
customer (and optionally reason) with a gap no longer than ``window`` between contacts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from flowkit import schema
from flowkit.placeholders import find_placeholders

__all__ = ["CASE_COLUMNS", "StitchResult", "stitch", "summarise_cases"]

CASE_COLUMNS = [
    "case_id",
    "customer_id",
    "first_at",
    "last_at",
    "n_contacts",
    "channels",
    "resolved",
    "closed_at",
    "open",
    "end_to_end_s",
]


@dataclass
class StitchResult:
    """Contacts with ``case_id`` filled, and one row per case."""

    contacts: pd.DataFrame
    cases: pd.DataFrame
    placeholders: dict | None = None  # placeholder customer id -> contacts (treated as no customer id)


def stitch(
    contacts: pd.DataFrame,
    window: str | pd.Timedelta = "14D",
    by_reason: bool = False,
    keep_source_case_id: bool = True,
) -> StitchResult:
    """Give every contact a case.

    Contacts of one customer (and one ``reason_code`` if ``by_reason``) belong to the same
    case while each follows the previous one within ``window``. Contacts with no customer
    id are cases of their own: nothing links them. A ``case_id`` from the source is kept
    unless ``keep_source_case_id`` is False.
    """
    window = pd.Timedelta(window)
    if window <= pd.Timedelta(0):
        raise ValueError(f"window must be positive, got {window}")
    df = schema.conform(contacts).copy()
    has_source = df["case_id"].notna() if keep_source_case_id else pd.Series(False, index=df.index)
    todo = ~has_source

    keys = ["customer_id"] + (["reason_code"] if by_reason else [])
    sub = df.loc[todo, [*keys, "received_at"]].copy()
    sub["_order"] = np.arange(len(sub))
    # a placeholder id (0, "unknown", one id on most rows) is "not identified", not one big customer
    placeholders = find_placeholders(df["customer_id"])
    anonymous = sub["customer_id"].isna() | sub["customer_id"].astype(str).str.strip().isin(list(placeholders))
    if by_reason:
        sub["reason_code"] = sub["reason_code"].fillna("")
    sub = sub.sort_values([*keys, "received_at", "_order"], kind="stable")
    same_key = pd.Series(True, index=sub.index)
    for k in keys:
        same_key &= sub[k].eq(sub[k].shift()).fillna(False).astype(bool)
    gap = sub["received_at"].diff()
    new_case = ~same_key | (gap > window) | gap.isna() | anonymous.loc[sub.index]
    number = new_case.cumsum()
    width = max(6, len(str(int(number.max()) if len(number) else 0)))
    made = "K" + number.astype(str).str.zfill(width)
    df.loc[made.index, "case_id"] = made.astype(schema.STRING)
    df["case_id"] = df["case_id"].astype(schema.STRING)
    return StitchResult(df, summarise_cases(df), placeholders)


def summarise_cases(contacts: pd.DataFrame) -> pd.DataFrame:
    """One row per case: first and last contact, channels used, count, end-to-end time.

    End-to-end time runs from the customer's first contact to the case's resolution. Where
    the log records closing times (``closed_at``), a case whose latest contact has none (its
    export records closing times, just not for it) is **open**: its time so far runs to the
    end of the log and is a censored observation (``open`` True), never a finished case of
    that length (nor of zero days). Where the log has no closing times at all, end-to-end
    time runs to the last contact (a lower bound) and ``open`` is unknown.
    """
    df = contacts.loc[contacts["case_id"].notna()]
    if df.empty:
        return pd.DataFrame(columns=CASE_COLUMNS)
    g = df.groupby("case_id", sort=False, observed=True)
    cases = pd.DataFrame(
        {
            "customer_id": g["customer_id"].first(),
            "first_at": g["received_at"].min(),
            "last_at": g["received_at"].max(),
            "n_contacts": g.size(),
            "channels": g["channel"].agg(lambda s: ";".join(sorted(set(map(str, s.dropna()))))),
            "resolved": g["resolved"].max()
            if df["resolved"].notna().any()
            else pd.Series(pd.NA, index=g.size().index, dtype="boolean"),
            "closed_at": g["closed_at"].max(),
        }
    )
    closed = cases["closed_at"].notna()
    end = cases["closed_at"].where(closed & (cases["closed_at"] >= cases["last_at"]), cases["last_at"])
    if contacts["closed_at"].notna().any():
        # a contact awaits closing when its own export records closing times but not for it; a case is
        # still open when its latest contact awaits closing (the latest demand is not dealt with yet)
        files = df["source"].astype(str).str.replace(r"[:#]\d+$", "", regex=True)
        closing_files = set(files[df["closed_at"].notna()])
        awaiting = files.isin(closing_files) & df["closed_at"].isna()
        latest = (
            df["received_at"].groupby(df["case_id"], sort=False, observed=True).transform("max").eq(df["received_at"])
        )
        still_open = (awaiting & latest).groupby(df["case_id"], sort=False, observed=True).any().reindex(cases.index)
        still_open = still_open.fillna(False).astype(bool) | ~closed
        log_end = max(contacts["received_at"].max(), contacts["closed_at"].max())
        end = end.where(~still_open, log_end)
        cases["open"] = pd.array(still_open.to_numpy(), dtype="boolean")
    else:
        cases["open"] = pd.array([pd.NA] * len(cases), dtype="boolean")
    cases["end_to_end_s"] = (end - cases["first_at"]).dt.total_seconds()
    cases = cases.reset_index().sort_values("first_at", kind="stable").reset_index(drop=True)
    cases["resolved"] = cases["resolved"].astype("boolean")
    return cases[CASE_COLUMNS]
