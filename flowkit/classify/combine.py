"""Evidence combined: cue families, the rule packs' verdict and raw-text signs, weighed by a
small calibrated logistic model shipped as a fitted artefact.

A consultant does not decide on one keyword: "same as the first one" plus "doesn't fit" is
a replacement that is also wrong; "bought it from you last year" is a first-time request.
The combiner turns each text into evidence features (:mod:`flowkit.classify.cues` plus the
rule pack that fired) and a logistic regression, fitted on labelled development examples
(``model/dev_labelled.csv``, never the held-out set) with cross-validated regularisation,
gives P(failure) and the failure type. Text with no evidence at all stays ``unknown``.
The artefact is plain JSON (weights, provenance, cross-validated scores): no pickle.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from flowkit.classify.cues import FAMILIES, RAW_FEATURES, cue_matrix
from flowkit.classify.rules import FALLBACK_RULE, NO_TEXT_RULE
from flowkit.schema import FAILURE_TYPES

__all__ = [
    "DEFAULT_TYPE_NAMES",
    "EVIDENCE_FEATURES",
    "NO_EVIDENCE_RULE",
    "WEAK",
    "WEAK_RULE",
    "Combiner",
    "evidence",
    "evidence_matrix",
    "fit_combiner",
    "load_combiner",
]

RULE_FEATURES = tuple(f"rule:{t}" for t in (*FAILURE_TYPES, "value"))
_SERVICE_SIGNS = ("repetition", "not_arrived", "still_broken", "elapsed", "chasing", "promise_broken")
EVIDENCE_FEATURES = (*FAMILIES, *RULE_FEATURES, "report_again")  # any of these firing is evidence
FEATURES = (*EVIDENCE_FEATURES, *RAW_FEATURES)
WEAK = 0.6  # below this confidence the text's evidence is too weak to say
NO_EVIDENCE_RULE = "no-evidence"
WEAK_RULE = "weak-evidence"
DEFAULT_TYPE_NAMES = {
    "progress_chasing": "chasing progress",
    "not_done": "something not done",
    "not_resolved": "problem not resolved",
    "done_wrong": "something done wrong",
    "unclear": "unclear communication",
    "complaint": "complaint",
}
ARTEFACT = "model/combiner.json"


def evidence(
    text: pd.Series, language: pd.Series, ruled: pd.DataFrame, normalised: pd.Series | None = None
) -> pd.DataFrame:
    """The feature matrix: cue families, raw-text signs and the rule pack's verdict (one-hot)."""
    M = evidence_matrix(text, language, ruled, normalised)
    return pd.DataFrame(M.astype(float), index=text.index, columns=list(FEATURES))


def evidence_matrix(
    text: pd.Series, language: pd.Series, ruled: pd.DataFrame, normalised: pd.Series | None = None
) -> np.ndarray:
    """:func:`evidence` as a boolean matrix, columns in ``FEATURES`` order (no DataFrame on the way)."""
    cues = cue_matrix(text, language, normalised)
    col = {f: i for i, f in enumerate((*FAMILIES, *RAW_FEATURES))}
    fired = ~ruled["rule"].isin([FALLBACK_RULE, NO_TEXT_RULE]).to_numpy()
    kind = np.where(
        ruled["demand"].astype(str).to_numpy() == "value", "value", ruled["failure_type"].astype(object).to_numpy()
    )
    kinds, kind_names = pd.factorize(kind)  # compared as integers, not strings per row
    M = np.zeros((len(text), len(FEATURES)), dtype=bool)
    for j, name in enumerate(FEATURES):
        if name in col:
            M[:, j] = cues[:, col[name]]
        elif name in RULE_FEATURES:
            at = np.flatnonzero(np.asarray(kind_names, dtype=object) == name.split(":", 1)[1])
            M[:, j] = (kinds == at[0]) & fired if at.size else False
    # a report about the world is value, unless it is about the service's handling of an earlier one
    service = cues[:, [col[f] for f in _SERVICE_SIGNS]].any(axis=1)
    M[:, FEATURES.index("report_again")] = cues[:, col["world_report"]] & service
    return M


