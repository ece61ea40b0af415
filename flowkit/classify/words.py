"""The words of a whole column of texts, read from its UTF-8 bytes with array arithmetic.

A word is what ``lemmas._TOKEN`` finds one text at a time: a run of letters and digits
(``str.isalnum``, so ``_`` separates), with at most one inner apostrophe (``'`` or ``’``)
joining two such runs ("didn't", "o'clock"; in "ab'cd'ef" the second starts a new word).
A regular expression pays per match, about a microsecond a text on a million texts; here
each byte of the column's one data buffer is read a few times by numpy, multi-byte
characters are decoded only where they are, and the words come out as one Arrow array
over a compacted copy of the bytes: no Python string per word or per text.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa

__all__ = ["split_words"]

_APOSTROPHE = 0x27
_CURLY = (0xE2, 0x80, 0x99)  # ’ in UTF-8


@functools.cache
def _letter_or_digit() -> np.ndarray:
    """``str.isalnum`` for every code point: what Python's ``[^\\W_]`` means (numpy's string kernel, ~20 ms once)."""
    return np.asarray(np.char.isalnum(np.arange(0x110000, dtype=np.uint32).view("U1")), dtype=bool)


def split_words(arr: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.LargeStringArray]:
    """``(row, words)``: every word of every text in order, and the row (position in ``arr``) it is in.

    Missing texts have no words."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    n = len(arr)
    offs = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data_buf = arr.buffers()[2]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8)[offs[0] : offs[-1]] if data_buf is not None else np.zeros(0, np.uint8)
    )
    offs = offs - offs[0]  # (a null's slot is empty: it holds no bytes, so no words)
    word = _word_bytes(data)
    starts, ends = _runs(word, offs)
    starts, ends = _join_apostrophes(data, word, offs, starts, ends)
    lengths = ends - starts
    bounds = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=bounds[1:])
    words = pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(bounds), pa.py_buffer(data[word]))
    per_row = np.diff(np.searchsorted(starts, offs))
    return np.repeat(np.arange(n, dtype=np.int64), per_row), words


def _word_bytes(data: np.ndarray) -> np.ndarray:
    """True on every byte of a letter or digit (ASCII by a 256-entry table, the rest decoded where they are)."""
    table = _letter_or_digit()
    # ASCII letters and digits by wrapping byte arithmetic (one pass each; every byte >= 0x80 reads False)
    word = ((data | np.uint8(0x20)) - np.uint8(0x61)) < np.uint8(26)
    word |= (data - np.uint8(0x30)) < np.uint8(10)
    lead = np.flatnonzero(data >= 0xC0)  # the first byte of each multi-byte character
    m = len(data)
    lead = lead[lead + 1 < m]  # (Arrow's strings are valid UTF-8: a lead byte never ends the data)
    if not lead.size:
        return word
    b0 = data[lead]
    c1 = (data[lead + 1] & np.uint8(0x3F)).astype(np.int32)
    cp = ((b0 & np.uint8(0x1F)).astype(np.int32) << 6) | c1  # right for two-byte characters, most of them
    long_ = np.flatnonzero(b0 >= 0xE0)  # three or four bytes: punctuation, symbols, CJK, emoji
    at_long = lead[long_]
    four = b0[long_] >= 0xF0
    if long_.size:
        hi = b0[long_].astype(np.int32)
        c2 = (data[np.minimum(at_long + 2, m - 1)] & np.uint8(0x3F)).astype(np.int32)
        c3 = (data[np.minimum(at_long + 3, m - 1)] & np.uint8(0x3F)).astype(np.int32)
        cp[long_] = np.where(
            four, ((hi & 0x07) << 18) | (c1[long_] << 12) | (c2 << 6) | c3, ((hi & 0x0F) << 12) | (c1[long_] << 6) | c2
        )
    yes = table[cp]
    at = lead[yes]
    word[at] = True
    word[at + 1] = True
    if long_.size:
        yes_long = yes[long_]
        word[at_long[yes_long] + 2] = True
        word[at_long[yes_long & four] + 3] = True
    return word


def _runs(word: np.ndarray, offs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of each run of word bytes, a run never crossing from one text to the next."""
    m = len(word)
    # a text's first byte after the previous text's last: both words, yet a run ends and one starts
    inner = offs[(offs > 0) & (offs < m)]
    inner = inner[word[inner] & word[inner - 1]]
    first = np.empty(m, dtype=bool)  # word[i] and not word[i - 1]
    last = np.empty(m, dtype=bool)  # word[i] and not word[i + 1]
    if m:
        first[0], last[m - 1] = word[0], word[m - 1]
        np.greater(word[1:], word[:-1], out=first[1:])
        np.greater(word[:-1], word[1:], out=last[:-1])
        first[inner] = True
        last[inner - 1] = True
    return np.flatnonzero(first).astype(np.int64), np.flatnonzero(last).astype(np.int64) + 1


def _join_apostrophes(
    data: np.ndarray, word: np.ndarray, offs: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Join ``word'word`` into one word (marking the apostrophe's bytes in ``word``): the 1st, 3rd, ...
    apostrophe of a chain ``a'b'c'd`` joins, as the regular expression, having taken ``a'b``, starts again."""
    m = len(data)
    ap = np.flatnonzero(data == _APOSTROPHE)
    width = np.ones(ap.size, dtype=np.int64)
    lead = np.flatnonzero(data[: max(m - 2, 0)] == _CURLY[0])
    lead = lead[(data[lead + 1] == _CURLY[1]) & (data[lead + 2] == _CURLY[2])]
    if lead.size:
        ap = np.concatenate((ap, lead))
        width = np.concatenate((width, np.full(lead.size, 3, dtype=np.int64)))
        order = np.argsort(ap, kind="stable")
        ap, width = ap[order], width[order]
    after = ap + width
    ok = (ap > 0) & (after < m)
    ap, after, width = ap[ok], after[ok], width[ok]
    # a word byte on each side, in the same text (neither side of the apostrophe begins a text)
    ok = word[ap - 1] & word[after] & ~_is_start(ap, offs) & ~_is_start(after, offs)
    ap, after, width = ap[ok], after[ok], width[ok]
    if not ap.size:
        return starts, ends
    # the run ending at the apostrophe and the run starting after it
    left = np.searchsorted(ends, ap)  # ends[left] == ap
    right = np.searchsorted(starts, after)  # starts[right] == after
    # consecutive apostrophes chain when the run after one is the run before the next
    linked = np.zeros(ap.size, dtype=bool)
    linked[1:] = right[:-1] == left[1:]
    chain_start = np.maximum.accumulate(np.where(~linked, np.arange(ap.size), 0))
    joins = (np.arange(ap.size) - chain_start) % 2 == 0
    for k in range(3):
        sel = joins & (width > k)
        word[ap[sel] + k] = True
    keep_end = np.ones(len(ends), dtype=bool)
    keep_end[left[joins]] = False
    keep_start = np.ones(len(starts), dtype=bool)
    keep_start[right[joins]] = False
    return starts[keep_start], ends[keep_end]


def _is_start(pos: np.ndarray, offs: np.ndarray) -> np.ndarray:
    """True where a position is where some text begins."""
    i = np.minimum(np.searchsorted(offs, pos), len(offs) - 1)
    return offs[i] == pos
