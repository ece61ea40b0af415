"""How well a classification agrees with a consultant's labels: accuracy, per class, per
language, per failure type (with 95% intervals), confusion, and calibration.

A figure on a few hundred labels is an estimate: every share comes with a Wilson 95%
interval, so "pl 85% vs ru 92%" can be read against its noise. The reliability table
says whether a confidence of 0.8 is right about 80% of the time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import binomtest
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from flowkit.schema import FAILURE_TYPES

__all__ = ["Evaluation", "evaluate", "wilson"]


def wilson(k: int, n: int) -> tuple[float, float]:
    """95% Wilson interval for k successes in n (nan, nan when n is 0)."""
    if n == 0:
        return float("nan"), float("nan")
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


@dataclass
class Evaluation:
    accuracy: float  # over all labelled rows; predicting 'unknown' counts as wrong
    coverage: float  # share not left 'unknown'
    per_class: pd.DataFrame  # precision, recall, f1, support for value and failure
    confusion: pd.DataFrame  # rows: truth, columns: predicted (value, failure, unknown)
    n: int
    failure_type_accuracy: float | None = None  # among true failures predicted failure
    accuracy_ci: tuple[float, float] = (float("nan"), float("nan"))
    per_language: pd.DataFrame = field(default_factory=pd.DataFrame)  # n, agreement, ci_low, ci_high, unknown
    per_type: pd.DataFrame = field(default_factory=pd.DataFrame)  # precision, recall (+ CIs), support
    reliability: pd.DataFrame = field(default_factory=pd.DataFrame)  # by confidence bin: n, confidence, correct


def _share(hit: np.ndarray) -> tuple[float, float, float]:
    k, n = int(hit.sum()), int(hit.size)
    lo, hi = wilson(k, n)
    return (k / n if n else float("nan")), lo, hi


def evaluate(
    predicted: pd.Series,
    truth: pd.Series,
    predicted_type: pd.Series | None = None,
    true_type: pd.Series | None = None,
    language: pd.Series | None = None,
    confidence: pd.Series | None = None,
) -> Evaluation:
    truth = truth.astype(str).str.strip().str.lower()
    keep = truth.isin(["value", "failure"])
    y, p = truth[keep], predicted[keep].astype(str)
    labels = ["value", "failure", "unknown"]
    cm = confusion_matrix(y, p, labels=labels)
    pr, rc, f1, sup = precision_recall_fscore_support(y, p, labels=["value", "failure"], zero_division=0)
    right = (y == p).to_numpy()
    ft_acc = None
    per_type = pd.DataFrame()
    if predicted_type is not None and true_type is not None:
        pt = predicted_type.astype(object).where(predicted.astype(str).eq("failure"))
        tt = true_type.astype(object).where(truth.eq("failure"))
        pt, tt = pt[keep].fillna("").astype(str), tt[keep].fillna("").astype(str)
        both = (y == "failure") & (p == "failure") & tt.ne("")
        if both.any():
            ft_acc = float((pt[both] == tt[both]).mean())
        rows = []
        for t in FAILURE_TYPES:
            said, true_ = (pt == t).to_numpy(), (tt == t).to_numpy()
            if not said.any() and not true_.any():
                continue
            prec, plo, phi = _share(true_[said])
            rec, rlo, rhi = _share(said[true_])
            rows.append(
                {
                    "failure_type": t,
                    "precision": prec,
                    "p_low": plo,
                    "p_high": phi,
                    "recall": rec,
                    "r_low": rlo,
                    "r_high": rhi,
                    "support": int(true_.sum()),
                    "predicted": int(said.sum()),
                }
            )
        per_type = pd.DataFrame(rows).set_index("failure_type") if rows else per_type
    per_language = pd.DataFrame()
    if language is not None:
        lang = language[keep].astype(str).to_numpy()
        rows = []
        for lg in sorted(set(lang)):
            m = lang == lg
            acc, lo, hi = _share(right[m])
            rows.append(
                {
                    "language": lg,
                    "n": int(m.sum()),
                    "agreement": acc,
                    "ci_low": lo,
                    "ci_high": hi,
                    "unknown": float((p.to_numpy()[m] == "unknown").mean()),
                }
            )
        per_language = pd.DataFrame(rows).set_index("language")
    reliability = pd.DataFrame()
    if confidence is not None:
        conf = pd.to_numeric(confidence[keep], errors="coerce").to_numpy(dtype=float)
        decided = (p != "unknown").to_numpy() & ~np.isnan(conf)
        bins = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0001]
        rows = []
        for lo_, hi_ in itertools.pairwise(bins):
            m = decided & (conf >= lo_) & (conf < hi_)
            if m.any():
                acc, clo, chi = _share(right[m])
                rows.append(
                    {
                        "bin": f"{lo_:.1f}-{min(hi_, 1):.1f}",
                        "n": int(m.sum()),
                        "mean_confidence": float(conf[m].mean()),
                        "correct": acc,
                        "ci_low": clo,
                        "ci_high": chi,
                    }
                )
        reliability = pd.DataFrame(rows).set_index("bin") if rows else reliability
    acc, lo, hi = _share(right) if len(y) else (float("nan"),) * 3
    return Evaluation(
        accuracy=acc,
        coverage=float((p != "unknown").mean()) if len(y) else float("nan"),
        per_class=pd.DataFrame(
            {"precision": pr, "recall": rc, "f1": f1, "support": sup},
            index=pd.Index(["value", "failure"], name="class"),
        ),
        confusion=pd.DataFrame(
            cm[:2], index=pd.Index(["value", "failure"], name="truth"), columns=pd.Index(labels, name="predicted")
        ),
        n=len(y),
        failure_type_accuracy=ft_acc,
        accuracy_ci=(lo, hi),
        per_language=per_language,
        per_type=per_type,
        reliability=reliability,
    )