@dataclass
class Combiner:
    features: tuple[str, ...]
    coef: np.ndarray  # (n_features,) for P(failure)
    intercept: float
    type_classes: tuple[str, ...]
    type_coef: np.ndarray  # (n_types, n_features)
    type_intercept: np.ndarray
    provenance: dict

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """p_failure, failure_type (most likely, for every row), and whether any evidence fired."""
        M = X[list(self.features)].to_numpy(dtype=float)
        p = 1 / (1 + np.exp(-(M @ self.coef + self.intercept)))
        z = M @ self.type_coef.T + self.type_intercept
        ftype = np.asarray(self.type_classes, dtype=object)[z.argmax(axis=1)]
        any_ev = X[[f for f in EVIDENCE_FEATURES if f in X.columns]].to_numpy().sum(axis=1) > 0
        return pd.DataFrame({"p_failure": p, "failure_type": ftype, "evidence": any_ev}, index=X.index)

    def decide(self, M: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """p_failure, failure_type, any evidence and why, from a boolean ``FEATURES`` matrix.

        The same arithmetic as :meth:`predict` and :meth:`why`, done once per distinct
        feature row (a million contacts hold a few hundred) and spread back.
        """
        if M.shape[1] >= 63:
            raise ValueError("decide packs a feature row into one integer: at most 62 features")
        bits = M.astype(np.int64) @ (np.int64(1) << np.arange(M.shape[1], dtype=np.int64))
        _, first, back = np.unique(bits, return_index=True, return_inverse=True)
        D = pd.DataFrame(M[first].astype(float), columns=list(FEATURES))
        pred = self.predict(D)
        p = pred["p_failure"].to_numpy()
        why = np.asarray(self.why(D, p >= 0.5), dtype=object)
        back = np.ravel(back)
        return p[back], pred["failure_type"].to_numpy()[back], pred["evidence"].to_numpy()[back], why[back]

    def why(self, X: pd.DataFrame, failure: np.ndarray, top: int = 3) -> list[str]:
        """The features that pushed each row towards its answer, strongest first ("cues:a+b").

        Features are 0/1, so a million rows hold a few hundred distinct (features, verdict)
        patterns: each pattern is explained once and the answer spread back.
        """
        M = X[list(self.features)].to_numpy(dtype=float)
        keyed = np.column_stack([M, np.asarray(failure, dtype=float)])
        if np.isin(keyed, (0.0, 1.0)).all() and keyed.shape[1] < 63:  # 0/1 rows: one integer each
            bits = keyed.astype(np.int64) @ (np.int64(1) << np.arange(keyed.shape[1], dtype=np.int64))
            _, first, back = np.unique(bits, return_index=True, return_inverse=True)
            distinct = keyed[first]
        else:
            distinct, back = np.unique(keyed, axis=0, return_inverse=True)
        names = np.asarray(self.features)
        said = []
        for row in distinct:
            push = row[:-1] * self.coef if row[-1] else -row[:-1] * self.coef
            idx = [i for i in np.argsort(push)[::-1][:top] if push[i] > 0]
            said.append("cues:" + "+".join(names[idx]) if idx else "cues:prior")
        return np.asarray(said, dtype=object)[np.ravel(back)].tolist()

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "demand": {"coef": self.coef.round(6).tolist(), "intercept": round(self.intercept, 6)},
            "failure_type": {
                "classes": list(self.type_classes),
                "coef": self.type_coef.round(6).tolist(),
                "intercept": self.type_intercept.round(6).tolist(),
            },
            "provenance": self.provenance,
        }

    @classmethod
    def from_json(cls, doc: dict) -> Combiner:
        return cls(
            tuple(doc["features"]),
            np.asarray(doc["demand"]["coef"], dtype=float),
            float(doc["demand"]["intercept"]),
            tuple(doc["failure_type"]["classes"]),
            np.asarray(doc["failure_type"]["coef"], dtype=float),
            np.asarray(doc["failure_type"]["intercept"], dtype=float),
            doc.get("provenance", {}),
        )


@lru_cache(maxsize=1)
def load_combiner() -> Combiner:
    """The shipped, fitted combiner (``flowkit/classify/model/combiner.json``)."""
    doc = json.loads(resources.files("flowkit.classify").joinpath(ARTEFACT).read_text(encoding="utf-8"))
    return Combiner.from_json(doc)


