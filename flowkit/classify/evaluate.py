"""How well a classification agrees with a consultant's labels: accuracy, per class, confusion."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

__all__ = ["Evaluation", "evaluate"]


@dataclass
class Evaluation:
    accuracy: float             # over all labelled rows; predicting 'unknown' counts as wrong
    coverage: float             # share not left 'unknown'
    per_class: pd.DataFrame     # precision, recall, f1, support for value and failure
    confusion: pd.DataFrame     # rows: truth, columns: predicted (value, failure, unknown)
    n: int
    failure_type_accuracy: float | None = None   # among true failures predicted failure


def evaluate(predicted: pd.Series, truth: pd.Series, predicted_type: pd.Series | None = None,
             true_type: pd.Series | None = None) -> Evaluation:
    truth = truth.astype(str).str.strip().str.lower()
    keep = truth.isin(["value", "failure"])
    y, p = truth[keep], predicted[keep].astype(str)
    labels = ["value", "failure", "unknown"]
    cm = confusion_matrix(y, p, labels=labels)
    pr, rc, f1, sup = precision_recall_fscore_support(y, p, labels=["value", "failure"], zero_division=0)
    ft_acc = None
    if predicted_type is not None and true_type is not None:
        both = keep & truth.eq("failure") & predicted.astype(str).eq("failure") & true_type.notna()
        if both.any():
            ft_acc = float((predicted_type[both].astype(str) == true_type[both].astype(str)).mean())
    return Evaluation(
        accuracy=float((y == p).mean()) if len(y) else float("nan"),
        coverage=float((p != "unknown").mean()) if len(y) else float("nan"),
        per_class=pd.DataFrame({"precision": pr, "recall": rc, "f1": f1, "support": sup},
                               index=pd.Index(["value", "failure"], name="class")),
        confusion=pd.DataFrame(cm[:2], index=pd.Index(["value", "failure"], name="truth"),
                               columns=pd.Index(labels, name="predicted")),
        n=int(len(y)), failure_type_accuracy=ft_acc,
    )
