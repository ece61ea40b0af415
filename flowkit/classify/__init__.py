"""Classify demand: value or failure, with a type and a reason, in English, Polish and Russian.

Order of evidence: the text rules (transparent, editable), the source system's reason
codes where mapped, a model trained on the consultant's labels for what rules leave
uncertain, and flow (a repeat within a case). Every row says which decided, in ``rule``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from flowkit import schema
from flowkit.classify.discover import candidate_types
from flowkit.classify.evaluate import Evaluation, evaluate
from flowkit.classify.flow import flow_signals
from flowkit.classify.language import detect_language
from flowkit.classify.learn import DemandModel, TrainingError, train
from flowkit.classify.rules import RuleError, RuleSet, apply_rules, builtin_rules, load_rules

__all__ = ["Classification", "classify", "builtin_rules", "load_rules", "RuleSet", "RuleError", "train",
           "DemandModel", "TrainingError", "evaluate", "Evaluation", "candidate_types", "detect_language",
           "parse_reasons"]

RULES_WIN = 0.8


@dataclass
class Classification:
    contacts: pd.DataFrame      # the contact table + demand, demand_type, failure_type, rule, confidence, language
    candidates: pd.DataFrame    # groups of 'unknown' verbatims offered as candidate new types


def parse_reasons(mapping: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """``{code: "value" | "failure" | "failure:not_done"}`` -> ``{code: (demand, failure_type)}``."""
    out = {}
    for code, spec in mapping.items():
        demand, _, ftype = str(spec).partition(":")
        if demand not in ("value", "failure") or (ftype and ftype not in schema.FAILURE_TYPES):
            raise RuleError(f"reason code {code!r}: {spec!r}; use value, failure or failure:<{'|'.join(schema.FAILURE_TYPES)}>")
        out[str(code)] = (demand, ftype or None)
    return out


def classify(contacts: pd.DataFrame, rules: RuleSet | None = None, model: DemandModel | None = None,
             reasons: dict[str, str] | None = None, min_confidence: float = 0.5, use_flow: bool = True,
             stitch_window: str = "14D") -> Classification:
    """Add demand, demand_type, failure_type, rule, confidence and language to ``contacts``.

    Rows whose best evidence is below ``min_confidence`` stay ``unknown``. Cases are stitched
    first (by customer, ``stitch_window``) when the table has customer ids but no case ids.
    """
    if not 0 <= min_confidence <= 1:
        raise ValueError(f"min_confidence must be between 0 and 1, got {min_confidence}")
    df = schema.conform(contacts)
    rules = rules or builtin_rules()
    language = detect_language(df["text"])
    result = apply_rules(df["text"], language, rules)

    weak = result["rule"].isin(["default:no-failure-signal", "no-text"])
    if reasons:
        parsed = parse_reasons(reasons)
        codes = df["reason_code"].astype(object)
        hit = (weak & codes.isin(list(parsed))).to_numpy()
        if hit.any():  # one join, not a per-row update: a million rows in seconds, not minutes
            table = pd.DataFrame.from_dict(parsed, orient="index", columns=["demand", "failure_type"])
            code = codes[hit].astype(str)
            found = table.reindex(code.to_numpy())
            result.loc[hit, "demand"] = found["demand"].to_numpy()
            result.loc[hit, "failure_type"] = found["failure_type"].to_numpy()
            result.loc[hit, "demand_type"] = code.to_numpy()
            result.loc[hit, "rule"] = ("reason:" + code).to_numpy()
            result.loc[hit, "confidence"] = RULES_WIN

    if model is not None:
        unsure = result["confidence"] < RULES_WIN
        has_text = df["text"].fillna("").str.strip().ne("")
        rows = unsure & has_text
        if rows.any():
            pred = model.predict(df.loc[rows, "text"])
            take = pred["confidence"] >= result.loc[rows, "confidence"].clip(lower=min_confidence)
            idx = take[take].index
            result.loc[idx, "demand"] = pred.loc[idx, "demand"]
            result.loc[idx, "failure_type"] = pred.loc[idx, "failure_type"].where(pred.loc[idx, "demand"] == "failure")
            result.loc[idx, "demand_type"] = pred.loc[idx, "failure_type"].where(
                pred.loc[idx, "demand"] == "failure", "other value demand").fillna("failure (model)")
            result.loc[idx, "rule"] = "model"
            result.loc[idx, "confidence"] = pred.loc[idx, "confidence"]

    if use_flow:
        if df["case_id"].isna().all() and df["customer_id"].notna().any():
            from flowkit.cases import stitch

            df = stitch(df, window=stitch_window).contacts
        result = flow_signals(df, result)

    low = result["confidence"] < min_confidence
    result.loc[low, ["demand", "demand_type", "failure_type"]] = ["unknown", None, None]
    out = df.copy()
    for col in ("demand", "demand_type", "failure_type", "rule", "confidence"):
        out[col] = result[col]
    out["language"] = language
    out = schema.conform(out)
    unknown_text = out.loc[out["demand"] == "unknown", "text"]
    return Classification(out, candidate_types(unknown_text))
