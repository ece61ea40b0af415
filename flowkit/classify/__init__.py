"""Classify demand: value or failure, with a type and a reason, in English, Polish and Russian.

Order of evidence: the text rules (transparent, editable), the source system's reason
codes where mapped, a model trained on the consultant's labels for what rules leave
uncertain, and flow (a repeat within a case). Every row says which decided, in ``rule``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from flowkit import schema
from flowkit.classify.combine import (
    DEFAULT_TYPE_NAMES,
    FEATURES,
    NO_EVIDENCE_RULE,
    WEAK,
    WEAK_RULE,
    evidence_matrix,
    load_combiner,
)
from flowkit.classify.discover import candidate_types
from flowkit.classify.evaluate import Evaluation, evaluate
from flowkit.classify.flow import flow_signals, reopened
from flowkit.classify.language import arrow_text, detect_language
from flowkit.classify.language import has_text as text_present
from flowkit.classify.learn import DemandModel, TrainingError, train
from flowkit.classify.rules import (
    FALLBACK_RULE,
    NO_TEXT_RULE,
    RESULT_COLUMNS,
    RuleError,
    RuleSet,
    _apply_factorized,
    builtin_rules,
    load_rules,
)
from flowkit.schema import STRING

__all__ = [
    "Classification",
    "DemandModel",
    "Evaluation",
    "RuleError",
    "RuleSet",
    "TrainingError",
    "builtin_rules",
    "candidate_types",
    "classify",
    "detect_language",
    "evaluate",
    "load_rules",
    "parse_reasons",
    "train",
]

RULES_WIN = 0.8
_WRITES = ("demand", "demand_type", "failure_type", "rule", "confidence", "language")


@dataclass
class Classification:
    contacts: pd.DataFrame  # the contact table + demand, demand_type, failure_type, rule, confidence, language
    candidates: pd.DataFrame  # groups of 'unknown' verbatims offered as candidate new types


def parse_reasons(mapping: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """``{code: "value" | "failure" | "failure:not_done"}`` -> ``{code: (demand, failure_type)}``."""
    out = {}
    for code, spec in mapping.items():
        demand, _, ftype = str(spec).partition(":")
        if demand not in ("value", "failure") or (ftype and ftype not in schema.FAILURE_TYPES):
            raise RuleError(
                f"reason code {code!r}: {spec!r}; use value, failure or failure:<{'|'.join(schema.FAILURE_TYPES)}>"
            )
        out[str(code)] = (demand, ftype or None)
    return out


def classify(
    contacts: pd.DataFrame,
    rules: RuleSet | None = None,
    model: DemandModel | None = None,
    reasons: dict[str, str] | None = None,
    min_confidence: float = 0.5,
    use_flow: bool = True,
    stitch_window: str = "14D",
    discover: bool = True,
) -> Classification:
    """Add demand, demand_type, failure_type, rule, confidence and language to ``contacts``.

    Text is weighed by the combiner (cue families + rule packs, or the trained model when
    given); a consultant's own rules (in ``rules`` but not built in) decide outright. Text
    with no evidence, or evidence too weak, stays ``unknown``; so does a row whose best
    evidence is below ``min_confidence``. Cases are stitched first (by customer,
    ``stitch_window``) when the table has customer ids but no case ids. ``discover=False``
    skips grouping the ``unknown`` texts into candidate types (``candidates`` is then empty).
    """
    if not 0 <= min_confidence <= 1:
        raise ValueError(f"min_confidence must be between 0 and 1, got {min_confidence}")
    # the columns classification writes are replaced, not read: casting the old ones is wasted
    replaced = [c for c in contacts.columns if c in _WRITES]
    df = schema.conform(contacts.drop(columns=replaced) if replaced else contacts)
    rules = rules or builtin_rules()
    language = detect_language(df["text"])
    # each distinct text is classified once (language, rules and evidence follow from the text)
    text_codes, text_uniques = pd.factorize(df["text"].astype(STRING), use_na_sentinel=False)
    ruled = _apply_factorized(df["text"], language, rules, text_codes, text_uniques)
    has_text = pd.Series(text_present(arrow_text(df["text"])), index=df.index)
    result = ruled.copy()  # a consultant's own rule decides outright, as does no text; the rest is open

    own = ~ruled["rule"].isin([*_builtin_ids(), FALLBACK_RULE, NO_TEXT_RULE])  # one pass over the rules, not two
    open_ = has_text & ~own
    if open_.any():
        rows = open_[open_].index
        if len(text_uniques) == len(df):  # every text distinct: codes rise with the rows, each row is its own first
            at = spread_back = np.arange(len(rows))
        else:
            _, at, spread_back = np.unique(text_codes[open_.to_numpy()], return_index=True, return_inverse=True)
        first = rows[at]
        if len(first) == len(df):  # every row open and distinct: the rows as they are, no look-up
            text_1, language_1, ruled_1 = df["text"], language, ruled
        else:
            at_1 = np.flatnonzero(open_.to_numpy())[at]  # by position: no label look-up per row
            text_1, language_1, ruled_1 = df["text"].iloc[at_1], language.iloc[at_1], ruled.iloc[at_1]
        M = evidence_matrix(text_1, language_1, ruled_1)
        if model is None:
            decided = _combiner_decides(M, ruled_1)
        else:
            X = pd.DataFrame(M.astype(float), index=first, columns=list(FEATURES))
            decided = _model_decides(model, X, text_1, ruled_1)
        spread = (
            decided[RESULT_COLUMNS] if len(first) == len(rows) else decided[RESULT_COLUMNS].iloc[np.ravel(spread_back)]
        )
        spread.index = rows
        if len(rows) == len(result):  # every row open (no consultant's rule fired): replace, not update
            result = spread.reindex(result.index)
        else:  # by position: one array write per column, not an aligned frame update
            at_rows = np.flatnonzero(open_.to_numpy())
            for col in RESULT_COLUMNS:
                values = result[col].to_numpy(copy=True)
                values[at_rows] = spread[col].to_numpy()
                result[col] = values

    if reasons:
        parsed = parse_reasons(reasons)
        codes = df["reason_code"].astype(object)
        hit = (result["demand"].eq("unknown") & codes.isin(list(parsed))).to_numpy()
        if hit.any():  # one join, not a per-row update: a million rows in seconds, not minutes
            table = pd.DataFrame.from_dict(parsed, orient="index", columns=["demand", "failure_type"])
            code = codes[hit].astype(str)
            found = table.reindex(code.to_numpy())
            result.loc[hit, "demand"] = found["demand"].to_numpy()
            result.loc[hit, "failure_type"] = found["failure_type"].to_numpy()
            result.loc[hit, "demand_type"] = code.to_numpy()
            result.loc[hit, "rule"] = ("reason:" + code).to_numpy()
            result.loc[hit, "confidence"] = RULES_WIN

    back = reopened(df)
    if back.any():  # a reopened ticket came back because the first answer did not hold
        came_back: list[str | float] = ["failure", "not_resolved", "reopened", "reopened", 0.9]
        result.loc[back, ["demand", "failure_type", "demand_type", "rule", "confidence"]] = came_back

    conformed = True  # df's columns are conform's own copies, in the contract's dtypes
    if use_flow:
        if df["case_id"].isna().all() and df["customer_id"].notna().any():
            from flowkit.cases import stitch

            df = stitch(df, window=stitch_window).contacts
            conformed = False
        result = flow_signals(df, result)

    low = result["confidence"].astype(float) < min_confidence
    result.loc[low, ["demand", "demand_type", "failure_type"]] = ["unknown", None, None]
    out = df.copy(deep=False)  # columns are replaced, never written into (df holds conform's copies)
    for col in ("demand", "demand_type", "failure_type", "rule", "confidence"):
        dtype = schema.CLASSIFICATION_COLUMNS[col]
        if isinstance(dtype, pd.CategoricalDtype):  # strings or None here: straight to the categories
            out[col] = pd.Categorical(result[col].to_numpy(dtype=object), dtype=dtype)
        elif dtype == STRING and result[col].dtype == object:
            out[col] = _few_strings(result[col])
        else:
            out[col] = result[col].astype(dtype)  # what conform casts it to
    out["language"] = language
    if replaced:  # where the input had them, as conform would have left them
        extras = [c for c in contacts.columns if c not in schema.COLUMNS]
        order = [*schema.COLUMNS, *extras, *(c for c in out.columns if c not in schema.COLUMNS and c not in extras)]
        attrs = out.attrs
        out = pd.DataFrame({c: out[c] for c in order}, copy=False)  # no copy: the columns are our own
        out.attrs = attrs
    if not conformed:  # else every column already is what conform would make it: no second copy of the table
        out = schema.conform(out)
    if not discover:
        return Classification(out, candidate_types(pd.Series([], dtype=object)))
    unknown_text = out.loc[out["demand"] == "unknown", "text"]
    return Classification(out, candidate_types(unknown_text))


def _few_strings(values: pd.Series) -> pd.Series:
    """An object column of a few distinct strings (or None) as the contract's strings: each
    distinct value converted once and gathered, not a million Python strings copied one by one."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = pa.array([*(str(u) for u in uniques), None], pa.large_string())
    taken = table.take(pa.array(np.where(codes < 0, len(uniques), codes)))
    return pd.Series(pd.arrays.ArrowStringArray(taken), index=values.index, dtype=STRING)


