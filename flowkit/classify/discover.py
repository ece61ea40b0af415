"""Candidate new demand types from what the rules and the model could not place.

In a real demand study the list of types grows from what customers say. Contacts left
``unknown`` are grouped by similarity (TF-IDF on character n-grams, k-means) and each group
is offered to the consultant with its size, characteristic words and example verbatims.
The verbatims are masked for personal data first (flowkit.privacy), so neither the examples
nor the characteristic words can carry a phone number or an id into the candidates file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer

from flowkit.privacy import mask_pii

__all__ = ["CANDIDATE_COLUMNS", "candidate_types"]

CANDIDATE_COLUMNS = ["group", "size", "top_words", "examples"]


def candidate_types(text: pd.Series, max_groups: int = 12, examples: int = 3, seed: int = 0) -> pd.DataFrame:
    """Groups of similar verbatims, largest first. Empty texts are not grouped."""
    t = mask_pii(text.dropna().astype(str).str.strip())
    t = t[t != ""]
    if t.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    distinct = t.value_counts()
    k = int(max(1, min(max_groups, len(distinct) // 2)))
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True).fit_transform(distinct.index)
    labels = (
        np.zeros(len(distinct), dtype=int)
        if k == 1
        else KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(chars, sample_weight=distinct.to_numpy())
    )
    words = TfidfVectorizer(analyzer="word", token_pattern=r"(?u)\b\w\w\w+\b")
    rows = []
    for g in range(k):
        members = distinct[labels == g]
        if members.empty:
            continue
        try:
            w = words.fit_transform(members.index)
            score = np.asarray(w.multiply(members.to_numpy()[:, None]).sum(axis=0)).ravel()
            top = [words.get_feature_names_out()[i] for i in score.argsort()[::-1][:5]]
        except ValueError:  # no words of three letters or more
            top = []
        rows.append(
            {
                "group": g,
                "size": int(members.sum()),
                "top_words": ", ".join(top),
                "examples": " || ".join(members.index[:examples]),
            }
        )
    out = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS).sort_values("size", ascending=False, kind="stable")
    out["group"] = range(1, len(out) + 1)
    return out.reset_index(drop=True)
