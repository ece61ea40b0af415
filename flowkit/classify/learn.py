"""Learning from a consultant's labelled sample: character n-grams and a linear model.

Character n-grams (within word boundaries) work across English, Polish and Russian,
survive inflection and typos, and need no downloaded model. Cross-validated precision and
recall are reported per class so the consultant knows how far to trust it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from flowkit.errors import FlowkitError

__all__ = ["DemandModel", "train", "TrainingError"]


class TrainingError(FlowkitError):
    """The labelled sample cannot train a model (too small, one class, missing columns)."""


def _pipeline(seed: int) -> Pipeline:
    return Pipeline([
        ("tfidf", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1, lowercase=True)),
        ("clf", LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced", random_state=seed)),
    ])


@dataclass
class DemandModel:
    """value/failure model, optional failure-type model, and their cross-validated scores."""

    demand: Pipeline
    failure_type: Pipeline | str | None     # a model, or the one type the sample has
    cv_report: pd.DataFrame          # per class: precision, recall, f1, support (cross-validated)
    n_train: int

    def predict(self, text: pd.Series) -> pd.DataFrame:
        """demand, failure_type and the model's probability for its demand answer."""
        t = text.fillna("").astype(str)
        proba = self.demand.predict_proba(t)
        classes = self.demand.classes_
        best = proba.argmax(axis=1)
        demand = classes[best]
        out = pd.DataFrame({"demand": demand, "confidence": proba.max(axis=1), "failure_type": None}, index=text.index)
        fail = demand == "failure"
        if isinstance(self.failure_type, str):
            out.loc[fail, "failure_type"] = self.failure_type
        elif self.failure_type is not None and fail.any():
            out.loc[fail, "failure_type"] = self.failure_type.predict(t[fail])
        return out


def train(text: pd.Series, demand: pd.Series, failure_type: pd.Series | None = None, folds: int = 5,
          seed: int = 0) -> DemandModel:
    """Fit on labelled verbatims; rows without text or with a label other than value/failure are ignored."""
    t = text.fillna("").astype(str).str.strip()
    y = demand.astype(str).str.strip().str.lower()
    keep = (t != "") & y.isin(["value", "failure"])
    t, y = t[keep], y[keep]
    if len(t) < 10:
        raise TrainingError(f"need at least 10 labelled verbatims with demand value/failure, got {len(t)}")
    counts = y.value_counts()
    if len(counts) < 2:
        raise TrainingError(f"the labelled sample has only {counts.index[0]!r} demand; label both value and failure")
    k = int(max(2, min(folds, counts.min())))
    cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    predicted = cross_val_predict(_pipeline(seed), t, y, cv=cv)
    labels = ["value", "failure"]
    p, r, f, s = precision_recall_fscore_support(y, predicted, labels=labels, zero_division=0)
    report = pd.DataFrame({"precision": p, "recall": r, "f1": f, "support": s}, index=pd.Index(labels, name="class"))
    model = _pipeline(seed).fit(t, y)
    ft_model = None
    if failure_type is not None:
        ft = failure_type[keep].astype(object)
        sel = (y == "failure") & ft.notna() & (ft.astype(str).str.strip() != "")
        if sel.sum() >= 10 and ft[sel].nunique() >= 2:
            ft_model = _pipeline(seed).fit(t[sel], ft[sel].astype(str))
        elif sel.any() and ft[sel].nunique() == 1:
            ft_model = str(ft[sel].iloc[0])
    return DemandModel(model, ft_model, report, int(len(t)))
