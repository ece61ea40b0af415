"""Words read from a column's bytes are the words Python's regular expression finds, text by text.

``words.split_words`` reads UTF-8 bytes with numpy; ``lemmas._TOKEN.findall`` is the
definition. They must agree on every text, including where one text's last word meets the
next text's first (no separator between them in Arrow's buffer), apostrophes at a text's
edge, chains of apostrophes, multi-byte letters, marks, symbols and emoji.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from flowkit.classify.lemmas import _TOKEN
from flowkit.classify.words import _letter_or_digit, split_words

TRAPS = [
    "rock'n'roll ab'cd'ef x’y o'clock 'quoted' it’s",
    "a'b'c'd'e a''b a'’b",
    "’x x’ ' ’ '' ab’",
    "snake_case ½ ² Ⅻ 𝟘 😀 日本語 ﬁ é e\u0301 ß İ",
    "Zamówienie nie dotarło, łóżko; Мне так и не позвонили №5532 — «ёлка»",
    "",
    "   ",
    "end'",
    "'start",
    "abc",
    "def",
    "12345 0042 2024-01-02 #77",
]


def _by_python(texts: list[str | None]) -> list[list[str]]:
    return [_TOKEN.findall(t) if t is not None else [] for t in texts]


def _by_bytes(arr: pa.Array | pa.ChunkedArray, n: int) -> list[list[str]]:
    row, words = split_words(arr)
    out: list[list[str]] = [[] for _ in range(n)]
    for r, w in zip(row.tolist(), words.to_pylist(), strict=True):
        out[r].append(w)
    return out


def test_letter_or_digit_is_str_isalnum_for_every_code_point() -> None:
    table = _letter_or_digit()
    expected = np.fromiter((chr(c).isalnum() for c in range(0x110000)), dtype=bool, count=0x110000)
    assert table.shape == expected.shape
    assert np.array_equal(table, expected)


def test_traps_text_by_text_and_across_text_edges() -> None:
    texts: list[str | None] = [*TRAPS, None, "x", "'", "y", "a'", "'b"]
    assert _by_bytes(pa.array(texts, pa.large_string()), len(texts)) == _by_python(texts)


def test_sliced_chunked_and_small_offsets() -> None:
    texts: list[str | None] = [*TRAPS, None]
    sliced = pa.array(["zzz ignored", *texts], pa.string()).slice(1)  # 32-bit offsets, not starting at 0
    assert _by_bytes(sliced, len(texts)) == _by_python(texts)
    chunked = pa.chunked_array([pa.array(texts[:5], pa.large_string()), pa.array(texts[5:], pa.large_string())])
    assert _by_bytes(chunked, len(texts)) == _by_python(texts)


def test_no_words() -> None:
    assert _by_bytes(pa.array([], pa.large_string()), 0) == []
    assert _by_bytes(pa.array(["", "!!", None], pa.large_string()), 3) == [[], [], []]


_ALPHABET = st.sampled_from(list("ab zZ09_'’ \t\n.,-łóżąЁёжЖ日½²é\u0301😀\u00a0\u2019\u2018ﬁ#"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(_ALPHABET, max_size=30)), max_size=12))
def test_generated_texts(texts: list[str | None]) -> None:
    assert _by_bytes(pa.array(texts, pa.large_string()), len(texts)) == _by_python(texts)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=20), max_size=8))
def test_any_unicode(texts: list[str]) -> None:
    clean = ["".join(ch for ch in t if not 0xD800 <= ord(ch) <= 0xDFFF) for t in texts]  # Arrow holds UTF-8
    assert _by_bytes(pa.array(clean, pa.large_string()), len(clean)) == _by_python(list(clean))