def fit_combiner(labelled: pd.DataFrame, provenance: dict, seed: int = 0, folds: int = 5) -> tuple[Combiner, dict]:
    """Fit on ``labelled`` (text, language, demand, failure_type); returns the combiner and CV scores.

    Regularisation is chosen by cross-validated log-loss (what calibration needs), without
    class re-weighting, so P(failure) means what it says on data like the training data.
    """
    import warnings

    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    warnings.filterwarnings("ignore", category=FutureWarning, module="sklearn")

    from flowkit.classify.rules import apply_rules, builtin_rules

    df = labelled.reset_index(drop=True)
    ruled = apply_rules(df["text"], df["language"], builtin_rules())
    X = evidence(df["text"], df["language"], ruled)
    y = (df["demand"] == "failure").astype(int).to_numpy()
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    Cs = np.logspace(-2, 1, 7)  # capped: the dev set was written with the cues in view, so its CV is optimistic
    dem = LogisticRegressionCV(Cs=Cs, cv=cv, scoring="neg_log_loss", max_iter=5000).fit(X, y)
    p_cv = cross_val_predict(
        LogisticRegression(C=float(dem.C_[0]), max_iter=5000), X, y, cv=cv, method="predict_proba"
    )[:, 1]
    fail = y == 1
    ft = df.loc[fail, "failure_type"].astype(str).to_numpy()
    tcv = StratifiedKFold(min(folds, int(pd.Series(ft).value_counts().min())), shuffle=True, random_state=seed)
    typ = LogisticRegressionCV(Cs=Cs, cv=tcv, scoring="accuracy", max_iter=5000).fit(X[fail], ft)
    t_cv = cross_val_predict(LogisticRegression(C=float(typ.C_[0]), max_iter=5000), X[fail], ft, cv=tcv)
    scores = {
        "n": len(df),
        "C_demand": float(dem.C_[0]),
        "C_type": float(typ.C_[0]),
        "cv_agreement": float(((p_cv >= 0.5) == fail).mean()),
        "cv_log_loss": float(-np.mean(np.log(np.where(fail, p_cv, 1 - p_cv).clip(1e-9)))),
        "cv_type_accuracy": float((t_cv == ft).mean()),
    }
    comb = Combiner(
        tuple(X.columns),
        dem.coef_[0].copy(),
        float(dem.intercept_[0]),
        tuple(typ.classes_),
        typ.coef_.copy(),
        typ.intercept_.copy(),
        {**provenance, "cross_validated": scores},
    )
    return comb, scores


def training_data(seed: int = 11, generated: int = 300) -> tuple[pd.DataFrame, dict]:
    """The shipped combiner's training data and its provenance.

    The hand-written development examples (``model/dev_labelled.csv``: en/pl/ru verbatims
    and agent notes written for rule development, kept apart from the held-out test set in
    ``tests/data``) plus ``generated`` distinct verbatims of the sample generator (seeded).
    """
    from flowkit.classify.language import detect_language
    from flowkit.synth import generate

    path = resources.files("flowkit.classify").joinpath("model/dev_labelled.csv")
    raw = path.read_bytes()
    dev = pd.read_csv(path.open("rb"), dtype=str, keep_default_na=False)
    gen = generate(4000, seed=seed)
    gen = gen[gen["text"].notna() & gen["demand"].isin(["value", "failure"])].drop_duplicates("text")
    gen = gen.sample(n=min(generated, len(gen)), random_state=seed)
    gen = pd.DataFrame(
        {
            "text": gen["text"].astype(str),
            "language": detect_language(gen["text"]).astype(str),
            "demand": gen["demand"].astype(str),
            "failure_type": gen["failure_type"].fillna("").astype(str),
        }
    )
    df = pd.concat([dev, gen], ignore_index=True)
    df["failure_type"] = df["failure_type"].where(df["demand"] == "failure", "")
    prov = {
        "training_data": [
            {
                "source": "flowkit/classify/model/dev_labelled.csv",
                "rows": len(dev),
                "sha256": hashlib.sha256(raw).hexdigest(),
                "what": "hand-written development verbatims and agent notes (en, pl, ru), not the held-out set",
            },
            {
                "source": f"flowkit.synth.generate(4000, seed={seed}), {len(gen)} distinct verbatims",
                "rows": len(gen),
                "what": "the sample generator's phrasing, so the combiner does not forget the samples",
            },
        ]
    }
    return df, prov


def refit(out: str | Path | None = None) -> dict:
    """Refit the shipped artefact from :func:`training_data` and write it (development use)."""
    df, prov = training_data()
    comb, scores = fit_combiner(df, prov)
    target = Path(out) if out else Path(__file__).parent / ARTEFACT
    from flowkit.safewrite import write_text

    write_text(target, json.dumps(comb.to_json(), indent=1, ensure_ascii=False) + "\n")
    load_combiner.cache_clear()
    return scores


if __name__ == "__main__":  # python -m flowkit.classify.combine   (refits model/combiner.json)
    print(refit())
