"""Cue families: what a consultant hears in a verbatim, as features the combiner can weigh.

A family ("repetition", "promise_broken", "payment_then_problem", ...) is a list of
patterns per language over the normalised text of :mod:`flowkit.classify.lemmas`; the
families have the same names in every language so one fitted model serves all three.
Families say *what kind of evidence* a text holds, not the verdict: "again" is evidence of
failure, "bought it from you last year" is evidence against, and the combiner weighs both.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowkit.classify import languages
from flowkit.classify.language import arrow_text, by_language, has_text
from flowkit.classify.lemmas import normalise_texts
from flowkit.errors import FlowkitError

__all__ = ["FAMILIES", "RAW_FEATURES", "CueError", "cue_features", "cue_matrix", "cue_patterns"]

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


class CueError(FlowkitError):
    """A cue file is wrong (unknown family, bad pattern)."""


@languages.language_cache
def cue_patterns(lang: str) -> dict[str, str | None]:
    """Family -> one alternation regex, for ``lang`` (from ``languages/<lang>/cues.yaml``)."""
    origin = f"languages/{lang}/cues.yaml"
    doc = languages.get(lang).read("cues.yaml", required=False) or {}
    fams = doc.get("families") or {}
    unknown = set(fams) - set(FAMILIES)
    if unknown:
        raise CueError(f"{origin}: family {sorted(unknown)[0]!r} is not one of {', '.join(FAMILIES)}")
    out: dict[str, str | None] = {}
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


@languages.language_cache
def _reopened() -> str | None:
    """The flow phrases for "reopened", for RE2 with Python's meaning of ``\\w`` (any letter or digit)."""
    pattern = languages.flow_pattern("reopened")
    swap = {"\\w": "[\\p{L}\\p{N}_]", "\\W": "[^\\p{L}\\p{N}_]"}
    return re.sub(r"\\.", lambda m: swap.get(m.group(0), m.group(0)), pattern) if pattern else None


#: Python's white space (``str.isspace``, what ``str.split`` splits on), as an RE2 class
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
#: at most four words: one pass of a DFA, not a list of words per text (a word may be split
#: across groups, which only adds groups, so five words can never match)
_FOUR_WORDS = f"^[{_SPACE}]*(?:[^{_SPACE}]+[{_SPACE}]*){{0,4}}$"


def _raw(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Signs read from the raw text: a question mark, "reopened" in any language, four words or fewer.

    Missing text reads as "": no question, not reopened, and short (no words); the nulls are
    filled in the answers, not in a copy of the texts."""
    reopened = _reopened()
    hit = pc.match_substring_regex(arr, reopened, ignore_case=True) if reopened else pa.nulls(len(arr), pa.bool_())
    short = pc.fill_null(pc.match_substring_regex(arr, _FOUR_WORDS), True)
    cols = (pc.match_substring(arr, "?"), hit, short)
    return np.column_stack([_bools(c) for c in cols]) if len(arr) else np.zeros((0, len(RAW_FEATURES)), dtype=bool)


def _bools(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def cue_features(text: pd.Series, language: pd.Series, normalised: pd.Series | None = None) -> pd.DataFrame:
    """One 0/1 column per family and raw feature, one row per contact (all 0 for empty text)."""
    M = cue_matrix(text, language, normalised)
    return pd.DataFrame(M.astype(float), index=text.index, columns=[*FAMILIES, *RAW_FEATURES])


def cue_matrix(text: pd.Series, language: pd.Series, normalised: pd.Series | None = None) -> np.ndarray:
    """:func:`cue_features` as a boolean matrix (families, then raw features), no DataFrame.

    Normal forms repeat far more than texts do (order numbers, dates and inflections fold
    away), so each family's pattern runs once per distinct normal form, not once per row.
    """
    norm = normalise_texts(text, language) if normalised is None else normalised
    arr = arrow_text(text)
    fams = np.zeros((len(text), len(FAMILIES)), dtype=bool)
    norm_arr = arrow_text(norm)
    groups = dict(by_language(language))
    for code in languages.codes():
        rows = groups.get(code)
        if rows is not None:
            fams[rows] = _families(norm_arr.take(pa.array(rows)), code)
    # a language can be read as another where its own cues found nothing (``second_reading``:
    # Polish typed without diacritics can pass for English; Russian is told by its script)
    has = has_text(arr)
    for lg in languages.languages().values():
        if not lg.second_reading:
            continue
        rows = groups.get(lg.code)
        if rows is None:
            continue
        retry = rows[has[rows] & ~fams[rows].any(axis=1)]
        if len(retry):
            sub = text.iloc[retry]
            again = normalise_texts(sub, pd.Series(lg.second_reading, index=sub.index))
            fams[retry] |= _families(arrow_text(again), lg.second_reading)
    return np.hstack([fams, _raw(arr)])


def _families(norm: pa.Array | pa.ChunkedArray, lg: str) -> np.ndarray:
    """Which of language ``lg``'s families fire on each normalised text (each distinct form tested once)."""
    enc = pc.dictionary_encode(pc.fill_null(norm, ""))
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    forms, back = enc.dictionary, np.asarray(enc.indices.to_numpy(zero_copy_only=False))
    hit = np.zeros((len(forms), len(FAMILIES)), dtype=bool)
    for j, rx in enumerate(cue_patterns(lg).values()):
        if rx is not None and len(forms):
            hit[:, j] = _bools(pc.match_substring_regex(forms, rx))
    return hit[back]
