"""Which customer and agent ids are real, and which stream a contact belongs to."""

from __future__ import annotations

import pandas as pd

CUSTOMER_PLACEHOLDERS = {"0", "-1", "", "unknown", "none", "null", "n/a", "na", "anonymous", "nan"}


AGENT_PLACEHOLDERS = {"no_server", "noserver", "none", "unknown", "n/a", "na", "-", "0", "", "nan", "null"}


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
