"""Which language each contact is in, from the language folders, without downloaded models.

Service logs are short and noisy, so script and a few function words do better than a
statistical model would: each folder's ``language.yaml`` says which letters, function words
or spelling shapes claim a text (Cyrillic claims Russian; Polish letters or common Polish
words claim Polish, as customers often type without diacritics); when several claim it the
highest ``priority`` wins, and text nobody claims is the ``fallback`` language (English).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowkit.classify import languages
from flowkit.schema import STRING

__all__ = ["arrow_text", "by_language", "detect_language", "has_text", "language_codes"]

_EDGE_BEFORE = r"(^|[\s,.;:!?(])"
_EDGE_AFTER = r"([\s,.;:!?)]|$)"


def language_codes() -> tuple[str, ...]:
    """The codes of the languages there are folders for."""
    return languages.codes()


def arrow_text(text: pd.Series) -> pa.Array:
    """The column as a pyarrow string array, for RE2 kernels (no copy when already pyarrow-backed)."""
    s = text if text.dtype == STRING else text.astype(STRING)
    return pa.array(s.array)


def by_language(language: pd.Series, where: np.ndarray | None = None) -> list[tuple[str, np.ndarray]]:
    """``(code, row positions)`` for each language present (only rows ``where`` is True, when given).

    Integer codes, not a comparison of every row's string with every language's."""
    codes, uniques = pd.factorize(language, use_na_sentinel=False)
    if where is not None:
        codes = np.where(where, codes, -1)
    out = []
    for k, code in enumerate(uniques):
        rows = np.flatnonzero(codes == k)
        if rows.size:
            out.append((str(code), rows))
    return out


def has_text(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """True where a text has something besides white space (Arrow's white space is Python's ``str.isspace``).

    ``utf8_is_space`` (every character white space, and at least one) reads each text once and
    copies nothing, where trimming first wrote a trimmed copy of the column."""
    blank = pc.or_(pc.utf8_is_space(arr), pc.equal(pc.binary_length(arr), 0))
    return ~np.asarray(pc.fill_null(blank, True).to_numpy(zero_copy_only=False), dtype=bool)


def _claims(arr: pa.Array, lg: languages.Language) -> np.ndarray | None:
    """True where ``lg``'s letters, function words or spelling shapes appear.

    Cheapest test first, and each later test reads only the texts no earlier one claimed:
    most Polish texts show a Polish letter, so few pay for the shapes (the costliest pass)."""
    tests: list[Callable[[pa.Array], pa.Array]] = []
    if lg.letters:
        tests.append(lambda a: pc.match_substring_regex(a, lg.letters))
    if lg.words:
        words = _EDGE_BEFORE + "(" + "|".join(lg.words) + ")" + _EDGE_AFTER
        tests.append(lambda a: pc.match_substring_regex(a, words, ignore_case=True))
    if lg.shapes:
        tests.append(
            lambda a: pc.greater_equal(pc.count_substring_regex(a, lg.shapes, ignore_case=True), lg.shapes_at_least)
        )
    if not tests:
        return None
    hit = np.zeros(len(arr), dtype=bool)
    left = np.arange(len(arr))
    for test in tests:
        if not left.size:
            break
        got = _true(test(arr if left.size == len(arr) else arr.take(pa.array(left))))
        hit[left[got]] = True
        left = left[~got]
    return hit


def _true(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def detect_language(text: pd.Series) -> pd.Series:
    """A language code per row (the fallback language also for empty text, where it does not matter).

    The highest priority reads first, and a text it claims is not read by the languages below it."""
    arr = arrow_text(text)
    langs = languages.languages().values()
    fallback = next(lg.code for lg in langs if lg.fallback)
    names = [fallback]
    which = np.zeros(len(text), dtype=np.int32)  # an index into ``names``: strings made once, by Arrow
    left = np.arange(len(text))  # rows no language has claimed yet
    ranked = sorted((lg for lg in langs if not lg.fallback), key=lambda lg: (lg.priority, lg.code), reverse=True)
    for lg in ranked:  # (a tie goes to the later code, as when each claim overwrote the one before)
        if not left.size:
            break
        hit = _claims(arr if left.size == len(arr) else arr.take(pa.array(left)), lg)
        if hit is not None:
            which[left[hit]] = len(names)
            names.append(lg.code)
            left = left[~hit]
    codes = pa.array(names, pa.large_string()).take(pa.array(which))
    return pd.Series(pd.arrays.ArrowStringArray(codes), index=text.index, dtype=STRING)