def _builtin_ids() -> frozenset[str]:
    return frozenset(r.id for r in builtin_rules().rules)


def _verdict(
    p_failure: np.ndarray, failure_type: np.ndarray, any_evidence: np.ndarray, ruled: pd.DataFrame, why: np.ndarray
) -> pd.DataFrame:
    """Turn probabilities into rows of the result: unknown where there is no or weak evidence."""
    fail = p_failure >= 0.5
    failure_col = np.array(failure_type, dtype=object)  # a copy: None where the verdict is not failure
    failure_col[~fail] = None
    conf = np.where(fail, p_failure, 1 - p_failure)
    rule_demand = ruled["demand"].astype(str).to_numpy()
    agree = (rule_demand == np.where(fail, "failure", "value")) & (
        ~fail | (ruled["failure_type"].astype(object).to_numpy() == failure_type)
    )
    fired = ~ruled["rule"].isin([FALLBACK_RULE, NO_TEXT_RULE]).to_numpy()
    rule = np.where(agree & fired, ruled["rule"].astype(object).to_numpy(), np.asarray(why, dtype=object))
    dtype_ = np.where(
        agree & fired,
        ruled["demand_type"].astype(object).to_numpy(),
        np.where(fail, pd.Series(failure_type).map(DEFAULT_TYPE_NAMES).to_numpy(), "other value demand"),
    )
    out = pd.DataFrame(
        {
            "demand": np.where(fail, "failure", "value").astype(object),
            "demand_type": dtype_,
            "failure_type": failure_col,
            "rule": rule,
            "confidence": conf.round(3),
        },
        index=ruled.index,
    )
    weak = any_evidence & (conf < WEAK)
    out.loc[weak, ["demand", "demand_type", "failure_type"]] = ["unknown", None, None]
    out.loc[weak, "rule"] = WEAK_RULE
    none = ~any_evidence
    out.loc[none, ["demand", "demand_type", "failure_type", "rule", "confidence"]] = [
        "unknown",
        None,
        None,
        NO_EVIDENCE_RULE,
        0.0,
    ]
    return out


