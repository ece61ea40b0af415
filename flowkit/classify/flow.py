"""Signals from flow, not words: a repeat within a case is failure demand even if it sounds neutral.

"Hello, it's me again" carries no keyword, but a contact whose case already had an
unresolved contact exists because the service failed the first time. So does a contact
that repeats the same reason within the case. The ``rule`` column says which it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.schema import STRING

__all__ = ["flow_signals", "FLOW_CONFIDENCE"]

FLOW_CONFIDENCE = 0.85


def flow_signals(contacts: pd.DataFrame, text_result: pd.DataFrame) -> pd.DataFrame:
    """Return ``text_result`` with flow-based failure demand applied.

    Needs ``case_id``, ``received_at``, ``resolved`` and ``reason_code`` on ``contacts``
    (same index as ``text_result``). A contact is marked failure when the text did not
    already say failure and either
    - the previous contact in its case was not resolved, and this one is about the same
      thing (same text demand type or reason code) or says nothing the rules recognise:
      ``not_resolved``; or
    - it repeats the previous contact's reason code in the same case and its text says
      nothing the rules recognise: ``progress_chasing``.
    """
    out = text_result.copy()
    if "case_id" not in contacts or contacts["case_id"].isna().all():
        return out
    df = pd.DataFrame({
        "case": contacts["case_id"].astype(STRING),
        "t": contacts["received_at"],
        "resolved": contacts["resolved"].astype("boolean"),
        "reason": contacts["reason_code"].astype(STRING),
        "dtype": out["demand_type"].astype(STRING),
        "demand": out["demand"].astype(STRING),
        "rule": out["rule"].astype(STRING),
    }, index=contacts.index)
    df = df[df["case"].notna()].sort_values(["case", "t"], kind="stable")
    def same(col: str) -> pd.Series:
        return df[col].eq(df[col].shift()).fillna(False).astype(bool)

    same_case = same("case")
    prev_unresolved = same_case & df["resolved"].shift().eq(False).fillna(False).astype(bool)
    prev_case = df["case"].shift()
    same_type = same_case & same("dtype")
    same_reason = same_case & same("reason")
    neutral = df["rule"].isin(["default:no-failure-signal", "no-text"]).fillna(False).astype(bool)
    open_ = df["demand"].ne("failure").fillna(True).astype(bool)
    unresolved_hit = open_ & prev_unresolved & (neutral | same_type | same_reason)
    repeat_hit = open_ & ~unresolved_hit & same_reason & neutral
    for mask, ftype, label in ((unresolved_hit, "not_resolved", "flow:previous contact in case {} not resolved"),
                               (repeat_hit, "progress_chasing", "flow:repeats reason of previous contact in case {}")):
        idx = mask[mask].index
        if len(idx):
            out.loc[idx, "demand"] = "failure"
            out.loc[idx, "failure_type"] = ftype
            out.loc[idx, "demand_type"] = "repeat: " + df.loc[idx, "dtype"].fillna("unknown").astype(str)
            out.loc[idx, "rule"] = [label.format(c) for c in prev_case.loc[idx]]
            out.loc[idx, "confidence"] = np.maximum(FLOW_CONFIDENCE, 0)
    return out
