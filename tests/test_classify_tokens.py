"""The vectorised normaliser says exactly what the one-text definition says.

``tokens.normalise_column`` (Arrow tokenising, a vocabulary, negation solved with arrays)
must equal ``lemmas.normalise`` text for text: on every language folder's examples, on the
held-out verbatims, on traps for the tokeniser and the negation rule, and on generated text.
"""

from __future__ import annotations

import glob

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowkit.classify import detect_language, languages
from flowkit.classify.lemmas import normalise
from flowkit.classify.tokens import normalise_column

TRAPS = [
    ("", "en"),
    ("   ", "pl"),
    (None, "en"),
    ("!!! ???", "en"),
    ("rock'n'roll ab'cd'ef x’y o'clock 'quoted' it’s", "en"),
    ("I can't, WON'T, didnt and hasn’t", "en"),
    ("not not arrive", "en"),
    ("no", "en"),
    ("never, ever again: 2024, 123, 12345, 0042, ²", "en"),
    ("nie nie nie", "pl"),
    ("Paczka nadal nie została jeszcze dostarczona", "pl"),
    ("zamowienie nie dotarla nic", "pl"),
    ("не не пришло", "ru"),
    ("Мне так и не позвонили, ticket 5532 не", "ru"),
    ("snake_case under_score \x01 \x03 marker\x05chars", "en"),
]


def _check(texts: list, langs: list) -> None:
    col = normalise_column(pd.Series(texts, dtype=object), pd.Series(langs, dtype=object))
    want = [normalise(t, lg) for t, lg in zip(texts, langs, strict=True)]
    diff = [(t, lg, w, g) for t, lg, w, g in zip(texts, langs, want, col.tolist(), strict=True) if w != g]
    assert not diff, diff[:5]


def test_traps():
    _check([t for t, _ in TRAPS], [lg for _, lg in TRAPS])


def test_a_language_whose_texts_hold_no_words():
    _check(["?", "!!", "Paczka nie dotarła"], ["ru", "ru", "pl"])


def test_examples_and_heldout_verbatims():
    texts = []
    for lg in languages.languages().values():
        doc = lg.read("examples.yaml", required=False) or {}
        texts += [r[0] for r in doc.get("rules") or []]
        texts += [t for ex in (doc.get("cues") or {}).values() for key in ("positive", "near_miss") for t in ex[key]]
    for path in sorted(glob.glob("tests/data/heldout_*.csv")):
        texts += pd.read_csv(path, dtype=str, keep_default_na=False)["text"].tolist()
    langs = detect_language(pd.Series(texts, dtype="string[pyarrow]")).astype(str).tolist()
    _check(texts, langs)
    _check(texts, ["pl"] * len(texts))  # the second reading: any text read as Polish


WORDS = ["nie", "nic", "już", "się", "dotarła", "не", "ещё", "пришло", "5", "2019", "a’b", "x'y'z", "_"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(WORDS) | st.text("aąłzЖё ,.!?'’-", max_size=6), max_size=8), max_size=12))
def test_polish_and_russian_text_of_any_shape(rows):
    texts = [" ".join(r) for r in rows]
    _check(texts, ["pl" if i % 2 else "ru" for i in range(len(texts))])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text("abnotwyd NOT'’ ,.?0123", max_size=40), max_size=12))
def test_english_text_of_any_shape(texts):
    # ASCII only: RE2's \b (contractions) is ASCII, so "éwon't" is the one known difference
    _check(texts, ["en"] * len(texts))
