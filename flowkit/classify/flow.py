"""Signals from flow, not words: a repeat after an unresolved contact is failure demand even
if it sounds neutral; a reopened ticket is failure demand whatever its text says.

"Hello, it's me again" carries no keyword, but a contact whose case already had an
unresolved contact exists because the service failed the first time. A repeat of the same
reason code is *not* evidence on its own: a bank customer who calls about payments every
week is not chasing anything, and calling it failure made one real log "100% failure".
So a same-reason repeat with nothing else stays what its text made it (often ``unknown``),
and ``rule`` says it was a repeat. The ``rule`` column says which signal decided.
"""

from __future__ import annotations

import pandas as pd

from flowkit.classify import languages
from flowkit.schema import STRING

__all__ = ["FLOW_CONFIDENCE", "NEUTRAL_RULES", "flow_signals", "reopened"]

FLOW_CONFIDENCE = 0.85
NEUTRAL_RULES = ("default:no-failure-signal", "no-text", "no-evidence", "weak-evidence")


def reopened(contacts: pd.DataFrame) -> pd.Series[bool]:
    """True where the source says the ticket was reopened: ``reopen_count`` > 0, or a
    ``status``/``event``/``state`` column (or the text) saying "reopened" in any language
    (``reopened`` in each language folder's ``flow.yaml``)."""
    hit = pd.Series(False, index=contacts.index)
    phrases = languages.flow_pattern("reopened")
    if "reopen_count" in contacts:
        hit |= pd.to_numeric(contacts["reopen_count"], errors="coerce").fillna(0).gt(0)
    for col in ("status", "event", "state", "incident_state", "text"):
        if col in contacts and phrases:
            hit |= contacts[col].astype(STRING).str.contains(phrases, case=False, regex=True).fillna(False).astype(bool)
    return hit


def flow_signals(contacts: pd.DataFrame, text_result: pd.DataFrame) -> pd.DataFrame:
    """Return ``text_result`` with flow-based failure demand applied.

    Needs ``case_id``, ``received_at``, ``resolved`` and ``reason_code`` on ``contacts``
    (same index as ``text_result``). A contact the text did not already call failure is
    marked ``not_resolved`` when the previous contact in its case was recorded as not
    resolved and this one is about the same thing (same demand type or reason code) or its
    text gives no evidence. A same-reason repeat with no such evidence is only noted in
    ``rule``; its demand is left as the text made it.
    """
    out = text_result.copy()
    if "case_id" not in contacts or contacts["case_id"].isna().all():
        return out
    df = pd.DataFrame(
        {
            "case": contacts["case_id"].astype(STRING),
            "t": contacts["received_at"],
            "resolved": contacts["resolved"].astype("boolean"),
            "reason": contacts["reason_code"].astype(STRING),
            "dtype": out["demand_type"].astype(STRING),
            "demand": out["demand"].astype(STRING),
            "rule": out["rule"].astype(STRING),
        },
        index=contacts.index,
    )
    df = df[df["case"].notna()].sort_values(["case", "t"], kind="stable")

    def same(col: str) -> pd.Series:
        return df[col].eq(df[col].shift()).fillna(False).astype(bool)

    same_case = same("case")
    prev_unresolved = same_case & df["resolved"].shift().eq(False).fillna(False).astype(bool)
    prev_case = df["case"].shift()
    same_type = same_case & same("dtype")
    same_reason = same_case & same("reason")
    neutral = df["rule"].isin(list(NEUTRAL_RULES)).fillna(False).astype(bool)
    open_ = df["demand"].ne("failure").fillna(True).astype(bool)
    unresolved_hit = open_ & prev_unresolved & (neutral | same_type | same_reason)
    idx = unresolved_hit[unresolved_hit].index
    if len(idx):
        out.loc[idx, "demand"] = "failure"
        out.loc[idx, "failure_type"] = "not_resolved"
        out.loc[idx, "demand_type"] = "repeat: " + df.loc[idx, "dtype"].fillna("unknown").astype(str)
        out.loc[idx, "rule"] = [f"flow:previous contact in case {c} not resolved" for c in prev_case.loc[idx]]
        out.loc[idx, "confidence"] = FLOW_CONFIDENCE
    noted = open_ & ~unresolved_hit & same_reason & neutral
    idx = noted[noted].index
    if len(idx):
        out.loc[idx, "rule"] = [
            f"{r}; repeats reason of case {c} (not evidence alone)"
            for r, c in zip(df.loc[idx, "rule"].astype(str), prev_case.loc[idx], strict=True)
        ]
    return out
