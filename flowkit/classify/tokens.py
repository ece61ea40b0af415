"""Normalised text for a whole column at once: each distinct word looked up once, no per-row Python.

:func:`flowkit.classify.lemmas.normalise` defines the normal form one text at a time; on a
million distinct texts that is a million Python loops over their words (the profile's top
cost after the dictionaries load). Here the column's words are read from its bytes
(:mod:`flowkit.classify.words`), reduced to a vocabulary (the generator's million "distinct" texts share a few thousand
words), each word is lemmatised once in Python, and the negation rule - a negator waits,
over ``skip`` words, for the word it negates - is solved with array arithmetic: for every
token, the nearest earlier and later token that is not a skip word. The result equals
``normalise`` text for text (``tests/test_classify_tokens.py`` holds the two side by side).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowkit.classify import languages
from flowkit.classify.language import arrow_text, by_language, has_text
from flowkit.classify.lemmas import fold, lemma, negator_form
from flowkit.classify.words import split_words
from flowkit.schema import STRING

__all__ = ["normalise_column"]


def normalise_column(text: pd.Series, language: pd.Series) -> pd.Series:
    """``normalise(text, language)`` for every row (pyarrow strings; ``""`` where there is no text)."""
    n = len(text)
    arr = arrow_text(text)
    has = has_text(arr)
    parts: list[pa.Array] = [pa.array([""], pa.large_string())]  # position 0: the form of no text
    at = np.zeros(n, dtype=np.int64)
    start = 1
    for lg, rows in by_language(language, has):
        parts.append(_normalise_language(arr.take(pa.array(rows)), lg).cast(pa.large_string()))
        at[rows] = np.arange(start, start + len(rows))
        start += len(rows)
    # one gather in Arrow: no Python string per row on the way to the column
    forms = pa.concat_arrays(parts).take(pa.array(at))
    return pd.Series(pd.arrays.ArrowStringArray(forms), index=text.index, dtype=STRING)


def _spell_out(arr: pa.Array, contractions: tuple[tuple[str, str], ...]) -> pa.Array:
    """The language's contractions spelled out ("didn't" -> "did not"), in order.

    One pass of all the patterns together finds the texts that hold any; only those are
    rewritten, pattern by pattern (a text no pattern matches is left as it is by every pass)."""
    if not contractions:
        return arr
    hit = np.asarray(
        pc.fill_null(
            pc.match_substring_regex(arr, "|".join(f"(?:{p})" for p, _ in contractions), ignore_case=True), False
        ).to_numpy(zero_copy_only=False),
        dtype=bool,
    )
    if not hit.any():
        return arr
    sub = arr.filter(pa.array(hit))
    for pattern, repl in contractions:
        sub = pc.replace_substring_regex(sub, "(?i)" + pattern, repl)
    at = np.arange(len(arr))
    at[hit] = len(arr) + np.arange(len(sub))
    return pa.concat_arrays([arr, sub.cast(arr.type)]).take(pa.array(at))


def _digits(flat: pa.LargeStringArray) -> pa.LargeStringArray:
    """Numbers as a representative with the same lemma (``0``, ``#``, ``yyyy``): the vocabulary
    stays a vocabulary when every row carries its own order number."""
    digit = pc.fill_null(pc.utf8_is_digit(flat), False)
    if not pc.any(digit).as_py():
        return flat
    length = pc.utf8_length(flat)
    year = pc.and_(pc.equal(length, 4), pc.or_(pc.starts_with(flat, "19"), pc.starts_with(flat, "20")))
    rep = pc.if_else(year, "1900", pc.if_else(pc.less(length, 4), "0", "0000"))
    return pc.if_else(digit, rep, flat)


def _normalise_language(arr: pa.LargeStringArray, code: str) -> pa.StringArray:
    """Normal forms of texts that are all in language ``code`` and all non-empty."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    token_row, tokens = split_words(_spell_out(arr, languages.get(code).contractions))
    enc = pc.dictionary_encode(tokens)
    # numbers folded on the distinct words, not on every token
    folded = pc.dictionary_encode(_digits(enc.dictionary))
    # 32-bit positions where they fit: the arithmetic below is memory-bound, one pass per line
    dt = np.int32 if 2 * len(tokens) + 2 < 2**31 else np.int64
    to_vocab = np.asarray(folded.indices.to_numpy(zero_copy_only=False), dtype=dt)
    vocab_idx = to_vocab[np.asarray(enc.indices.to_numpy(zero_copy_only=False))]
    row = token_row.astype(dt)
    lem, neg_form, is_neg, is_skip = _vocabulary(folded.dictionary.to_pylist(), code)
    is_neg_t = is_neg[vocab_idx]
    anchor = ~is_skip[vocab_idx] | is_neg_t  # a negator waits over skip words for the next anchor

    t = len(vocab_idx)
    if not t:  # no words in any of these texts ("?", "!!!"): the padded empty form
        return pa.array(["  "] * len(arr), pa.string())
    pos = np.arange(t, dtype=dt)
    prev = np.maximum.accumulate(np.where(anchor, pos, -1))
    prev = np.concatenate(([-1], prev[:-1]))  # nearest earlier anchor
    nxt = np.minimum.accumulate(np.where(anchor, pos, t)[::-1])[::-1]
    nxt = np.concatenate((nxt[1:], [t]))  # nearest later anchor
    prev_ok = (prev >= 0) & (row[np.maximum(prev, 0)] == row)
    nxt_ok = (nxt < t) & (row[np.minimum(nxt, t - 1)] == row)

    glued = ~is_neg_t & anchor & prev_ok & is_neg_t[np.maximum(prev, 0)]
    alone = is_neg_t & ~(nxt_ok & ~is_neg_t[np.minimum(nxt, t - 1)])
    emit = ~is_neg_t | alone
    end_of_row = _row_last_position(row, t)
    key = np.where(is_neg_t, np.where(nxt_ok, 2 * nxt - 1, 2 * end_of_row + 1), 2 * pos)

    # each token's piece as a number: a lemma (v), a negator (V + v) or a glued pair (2V + pair);
    # the strings are written once per distinct piece, not once per token
    v = len(lem)
    piece_id = np.where(is_neg_t, v + vocab_idx, vocab_idx)
    pairs: list[str] = []
    if glued.any():
        pair = vocab_idx[np.maximum(prev, 0)][glued].astype(np.int64) * v + vocab_idx[glued]
        distinct, back = np.unique(pair, return_inverse=True)
        piece_id[glued] = 2 * v + np.ravel(back)
        pairs = [f"{neg_form[int(k) // v]}_{lem[int(k) % v]}" for k in distinct]
    pieces = pa.array([*lem, *neg_form, *pairs], pa.string())

    chosen = np.flatnonzero(emit)
    order = chosen[np.argsort(key[chosen], kind="stable")]
    counts = np.bincount(row[order], minlength=len(arr))
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), pieces.take(pa.array(piece_id[order]))), " ")
    return pc.binary_join_element_wise(" ", joined, " ", "")


def _row_last_position(row: np.ndarray, t: int) -> np.ndarray:
    """For each token, the position of the last token of its row."""
    if not t:
        return np.zeros(0, dtype=np.int64)
    # tokens come in row order: a row's last token is at its count's running total
    last = (np.cumsum(np.bincount(row)) - 1).astype(row.dtype)
    return last[row]


def _vocabulary(vocab: list[str], code: str) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Per distinct word: folded lemma, folded negator form, is it a negator, is it a skip word."""
    lg = languages.get(code)
    lems, negs = [], []
    is_neg = np.zeros(len(vocab), dtype=bool)
    is_skip = np.zeros(len(vocab), dtype=bool)
    for i, raw in enumerate(vocab):
        w = raw.lower()
        lem = lemma(w, code)
        lems.append(fold(lem))
        if lem in lg.negators or w in lg.negators:
            is_neg[i] = True
            negs.append(fold(negator_form(w, lem, code)))
        else:
            negs.append("")
        is_skip[i] = lem in lg.skip or w in lg.skip
    return lems, negs, is_neg, is_skip