def _combiner_decides(M: np.ndarray, ruled: pd.DataFrame) -> pd.DataFrame:
    """The shipped combiner's verdict on a boolean ``FEATURES`` matrix (one row per text of ``ruled``).

    The verdict follows from the features and the rule's outcome alone, and a million texts
    hold a few thousand such pairs: each pair is decided once and the answer spread back."""
    key = _outcome_key(M, ruled)
    if key is None:
        p, ftype, any_ev, why = load_combiner().decide(M)
        return _verdict(p, ftype, any_ev, ruled, why)
    _, first, back = np.unique(key, return_index=True, return_inverse=True)
    p, ftype, any_ev, why = load_combiner().decide(M[first])
    decided = _verdict(p, ftype, any_ev, ruled.iloc[first], why).iloc[np.ravel(back)]
    decided.index = ruled.index
    return decided


def _outcome_key(M: np.ndarray, ruled: pd.DataFrame) -> np.ndarray | None:
    """One integer per row for (features, the rule's outcome), or None where that cannot be packed."""
    if len(M) == 0 or M.shape[1] >= 48:
        return None
    codes, uniques = pd.factorize(ruled["rule"], use_na_sentinel=False)
    if len(uniques) >= 1 << (63 - M.shape[1]):
        return None
    # factorize numbers in order of appearance: a code first appears where the running maximum rises
    first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    for col in ("demand", "demand_type", "failure_type"):  # a rule id names one outcome (else: row by row)
        values = ruled[col].to_numpy(dtype=object)
        if not pd.Series(values).equals(pd.Series(values[first][codes])):
            return None
    # bit j of a row's number is feature j: packed eight to a byte, read as little-endian 64-bit numbers
    packed = np.packbits(M, axis=1, bitorder="little")
    bits = np.pad(packed, ((0, 0), (0, 8 - packed.shape[1]))).view("<i8").ravel()
    return bits * len(uniques) + codes


def _model_decides(model: DemandModel, X: pd.DataFrame, text: pd.Series, ruled: pd.DataFrame) -> pd.DataFrame:
    """The consultant's model decides, except where the shipped combiner is surer: a few
    hundred labels from one client cannot unlearn "I want to complain"."""
    pred = model.predict(text, X)
    mine = _verdict(
        pred["p_failure"].to_numpy(),
        pred["failure_type"].to_numpy(dtype=object),
        np.ones(len(X), dtype=bool),
        ruled,
        np.asarray(["model"] * len(X), dtype=object),
    )
    base = _combiner_decides(X[list(FEATURES)].to_numpy() > 0, ruled)
    surer = base["demand"].ne("unknown") & (base["confidence"] > mine["confidence"])
    mine.loc[surer] = base.loc[surer]
    return mine
