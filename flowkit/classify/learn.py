"""Learning from a consultant's labelled sample: character n-grams plus the cue features.

Character n-grams (within word boundaries) work across English, Polish and Russian,
survive inflection and typos, and need no downloaded model; the cue families and the rule
packs' verdict (:func:`flowkit.classify.combine.evidence`) carry what a few hundred labels
cannot teach. Regularisation is chosen by cross-validation, and cross-validated precision
and recall are reported per class so the consultant knows how far to trust it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from flowkit.errors import FlowkitError

__all__ = ["DemandModel", "TrainingError", "text_evidence", "train"]

CS = np.logspace(-2, 2, 5)
LARGE_C = 10.0  # with thousands of labels the choice of C matters little; fixed, to save minutes
LARGE = 2000
TYPE_C = 3.0
CUE_WEIGHT = 1.0  # cue features are 0/1; TF-IDF rows have unit norm: comparable scales


class TrainingError(FlowkitError):
    """The labelled sample cannot train a model (too small, one class, missing columns)."""


def text_evidence(text: pd.Series) -> pd.DataFrame:
    """The combiner's evidence features for bare texts (language detected, rule packs applied)."""
    from flowkit.classify.combine import evidence
    from flowkit.classify.language import detect_language
    from flowkit.classify.rules import apply_rules, builtin_rules

    lang = detect_language(text)
    return evidence(text, lang, apply_rules(text, lang, builtin_rules()))


class _Features:
    """TF-IDF of character n-grams beside the cue features, as one sparse matrix."""

    def __init__(self) -> None:
        self.tfidf = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1, lowercase=True
        )

    def fit(self, text: pd.Series, X: pd.DataFrame) -> _Features:
        self.tfidf.fit(text)
        self.columns = list(X.columns)
        return self

    def transform(self, text: pd.Series, X: pd.DataFrame) -> sp.csr_matrix:
        return sp.hstack(
            [self.tfidf.transform(text), sp.csr_matrix(X[self.columns].to_numpy(float) * CUE_WEIGHT)]
        ).tocsr()


def _fit(M: sp.csr_matrix, y: np.ndarray, seed: int, folds: int, scoring: str) -> LogisticRegression:
    k = int(max(2, min(folds, pd.Series(y).value_counts().min())))
    # liblinear is quick on small sparse two-class problems; lbfgs, held to few iterations, for the types
    opts = {"solver": "liblinear", "max_iter": 1000} if len(set(y)) == 2 else {"solver": "lbfgs", "max_iter": 300}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        if len(y) > LARGE:  # thousands of labels: the choice of C matters less than the time it takes
            return LogisticRegression(C=LARGE_C, **opts).fit(M, y)
        if opts["solver"] != "liblinear":  # the failure type: one moderate C (CV over it cost minutes)
            return LogisticRegression(C=TYPE_C, **opts).fit(M, y)
        cv = LogisticRegressionCV(
            Cs=CS, cv=StratifiedKFold(k, shuffle=True, random_state=seed), scoring=scoring, **opts
        ).fit(M, y)
        return LogisticRegression(C=float(cv.C_[0]), **opts).fit(M, y)


@dataclass
class DemandModel:
    """value/failure model, failure-type model (or the one type the sample has), and their CV scores."""

    features: _Features
    demand: LogisticRegression
    failure_type: LogisticRegression | str | None
    cv_report: pd.DataFrame  # per class: precision, recall, f1, support (cross-validated)
    n_train: int

    @property
    def C(self) -> float:
        return float(self.demand.C)

    def predict(self, text: pd.Series, X: pd.DataFrame | None = None) -> pd.DataFrame:
        """demand, p_failure, failure_type and the model's probability for its demand answer."""
        t = text.fillna("").astype(str)
        X = text_evidence(text) if X is None else X
        M = self.features.transform(t, X)
        classes = list(self.demand.classes_)
        p_fail = self.demand.predict_proba(M)[:, classes.index("failure")]
        demand = np.where(p_fail >= 0.5, "failure", "value")
        out = pd.DataFrame(
            {"demand": demand, "p_failure": p_fail, "confidence": np.maximum(p_fail, 1 - p_fail), "failure_type": None},
            index=text.index,
        )
        if isinstance(self.failure_type, str):
            out["failure_type"] = self.failure_type
        elif self.failure_type is not None:
            out["failure_type"] = self.failure_type.predict(M)
        return out


def train(
    text: pd.Series, demand: pd.Series, failure_type: pd.Series | None = None, folds: int = 5, seed: int = 0
) -> DemandModel:
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
    X = text_evidence(t)
    feats = _Features().fit(t, X)
    M = feats.transform(t, X)
    model = _fit(M, y.to_numpy(), seed, folds, "neg_log_loss")
    k = int(max(2, min(folds if len(t) <= LARGE else 3, counts.min())))
    predicted = cross_val_predict(
        LogisticRegression(C=model.C, solver="liblinear", max_iter=1000),
        M,
        y.to_numpy(),
        cv=StratifiedKFold(k, shuffle=True, random_state=seed),
    )
    labels = ["value", "failure"]
    p, r, f, s = precision_recall_fscore_support(y, predicted, labels=labels, zero_division=0)
    report = pd.DataFrame({"precision": p, "recall": r, "f1": f, "support": s}, index=pd.Index(labels, name="class"))
    ft_model = None
    if failure_type is not None:
        ft = failure_type[keep].astype(object)
        sel = ((y == "failure") & ft.notna() & (ft.astype(str).str.strip() != "")).to_numpy()
        if sel.sum() >= 10 and ft[sel].nunique() >= 2:
            ft_model = _fit(M[sel], ft[sel].astype(str).to_numpy(), seed, folds, "accuracy")
        elif sel.any() and ft[sel].nunique() == 1:
            ft_model = str(ft[sel].iloc[0])
    return DemandModel(feats, model, ft_model, report, len(t))
