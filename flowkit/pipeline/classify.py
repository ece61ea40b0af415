"""Classify a contact table, optionally training a model and scoring against labelled verbatims.

The evaluate protocol: labelled verbatims (``--evaluate``) are scored as given, or split into a
training share and a held-out rest (``split``); with a model, the rules alone are scored too, so
the model's gain is seen on the same contacts. Labels whose contact_id is not in the table are
classified from their own text (no flow signals: they have no case).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from flowkit.classify import Classification, DemandModel, Evaluation, RuleSet


@dataclass
class ClassifyRun:
    """The classification, the model trained (if any) and each evaluation as (title, Evaluation)."""

    result: Classification  # contacts and candidates
    model: DemandModel | None = None  # when one was trained
    evaluations: list[tuple[str, Evaluation]] = field(default_factory=list)


def classify_and_evaluate(
    table: pd.DataFrame | None,
    *,
    rules_path: Path | None = None,
    reasons: Path | None = None,
    train_path: Path | None = None,
    eval_paths: Sequence[Path] = (),
    split: float | None = None,
    min_confidence: float = 0.5,
    window: str = "14D",
    seed: int = 0,
) -> ClassifyRun:
    """Classify ``table`` (None: only the labelled verbatims of ``eval_paths``) and evaluate."""

    from flowkit.classify import builtin_rules, load_rules, train
    from flowkit.classify import classify as run
    from flowkit.classify.labels import contacts_from_text, read_labels, split_labels

    rules = builtin_rules()
    if rules_path:
        user, disabled = load_rules(rules_path)
        rules = rules.combined(user, disabled)
    from flowkit.classify.rules import RuleError
    from flowkit.yamlfile import load_yaml

    reason_map = load_yaml(reasons, RuleError, "reasons file") if reasons else None
    model, test = None, None
    if eval_paths:
        labels = pd.concat([read_labels(p, table) for p in eval_paths], ignore_index=True)
        if table is None:
            table = contacts_from_text(labels["text"])
        if split:
            fit, test = split_labels(labels, split, seed)
            model = train(fit["text"], fit["demand"], fit["failure_type"], seed=seed)
        else:
            test = labels
    if train_path:
        fit = read_labels(train_path, table)
        model = train(fit["text"], fit["demand"], fit["failure_type"], seed=seed)
    if table is None:
        raise ValueError("classify_and_evaluate needs a table or labelled verbatims (eval_paths)")
    result = run(table, rules, model, reason_map, min_confidence, stitch_window=window)
    out = ClassifyRun(result, model)
    if test is not None:

        def score(classified: pd.DataFrame, title: str) -> None:
            out.evaluations.append((title, _evaluate(test, classified, rules, model, title, min_confidence)))

        if model is not None:
            score(run(table, rules, None, reason_map, min_confidence, stitch_window=window).contacts, "rules alone")
            score(result.contacts, "rules + model")
        else:
            score(result.contacts, "rules alone")
    return out


def _evaluate(
    test: pd.DataFrame,
    classified: pd.DataFrame,
    rules: RuleSet,
    model: DemandModel | None,
    title: str,
    min_confidence: float,
) -> Evaluation:
    """Score ``classified`` against the labelled ``test`` rows (by contact_id, else by their own text)."""
    from flowkit.classify import classify as run
    from flowkit.classify import evaluate
    from flowkit.classify.labels import contacts_from_text

    cols = ["contact_id", "demand", "failure_type", "confidence", "language"]
    if "contact_id" in test.columns and test["contact_id"].isin(classified["contact_id"]).any():
        merged = test.drop(columns=[k for k in ("language",) if k in test.columns]).merge(
            classified[cols], on="contact_id", suffixes=("_true", "")
        )
    else:  # labelled verbatims not in CONTACTS: classify their text on its own
        own = run(
            contacts_from_text(test["text"]),
            rules,
            model if title.endswith("model") else None,
            None,
            min_confidence,
            use_flow=False,
        ).contacts
        merged = test.assign(
            demand_true=test["demand"],
            failure_type_true=test["failure_type"],
            demand=own["demand"].to_numpy(),
            failure_type=own["failure_type"].to_numpy(),
            confidence=own["confidence"].to_numpy(),
            language=own["language"].to_numpy(),
        )
    return evaluate(
        merged["demand"],
        merged["demand_true"],
        merged["failure_type"],
        merged["failure_type_true"],
        language=merged["language"],
        confidence=merged["confidence"],
    )
