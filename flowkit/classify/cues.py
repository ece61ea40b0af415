"""Cue families: what a consultant hears in a verbatim, as features the combiner can weigh.

A family ("repetition", "promise_broken", "payment_then_problem", ...) is a list of
patterns per language over the normalised text of :mod:`flowkit.classify.lemmas`; the
families have the same names in every language so one fitted model serves all three.
Families say *what kind of evidence* a text holds, not the verdict: "again" is evidence of
failure, "bought it from you last year" is evidence against, and the combiner weighs both.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowkit.classify.language import LANGUAGES
from flowkit.classify.lemmas import normalise_texts
from flowkit.errors import FlowkitError
from flowkit.yamlfile import parse_yaml

__all__ = ["FAMILIES", "RAW_FEATURES", "CueError", "cue_features", "cue_patterns"]

#: every language's cues.yaml lists exactly these families
FAMILIES = (
    "repetition",
    "chasing",
    "promise_broken",
    "payment_then_problem",
    "transfer",
    "missing_info",
    "confusion",
    "complaint",
    "not_arrived",
    "wrong",
    "still_broken",
    "elapsed",
    "returning_call",
    "request",
    "world_report",
    "earlier_reference",
    "negated_problem",
    "agent_done",
)
#: features read from the raw text, not from lemmas
RAW_FEATURES = ("question", "reopened", "short")
_REOPENED = re.compile(r"re-?open|reopen|ponown\w* otw|повторн\w* откр|переоткр", re.I)


class CueError(FlowkitError):
    """A cue file is wrong (unknown family, bad pattern)."""


@cache
def cue_patterns(lang: str) -> dict[str, str]:
    """Family -> one alternation regex, for ``lang`` (from ``languages/<lang>/cues.yaml``)."""
    origin = f"languages/{lang}/cues.yaml"
    doc = parse_yaml(resources.files("flowkit.classify").joinpath(origin).read_text(encoding="utf-8"), origin, CueError)
    fams = doc.get("families") or {}
    unknown = set(fams) - set(FAMILIES)
    if unknown:
        raise CueError(f"{origin}: family {sorted(unknown)[0]!r} is not one of {', '.join(FAMILIES)}")
    out = {}
    for fam in FAMILIES:
        pats = [str(p) for p in fams.get(fam) or []]
        for p in pats:
            try:
                re.compile(p)
                pc.match_substring_regex(pa.array(["probe"]), p)
            except (re.error, pa.ArrowInvalid) as exc:
                raise CueError(
                    f"{origin}: family {fam}: pattern {p!r} is not valid in RE2 and Python re: {exc}"
                ) from exc
        out[fam] = "(?:" + "|".join(pats) + ")" if pats else None
    return out


def _raw(text: pd.Series) -> pd.DataFrame:
    t = text.fillna("").astype(str).str.strip()
    return pd.DataFrame(
        {
            "question": t.str.contains("?", regex=False).astype(float),
            "reopened": t.str.contains(_REOPENED).astype(float),
            "short": (t.str.split().str.len().fillna(0) <= 4).astype(float),
        },
        index=text.index,
    )


def cue_features(text: pd.Series, language: pd.Series, normalised: pd.Series | None = None) -> pd.DataFrame:
    """One 0/1 column per family and raw feature, one row per contact (all 0 for empty text)."""
    norm = normalise_texts(text, language) if normalised is None else normalised
    out = pd.DataFrame(0.0, index=text.index, columns=list(FAMILIES))
    lang = language.astype(str).to_numpy()
    for lg in LANGUAGES:
        _mark(out, np.flatnonzero(lang == lg), norm, lg)
    # Polish typed without diacritics can pass for English: where English cues found nothing,
    # read the text as Polish too (Russian is told by its script, so needs no second reading)
    has = text.fillna("").astype(str).str.strip().ne("").to_numpy()
    retry = np.flatnonzero((lang == "en") & has & (out.to_numpy().sum(axis=1) == 0))
    if len(retry):
        sub = text.iloc[retry]
        _mark(
            out,
            retry,
            pd.Series(
                normalise_texts(sub, pd.Series("pl", index=sub.index)).to_numpy(), index=text.index[retry]
            ).reindex(text.index),
            "pl",
        )
    return pd.concat([out, _raw(text)], axis=1)


def _mark(out: pd.DataFrame, rows: np.ndarray, norm: pd.Series, lg: str) -> None:
    """Set the families of language ``lg`` that fire on the normalised texts at ``rows``."""
    if not len(rows):
        return
    arr = pa.array(norm.iloc[rows].astype(object).tolist(), type=pa.string())
    for fam, rx in cue_patterns(lg).items():
        if rx is None:
            continue
        hit = pc.fill_null(pc.match_substring_regex(arr, rx), False).to_numpy(zero_copy_only=False)
        out.iloc[rows[hit], out.columns.get_loc(fam)] = 1.0
